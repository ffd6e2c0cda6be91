#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

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

// The value axis labels as drawn, bottom to top: the texts right-aligned with the "0…" label at
// the foot of the axis (bar values and bar labels are centred on their bars, not aligned there).
std::vector<std::string> axisLabels(const testing::Drawn& drawn) {
  std::optional<float> right;
  float bottom = 0;
  for (std::size_t i = 0; i < drawn.texts.size(); ++i) {
    const auto& box = drawn.textBoxes[i];
    if ((drawn.texts[i] == "0" || drawn.texts[i] == "0.0" || drawn.texts[i] == "0.00") &&
        box.pos.y > bottom) {
      right = box.pos.x + box.size.x;
      bottom = box.pos.y;
    }
  }
  std::vector<std::pair<float, std::string>> found;
  for (std::size_t i = 0; right && i < drawn.texts.size(); ++i) {
    const auto& box = drawn.textBoxes[i];
    if (std::abs(box.pos.x + box.size.x - *right) < 0.5F) {
      found.emplace_back(-box.pos.y, drawn.texts[i]);
    }
  }
  std::ranges::sort(found);
  std::vector<std::string> labels;
  for (auto& [y, text] : found) {
    labels.push_back(text);
  }
  return labels;
}

api::UsageSeries hourSeries(const std::vector<std::int64_t>& centiKwh) {
  api::UsageSeries series;
  series.meterId = 11;
  series.granularity = "hour";
  for (std::size_t h = 0; h < centiKwh.size(); ++h) {
    api::UsagePoint point;
    point.periodStart =
        "2024-05-01T" + std::string(h < 10 ? "0" : "") + std::to_string(h) + ":00:00+08:00";
    point.energyCentiKwh = centiKwh[h];
    point.moneyFen = centiKwh[h];
    series.points.push_back(point);
  }
  return series;
}

TEST(UsageScreen, TinyMaximumGetsDistinctAxisLabels) {
  // The e2e finding: 0.01 kWh at most read 0.00, 0.00, 0.00, 0.00, 0.00, 0.01 up the axis.
  testing::HeadlessUi ui;
  Site site;
  site.api.usageResult = hourSeries({0, 1, 0, 1});
  const auto drawn = usageOf(ui, site, 11, UsageMetric::Energy, Language::En);
  EXPECT_EQ(axisLabels(drawn), (std::vector<std::string>{"0.00", "0.01", "0.02"}));
  EXPECT_FALSE(drawn.showsText("No usage yet"));
}

TEST(UsageScreen, LargeMaximumGetsWholeNumberLabels) {
  testing::HeadlessUi ui;
  Site site;
  site.api.usageResult = hourSeries({12345, 2000});
  const auto drawn = usageOf(ui, site, 11, UsageMetric::Money, Language::En);
  EXPECT_EQ(axisLabels(drawn), (std::vector<std::string>{"0", "50", "100", "150"}));
}

TEST(UsageScreen, ZeroUsageShowsAnEmptyAxisAndSaysSo) {
  testing::HeadlessUi ui;
  Site site;
  site.api.usageResult = hourSeries({0, 0, 0});
  const auto en = usageOf(ui, site, 11, UsageMetric::Energy, Language::En);
  EXPECT_EQ(axisLabels(en), (std::vector<std::string>{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"}));
  EXPECT_TRUE(en.showsText("No usage yet"));
  Site other;
  other.api.usageResult = hourSeries({0, 0, 0});
  const auto zh = usageOf(ui, other, 11, UsageMetric::Money, Language::ZhCn);
  EXPECT_TRUE(zh.showsText("暂无用量"));
  // No readings at all is a different sentence: no data, not no usage.
  Site none;
  none.api.usageResult = hourSeries({});
  const auto empty = usageOf(ui, none, 11, UsageMetric::Energy, Language::En);
  EXPECT_TRUE(empty.showsText("No data yet"));
  EXPECT_FALSE(empty.showsText("No usage yet"));
}

}  // namespace
}  // namespace prepaid::kiosk
