#include "headless.hpp"
#include <gtest/gtest.h>

#include "prepaid/screens/frame.hpp"

// The chrome's "returning to the start in N s" hint: shown in the last 15 s before the idle
// timeout, never while money is in flight (the QR screen once showed "0 秒后返回首页" next to
// "剩余 149 秒").

namespace prepaid::kiosk {
namespace {

using namespace std::chrono_literals;
using Step = RechargeViewModel::Step;
using testing::Site;

constexpr const char* Returning = "秒后返回首页";

TEST(Chrome, IdleHintShowsInTheLastSecondsOnOrdinaryScreens) {
  testing::HeadlessUi ui;
  Site site;
  site.identified();
  site.session.onInput(site.clock);
  EXPECT_FALSE(ui.draw(site.session, site.clock, 1080, 1920).showsText(Returning));
  site.clock += 50s;  // no touch for 50 of the 60 s
  const auto drawn = ui.draw(site.session, site.clock, 1080, 1920);
  EXPECT_TRUE(drawn.showsText("10 秒后返回首页"));
  EXPECT_TRUE(drawn.animating);
  EXPECT_TRUE(screens::idleHintShown(site.session, site.clock));
}

TEST(Chrome, NoIdleHintWhileWaitingForThePayment) {
  testing::HeadlessUi ui;
  Site site;
  site.recharge(Step::Waiting);
  ASSERT_EQ(site.session.recharge().step(), Step::Waiting);
  // 70 s without a touch: past the idle deadline, but a payment is in flight.
  for (int i = 0; i < 14; ++i) {
    site.advance(5s);
  }
  ASSERT_EQ(site.session.screen(), Screen::Recharge);
  ASSERT_EQ(site.session.recharge().step(), Step::Waiting);
  EXPECT_FALSE(screens::idleHintShown(site.session, site.clock));
  const auto drawn = ui.draw(site.session, site.clock, 1080, 1920);
  EXPECT_FALSE(drawn.showsText(Returning));
  EXPECT_TRUE(drawn.showsText("剩余 110 秒"));
}

TEST(Chrome, NoIdleHintWhileCreditingTheMeter) {
  testing::HeadlessUi ui;
  Site site;
  site.recharge(Step::Crediting);
  ASSERT_EQ(site.session.recharge().step(), Step::Crediting);
  site.api.orderScript = {testing::order(OrderState::Paid)};
  for (int i = 0; i < 10; ++i) {
    site.advance(5s);
  }
  ASSERT_EQ(site.session.recharge().step(), Step::Crediting);
  EXPECT_FALSE(screens::idleHintShown(site.session, site.clock));
  EXPECT_FALSE(ui.draw(site.session, site.clock, 1920, 1080).showsText(Returning));
}

TEST(Chrome, HintReturnsOnceTheRechargeIsDone) {
  testing::HeadlessUi ui;
  Site site;
  site.recharge(Step::Done);
  ASSERT_EQ(site.session.recharge().step(), Step::Done);
  site.clock += 2s;  // 10 s after a finished recharge: the hint shows at once
  EXPECT_TRUE(screens::idleHintShown(site.session, site.clock));
  EXPECT_TRUE(ui.draw(site.session, site.clock, 1080, 1920).showsText(Returning));
}

TEST(Chrome, NoHintOnAttract) {
  testing::HeadlessUi ui;
  Site site;
  site.clock += 10min;
  EXPECT_FALSE(screens::idleHintShown(site.session, site.clock));
  EXPECT_FALSE(ui.draw(site.session, site.clock, 1080, 1920).showsText(Returning));
}

TEST(Chrome, UnitAndWordsFollowTheMetersKind) {
  EXPECT_STREQ(screens::energyUnitKey("electricity"), "unit.kwh");
  EXPECT_STREQ(screens::energyUnitKey("water"), "unit.m3");
  EXPECT_EQ(screens::mediumKey("usage.money", "water"), "usage.money_water");
  EXPECT_EQ(screens::mediumKey("usage.money", "electricity"), "usage.money");
}

}  // namespace
}  // namespace prepaid::kiosk
