#include "prepaid/viewmodels/kiosk_session.hpp"

#include "fakes.hpp"
#include <gtest/gtest.h>

namespace prepaid::kiosk {
namespace {

using namespace std::chrono_literals;
using testing::Harness;

TEST(KioskSession, StartsOnAttractInChinese) {
  Harness h;
  EXPECT_EQ(h.session.screen(), Screen::Attract);
  EXPECT_EQ(h.session.language(), Language::ZhCn);
  h.session.toggleLanguage();
  EXPECT_EQ(h.session.language(), Language::En);
}

TEST(KioskSession, IdleTimeoutReturnsToAttractAndClearsTheTenant) {
  Harness h;
  h.identifyShop("A101");
  ASSERT_TRUE(h.session.hasTenant());
  h.advance(59s);
  EXPECT_EQ(h.session.screen(), Screen::Account);
  h.session.onInput(h.clock);
  h.advance(59s);
  EXPECT_EQ(h.session.screen(), Screen::Account);
  h.advance(2s);
  EXPECT_EQ(h.session.screen(), Screen::Attract);
  EXPECT_FALSE(h.session.hasTenant());
  EXPECT_TRUE(h.session.tenant().account.shopNumber.empty());
  EXPECT_TRUE(h.session.tenant().account.tenantToken.empty());
  EXPECT_TRUE(h.session.account().cards().empty());
}

TEST(KioskSession, OfflineBannerComesAndGoesByItself) {
  Harness h;
  h.advance(1s);
  EXPECT_TRUE(h.session.online());
  h.api.offline = true;
  h.advance(16s);
  EXPECT_FALSE(h.session.online());
  const int calls = h.api.healthCalls;
  h.advance(4s);
  EXPECT_GT(h.api.healthCalls, calls);  // checks again soon while offline
  h.api.offline = false;
  h.advance(4s);
  EXPECT_TRUE(h.session.online());
}

TEST(KioskSession, NextWakeIsBoundedByIdleAndHealth) {
  Harness h;
  h.advance(1s);
  const auto wake = h.session.nextWake(h.clock);
  EXPECT_GT(wake, h.clock);
  EXPECT_LE(wake, h.clock + KioskSession::OnlineHealthInterval);
}

TEST(KioskSession, ScanOnAttractStartsIdentification) {
  Harness h;
  h.session.codeScanned("CARDTOKEN0123456789");
  EXPECT_EQ(h.session.screen(), Screen::Identify);
  h.runner.settle();
  EXPECT_EQ(h.session.screen(), Screen::Account);
}

// The 10 s after a finished recharge count from when it finished, not from the tenant's last
// touch (found by the e2e run on the demo site: a credit-pending screen reached 60 s after "pay"
// went back to attract at once, unseen).
TEST(KioskSession, CreditPendingScreenStaysTenSecondsAfterItAppears) {
  Harness h;
  h.identifyShop("A101");
  h.session.navigate(Screen::Recharge);
  h.session.recharge().choosePreset(10000);
  h.session.recharge().pay();
  h.runner.settle();
  h.api.orderScript = {testing::order(OrderState::Crediting)};
  h.advance(2s);
  h.advance(30s);
  h.advance(31s);
  ASSERT_EQ(h.session.recharge().step(), RechargeViewModel::Step::CreditPending);
  ASSERT_TRUE(h.session.recharge().finishedAt().has_value());
  h.advance(1s);
  EXPECT_EQ(h.session.screen(), Screen::Recharge);
  EXPECT_GE(h.session.idleSecondsLeft(h.clock), 8);
  h.advance(8s);
  EXPECT_EQ(h.session.screen(), Screen::Recharge);
  h.advance(2s);
  EXPECT_EQ(h.session.screen(), Screen::Attract);
  EXPECT_FALSE(h.session.hasTenant());
}

TEST(KioskSession, SuccessAfterASlowPaymentStaysTenSeconds) {
  Harness h;
  h.identifyShop("A101");
  h.session.navigate(Screen::Recharge);
  h.session.recharge().choosePreset(10000);
  h.session.recharge().pay();
  h.runner.settle();
  h.api.orderScript = {testing::order(OrderState::Pending)};
  for (int i = 0; i < 20; ++i) {  // the customer takes 40 s to pay on the phone
    h.advance(2s);
  }
  h.api.orderScript = {testing::order(OrderState::Credited)};
  h.advance(2s);
  ASSERT_EQ(h.session.recharge().step(), RechargeViewModel::Step::Done);
  const auto wake = h.session.nextWake(h.clock);
  EXPECT_GT(wake, h.clock + 9s);  // the loop sleeps until the 10 s are over, not at once
  h.advance(9s);
  EXPECT_EQ(h.session.screen(), Screen::Recharge);
  h.advance(2s);
  EXPECT_EQ(h.session.screen(), Screen::Attract);
}

}  // namespace
}  // namespace prepaid::kiosk
