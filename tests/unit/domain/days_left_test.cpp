#include "prepaid/domain/days_left.hpp"

#include <vector>

#include <gtest/gtest.h>

namespace prepaid::domain {
namespace {

DailyUsage flatDay(std::int64_t centi) {
  DailyUsage day;
  day.perRate.at(indexOf(Rate::Flat)) = Energy::fromCentiKwh(centi);
  return day;
}

std::array<std::optional<UnitPrice>, RateCount> flatPrice(std::int64_t microYuan) {
  std::array<std::optional<UnitPrice>, RateCount> prices{};
  prices.at(indexOf(Rate::Flat)) = UnitPrice::fromMicroYuan(microYuan);
  return prices;
}

TEST(DaysLeft, AverageOfTheTrailingWindow) {
  // 10 kWh a day at 1.00 yuan = 10 yuan a day; 95 yuan lasts 9 whole days.
  const std::vector<DailyUsage> history(5, flatDay(1000));
  EXPECT_EQ(estimateDaysLeft(Money::fromFen(9500), history, flatPrice(1'000'000)),
            (DaysLeft{DaysLeftStatus::Known, 9}));
  // Only the last windowDays count.
  std::vector<DailyUsage> longer(10, flatDay(100'000));
  longer.insert(longer.end(), 5, flatDay(1000));
  EXPECT_EQ(estimateDaysLeft(Money::fromFen(9500), longer, flatPrice(1'000'000), {3, 5}),
            (DaysLeft{DaysLeftStatus::Known, 9}));
}

TEST(DaysLeft, TimeOfUsePricesPerRate) {
  DailyUsage day;
  day.perRate.at(indexOf(Rate::Peak)) = Energy::fromCentiKwh(500);    // 5 kWh at 1.20
  day.perRate.at(indexOf(Rate::Valley)) = Energy::fromCentiKwh(500);  // 5 kWh at 0.40
  std::array<std::optional<UnitPrice>, RateCount> prices{};
  prices.at(indexOf(Rate::Peak)) = UnitPrice::fromMicroYuan(1'200'000);
  prices.at(indexOf(Rate::Valley)) = UnitPrice::fromMicroYuan(400'000);
  const std::vector<DailyUsage> history(7, day);  // 8 yuan a day
  EXPECT_EQ(estimateDaysLeft(Money::fromFen(10000), history, prices),
            (DaysLeft{DaysLeftStatus::Known, 12}));
  // Energy on an unpriced rate with no flat price to fall back on.
  auto withSharp = history;
  withSharp.back().perRate.at(indexOf(Rate::Sharp)) = Energy::fromCentiKwh(1);
  EXPECT_EQ(estimateDaysLeft(Money::fromFen(10000), withSharp, prices).status,
            DaysLeftStatus::NoPrice);
}

TEST(DaysLeft, UnknownWithoutEnoughHistoryOrUse) {
  const std::vector<DailyUsage> two(2, flatDay(1000));
  EXPECT_EQ(estimateDaysLeft(Money::fromFen(100), two, flatPrice(1)).status,
            DaysLeftStatus::NotEnoughHistory);
  EXPECT_EQ(estimateDaysLeft(Money::fromFen(100), {}, flatPrice(1)).status,
            DaysLeftStatus::NotEnoughHistory);
  const std::vector<DailyUsage> idle(5, flatDay(0));
  EXPECT_EQ(estimateDaysLeft(Money::fromFen(100), idle, flatPrice(1)).status,
            DaysLeftStatus::NoRecentUse);
  EXPECT_EQ(estimateDaysLeft(Money::fromFen(-100), idle, flatPrice(1)),
            (DaysLeft{DaysLeftStatus::Known, 0}));
}

}  // namespace
}  // namespace prepaid::domain
