#include "prepaid/viewmodels/usage_view_model.hpp"

#include "fakes.hpp"
#include <gtest/gtest.h>

namespace prepaid::kiosk {
namespace {

using testing::Harness;

api::UsageSeries series() {
  api::UsageSeries s;
  s.meterId = 11;
  s.granularity = "hour";
  api::UsagePoint a;
  a.periodStart = "2024-05-01T08:00:00+08:00";
  a.energyCentiKwh = 300;
  a.energyByRateCentiKwh = {0, 200, 100, 0};
  a.moneyFen = 250;
  a.moneyByRateFen = {0, 200, 50, 0};
  api::UsagePoint b;
  b.periodStart = "2024-05-01T09:00:00+08:00";
  b.energyCentiKwh = 170;  // a meter without TOU registers
  s.points = {a, b};
  return s;
}

TEST(UsageViewModel, ChartStacksRatesAndRoundsTheAxis) {
  const auto chart = UsageViewModel::makeChart(series(), UsageMetric::Energy);
  ASSERT_EQ(chart.bars.size(), 2U);
  EXPECT_EQ(chart.bars[0].label, "08");
  EXPECT_EQ(chart.bars[0].byRate[1], 200);
  EXPECT_EQ(chart.bars[1].byRate[2], 170);  // total drawn as flat
  EXPECT_EQ(chart.maxTotal, 300);
  EXPECT_EQ(chart.axisMax, 500);
  EXPECT_EQ(chart.sum, 470);
  EXPECT_EQ(chart.unitKey, "unit.kwh");
  const auto money = UsageViewModel::makeChart(series(), UsageMetric::Money);
  EXPECT_EQ(money.bars[0].total, 250);
  EXPECT_EQ(money.unitKey, "unit.yuan");
}

TEST(UsageViewModel, LabelsFollowGranularity) {
  auto s = series();
  s.granularity = "day";
  EXPECT_EQ(UsageViewModel::makeChart(s, UsageMetric::Energy).bars[0].label, "05-01");
  s.granularity = "month";
  EXPECT_EQ(UsageViewModel::makeChart(s, UsageMetric::Energy).bars[0].label, "2024-05");
}

TEST(UsageViewModel, OpeningLoadsTheFirstMeterAndSwitchingGranularityReloads) {
  Harness h;
  h.api.usageResult = series();
  h.identifyShop("A101");
  h.session.navigate(Screen::Usage);
  h.runner.settle();
  ASSERT_EQ(h.api.usageCalls.size(), 1U);
  EXPECT_EQ(h.api.usageCalls[0], std::make_pair(std::int64_t{11}, Granularity::Hour));
  EXPECT_EQ(h.session.usage().chart().bars.size(), 2U);
  h.session.usage().setGranularity(Granularity::Month);
  EXPECT_TRUE(h.session.usage().chart().bars.empty());  // old data never shown under new title
  h.runner.settle();
  EXPECT_EQ(h.api.usageCalls.back().second, Granularity::Month);
}

TEST(UsageViewModel, ResultsArrivingAfterTheTenantLeftAreDropped) {
  Harness h;
  h.api.usageResult = series();
  h.identifyShop("A101");
  h.session.navigate(Screen::Usage);
  h.runner.runAll();      // the call completed on the worker
  h.session.goAttract();  // the tenant walked away
  h.runner.drain();
  EXPECT_TRUE(h.session.usage().chart().bars.empty());
  EXPECT_FALSE(h.session.hasTenant());
}

}  // namespace
}  // namespace prepaid::kiosk
