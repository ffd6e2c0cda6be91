#include "headless.hpp"
#include <gtest/gtest.h>

#include "prepaid/screens/frame.hpp"

// The account card's units come from the catalogue (千瓦时 / 立方米), like every other screen.

namespace prepaid::kiosk {
namespace {

using testing::Site;

TEST(AccountScreen, TodaysUseIsInTheMetersUnitFromTheCatalogue) {
  testing::HeadlessUi ui;
  Site site;
  site.identified();
  const auto zh = ui.draw(site.session, site.clock, 1920, 1080);
  EXPECT_TRUE(zh.showsText("今日用电: 12.34 千瓦时"));
  EXPECT_TRUE(zh.showsText("今日用水: 12.34 立方米"));
  EXPECT_FALSE(zh.showsText("kWh"));
  EXPECT_FALSE(zh.showsText("m³"));
  site.session.setLanguage(Language::En);
  const auto en = ui.draw(site.session, site.clock, 1920, 1080);
  EXPECT_TRUE(en.showsText("kWh"));
  EXPECT_TRUE(en.showsText("m³"));
}

TEST(AccountScreen, WaterOnlyShopLooksUpWaterUse) {
  testing::HeadlessUi ui;
  Site site;
  auto account = testing::account();
  account.meters.front().medium = "water";
  site.api.identifyResult = account;
  site.api.accountResult = account;
  site.identified();
  const auto drawn = ui.draw(site.session, site.clock, 1080, 1920);
  ASSERT_NE(drawn.target("menu.usage"), nullptr);
  EXPECT_EQ(drawn.require("menu.usage").label, "用水查询");
}

}  // namespace
}  // namespace prepaid::kiosk
