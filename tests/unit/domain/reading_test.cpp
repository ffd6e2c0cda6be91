#include "prepaid/domain/reading.hpp"

#include <gtest/gtest.h>

namespace prepaid::domain {
namespace {

using namespace std::chrono_literals;

MeterReading reading(std::int64_t seconds, std::int64_t totalCenti, std::int64_t installation = 1) {
  return MeterReading{Instant(std::chrono::seconds(seconds)), installation,
                      Energy::fromCentiKwh(totalCenti), std::nullopt};
}

TEST(ReadingDelta, ForwardMovementIsConsumption) {
  const auto delta = readingDelta(reading(0, 150'000), reading(1800, 150'125));
  ASSERT_TRUE(delta.has_value());
  EXPECT_EQ(delta->continuity, Continuity::Continuous);
  EXPECT_EQ(delta->consumption.total, Energy::fromCentiKwh(125));
  EXPECT_EQ(delta->consumption.start, Instant(0s));
  EXPECT_EQ(delta->consumption.end, Instant(1800s));
  EXPECT_FALSE(delta->consumption.perRate.has_value());
}

TEST(ReadingDelta, RolloverAtTheModulus) {
  // 999999.90 -> 0.15 is 0.25 kWh through the 999999.99 -> 0.00 wrap.
  const auto delta = readingDelta(reading(0, 99'999'990), reading(60, 15));
  ASSERT_TRUE(delta.has_value());
  EXPECT_EQ(delta->continuity, Continuity::Rollover);
  EXPECT_EQ(delta->consumption.total, Energy::fromCentiKwh(25));
}

TEST(ReadingDelta, BackwardsWithoutRolloverIsAnAnomalyNotANegativeCharge) {
  const auto delta = readingDelta(reading(0, 1000), reading(60, 900));
  ASSERT_FALSE(delta.has_value());
  EXPECT_EQ(delta.error().kind, ReadingAnomalyKind::WentBackwards);
  EXPECT_EQ(delta.error().describe(), "total register went backwards: 10.00 -> 9.00");
}

TEST(ReadingDelta, OtherAnomalies) {
  EXPECT_EQ(readingDelta(reading(0, 100), reading(60, 100'000'000)).error().kind,
            ReadingAnomalyKind::OutOfRange);
  EXPECT_EQ(readingDelta(reading(0, -1), reading(60, 5)).error().kind,
            ReadingAnomalyKind::OutOfRange);
  EXPECT_EQ(readingDelta(reading(0, 0), reading(60, 10'000'001)).error().kind,
            ReadingAnomalyKind::ImplausibleJump);
  EXPECT_EQ(readingDelta(reading(60, 0), reading(0, 5)).error().kind,
            ReadingAnomalyKind::TimeWentBackwards);
  EXPECT_EQ(readingDelta(reading(60, 0), reading(60, 5)).error().kind,
            ReadingAnomalyKind::EnergyWithoutTime);
  EXPECT_TRUE(readingDelta(reading(60, 5), reading(60, 5)).has_value());
  const RegisterLimits small{Energy::fromCentiKwh(10'000), Energy::fromCentiKwh(100)};
  EXPECT_EQ(readingDelta(reading(0, 9'990), reading(60, 5), small)->consumption.total,
            Energy::fromCentiKwh(15));
  EXPECT_EQ(readingDelta(reading(0, 5'000), reading(60, 5), small).error().kind,
            ReadingAnomalyKind::WentBackwards);
}

TEST(ReadingDelta, MeterReplacementStartsANewBaseline) {
  const auto delta = readingDelta(reading(0, 500'000, 1), reading(60, 0, 2));
  ASSERT_TRUE(delta.has_value());
  EXPECT_EQ(delta->continuity, Continuity::NewBaseline);
  EXPECT_EQ(delta->consumption.total, Energy::zero());
}

TEST(ReadingDelta, PerRateRegistersRollOverIndependently) {
  auto previous = reading(0, 200);
  auto current = reading(3600, 330);
  previous.perRate = {Energy::fromCentiKwh(0), Energy::fromCentiKwh(99'999'950),
                      Energy::fromCentiKwh(100), Energy::fromCentiKwh(100)};
  current.perRate = {Energy::fromCentiKwh(0), Energy::fromCentiKwh(50), Energy::fromCentiKwh(110),
                     Energy::fromCentiKwh(120)};
  const auto delta = readingDelta(previous, current);
  ASSERT_TRUE(delta.has_value());
  EXPECT_EQ(delta->continuity, Continuity::Rollover);
  const std::array<Energy, RateCount> expected = {
      Energy::fromCentiKwh(0), Energy::fromCentiKwh(100), Energy::fromCentiKwh(10),
      Energy::fromCentiKwh(20)};
  EXPECT_EQ(delta->consumption.perRate, expected);
  current.perRate->at(indexOf(Rate::Valley)) = Energy::fromCentiKwh(90);
  const auto anomaly = readingDelta(previous, current);
  ASSERT_FALSE(anomaly.has_value());
  EXPECT_EQ(anomaly.error().rateRegister, Rate::Valley);
  EXPECT_EQ(anomaly.error().describe(), "valley register went backwards: 1.00 -> 0.90");
}

}  // namespace
}  // namespace prepaid::domain
