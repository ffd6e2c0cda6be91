#include "headless.hpp"
#include <gtest/gtest.h>

#include "prepaid/screens/frame.hpp"

// A water meter's chart speaks of water: m³, 用水, 水费 — not kWh, 用电, 电费.

namespace prepaid::kiosk {
namespace {

using testing::Site;

testing::Drawn usageOf(testing::HeadlessUi& ui, Site& site, std::int64_t meterId,
                       UsageMetric metric, Language language) {
  site.session.setLanguage(language);
  site.identified();
  site.session.navigate(Screen::Usage);
  site.session.usage().open(meterId);
  site.session.usage().setMetric(metric);
  site.runner.settle();
  return ui.draw(site.session, site.clock, 1080, 1920);
}

TEST(UsageScreen, WaterMeterChartUsesWaterUnitsAndWords) {
  testing::HeadlessUi ui;
  Site site;
  const auto energy = usageOf(ui, site, 12, UsageMetric::Energy, Language::ZhCn);
  EXPECT_TRUE(energy.showsText("用水查询"));
  EXPECT_TRUE(energy.showsText("水量"));
  EXPECT_TRUE(energy.showsText("水费"));
  EXPECT_TRUE(energy.showsText("立方米"));
  for (const char* electric : {"用电", "电费", "千瓦时"}) {
    EXPECT_FALSE(energy.showsText(electric)) << electric;
  }
}

TEST(UsageScreen, WaterMeterInEnglish) {
  testing::HeadlessUi ui;
  Site site;
  const auto energy = usageOf(ui, site, 12, UsageMetric::Energy, Language::En);
  EXPECT_TRUE(energy.showsText("m³"));
  EXPECT_TRUE(energy.showsText("Water use"));
  EXPECT_FALSE(energy.showsText("kWh"));
}

TEST(UsageScreen, ElectricityMeterKeepsElectricityWords) {
  testing::HeadlessUi ui;
  Site site;
  const auto energy = usageOf(ui, site, 11, UsageMetric::Energy, Language::ZhCn);
  EXPECT_TRUE(energy.showsText("用电查询"));
  EXPECT_TRUE(energy.showsText("千瓦时"));
  EXPECT_FALSE(energy.showsText("立方米"));
  Site other;
  const auto money = usageOf(ui, other, 11, UsageMetric::Money, Language::ZhCn);
  EXPECT_TRUE(money.showsText("电费"));
  EXPECT_TRUE(money.showsText("合计"));
  EXPECT_TRUE(money.showsText(" 元"));
}

}  // namespace
}  // namespace prepaid::kiosk
