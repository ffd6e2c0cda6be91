#include "prepaid/ui/value_axis.hpp"

#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace prepaid::kiosk::ui {
namespace {

// The label's value in units, parsed back exactly (no floating point): "0.5" with 2 unit
// decimals is 50.
std::int64_t unitsOf(const std::string& label, int unitDecimals) {
  const auto dot = label.find('.');
  const std::string whole = label.substr(0, dot);
  std::string fraction = dot == std::string::npos ? "" : label.substr(dot + 1);
  EXPECT_LE(fraction.size(), static_cast<std::size_t>(unitDecimals)) << label;
  fraction.append(static_cast<std::size_t>(unitDecimals) - fraction.size(), '0');
  return std::stoll(whole + fraction);
}

bool isNiceStep(std::int64_t step) {
  while (step % 10 == 0) {
    step /= 10;
  }
  return step == 1 || step == 2 || step == 5;
}

void expectGoodAxis(std::int64_t maxUnits) {
  SCOPED_TRACE("max " + std::to_string(maxUnits));
  const auto axis = ValueAxis::forMaximum(maxUnits, 2);
  const auto& ticks = axis.ticks();
  const auto& labels = axis.labels();
  ASSERT_EQ(ticks.size(), labels.size());
  EXPECT_GE(ticks.size(), ValueAxis::MinTicks);
  EXPECT_LE(ticks.size(), ValueAxis::MaxTicks);
  EXPECT_EQ(ticks.front(), 0);
  EXPECT_GE(axis.top(), maxUnits);
  EXPECT_TRUE(isNiceStep(axis.step())) << axis.step();
  EXPECT_GE(axis.step(), 1);
  EXPECT_LE(axis.decimals(), 2);
  for (std::size_t i = 0; i < ticks.size(); ++i) {
    EXPECT_EQ(ticks[i], static_cast<std::int64_t>(i) * axis.step());
    // Each label says exactly its tick's value, and the axis is no taller than it needs to be
    // beyond the two-interval minimum: the last interval starts below the maximum.
    EXPECT_EQ(unitsOf(labels[i], 2), ticks[i]) << labels[i];
  }
  if (maxUnits > 2) {
    EXPECT_LT(ticks[ticks.size() - 2], maxUnits);
  }
  EXPECT_EQ(std::set<std::string>(labels.begin(), labels.end()).size(), labels.size());
}

TEST(ValueAxis, NiceDistinctTicksAtEveryScale) {
  for (const std::int64_t max : {0LL, 1LL, 3LL, 7LL, 10LL, 99LL, 100LL, 12345LL, 1'000'000'000LL}) {
    expectGoodAxis(max);
  }
  // And every maximum in between on the small scales, plus the powers of ten up to the limit.
  for (std::int64_t max = 1; max <= 2000; ++max) {
    expectGoodAxis(max);
  }
  for (std::int64_t max = 1; max < ValueAxis::MaxUnits / 10; max *= 10) {
    expectGoodAxis(max * 10 - 1);
    expectGoodAxis(max * 10 + 1);
  }
  expectGoodAxis(ValueAxis::MaxUnits);
}

TEST(ValueAxis, OneFenIsNotRoundedAway) {
  // The e2e finding: a maximum of 0.01 read 0.01, 0.00, 0.00, 0.00…
  const auto axis = ValueAxis::forMaximum(1, 2);
  EXPECT_EQ(axis.labels(), (std::vector<std::string>{"0.00", "0.01", "0.02"}));
  EXPECT_EQ(ValueAxis::forMaximum(3, 2).labels(),
            (std::vector<std::string>{"0.00", "0.01", "0.02", "0.03"}));
  EXPECT_EQ(ValueAxis::forMaximum(7, 2).labels(),
            (std::vector<std::string>{"0.00", "0.02", "0.04", "0.06", "0.08"}));
}

TEST(ValueAxis, LabelsUseNoMoreDecimalsThanTheStepNeeds) {
  EXPECT_EQ(ValueAxis::forMaximum(10, 2).labels(),
            (std::vector<std::string>{"0.00", "0.02", "0.04", "0.06", "0.08", "0.10"}));
  EXPECT_EQ(ValueAxis::forMaximum(99, 2).labels(),
            (std::vector<std::string>{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"}));
  EXPECT_EQ(ValueAxis::forMaximum(100, 2).labels(),
            (std::vector<std::string>{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"}));
  EXPECT_EQ(ValueAxis::forMaximum(12345, 2).labels(),
            (std::vector<std::string>{"0", "50", "100", "150"}));
  EXPECT_EQ(
      ValueAxis::forMaximum(1'000'000'000, 2).labels(),
      (std::vector<std::string>{"0", "2000000", "4000000", "6000000", "8000000", "10000000"}));
}

TEST(ValueAxis, EmptyDataShowsZeroToOneUnit) {
  const auto axis = ValueAxis::forMaximum(0, 2);
  EXPECT_EQ(axis.ticks().front(), 0);
  EXPECT_EQ(axis.top(), 100);
  EXPECT_EQ(axis.labels().back(), "1.0");
  // Negative data (a meter correction) draws no bar: the same empty axis.
  EXPECT_EQ(ValueAxis::forMaximum(-5, 2).ticks(), axis.ticks());
  // Whole units (a count): 0, 1 and one more so there are at least three ticks.
  EXPECT_EQ(ValueAxis::forMaximum(0, 0).labels(), (std::vector<std::string>{"0", "1", "2"}));
}

TEST(ValueAxis, HugeMaximaAreClampedNotOverflowed) {
  const auto axis = ValueAxis::forMaximum(std::numeric_limits<std::int64_t>::max(), 2);
  EXPECT_EQ(axis.top(), ValueAxis::MaxUnits);
  EXPECT_LE(axis.ticks().size(), ValueAxis::MaxTicks);
}

TEST(ValueAxis, FormatUnitsIsExact) {
  EXPECT_EQ(formatUnits(150, 2, 2), "1.50");
  EXPECT_EQ(formatUnits(150, 2, 1), "1.5");
  EXPECT_EQ(formatUnits(150, 2, 0), "1");
  EXPECT_EQ(formatUnits(5, 2, 2), "0.05");
  EXPECT_EQ(formatUnits(-5, 2, 2), "-0.05");
  EXPECT_EQ(formatUnits(7, 0, 3), "7");  // never more decimals than the unit has
  EXPECT_EQ(formatUnits(std::numeric_limits<std::int64_t>::min(), 2, 2), "-92233720368547758.08");
  EXPECT_EQ(formatUnits(std::numeric_limits<std::int64_t>::max(), 2, 2), "92233720368547758.07");
}

}  // namespace
}  // namespace prepaid::kiosk::ui
