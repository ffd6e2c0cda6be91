#include "prepaid/sim/meter_sim_load_profile.hpp"

#include <cstdlib>

#include <gtest/gtest.h>

namespace prepaid::devices::sim {
namespace {

constexpr std::int64_t Day = 24 * 60;
constexpr std::int64_t SomeDay = 20'000 * Day;  // a day in 2024, in local minutes

TEST(LoadProfile, SameSeedSameConsumption) {
  const LoadProfile a(42);
  const LoadProfile b(42);
  for (std::int64_t minute = SomeDay; minute < SomeDay + Day; minute += 7) {
    ASSERT_EQ(a.powerW(5, minute, 3000), b.powerW(5, minute, 3000));
  }
}

TEST(LoadProfile, OtherSeedOrMeterVaries) {
  const LoadProfile a(42);
  const LoadProfile b(43);
  int different = 0;
  int differentMeter = 0;
  for (std::int64_t minute = SomeDay; minute < SomeDay + 100; ++minute) {
    different += a.powerW(5, minute, 3000) != b.powerW(5, minute, 3000) ? 1 : 0;
    differentMeter += a.powerW(5, minute, 3000) != a.powerW(6, minute, 3000) ? 1 : 0;
  }
  EXPECT_GT(different, 90);
  EXPECT_GT(differentMeter, 90);
}

TEST(LoadProfile, NightIsLowAndEveningIsHigh) {
  const LoadProfile profile(7);
  std::int64_t night = 0;
  std::int64_t evening = 0;
  for (std::int64_t m = 0; m < 60; ++m) {
    night += profile.powerW(1, SomeDay + 3 * 60 + m, 5000);     // 03:00-04:00
    evening += profile.powerW(1, SomeDay + 19 * 60 + m, 5000);  // 19:00-20:00
  }
  EXPECT_LT(night * 5, evening);
  EXPECT_NEAR(static_cast<double>(evening) / 60.0, 5000.0, 5000.0 * 0.08);
}

TEST(LoadProfile, VariationStaysWithinTwentyPercent) {
  const LoadProfile profile(9);
  for (std::int64_t minute = SomeDay; minute < SomeDay + Day; ++minute) {
    const auto shape = LoadProfile::shapePermille(minute % Day) * 4000 / 1000;
    const auto power = profile.powerW(3, minute, 4000);
    ASSERT_GE(power, shape * 79 / 100) << minute;
    ASSERT_LE(power, shape * 121 / 100) << minute;
  }
}

TEST(LoadProfile, ShapeIsContinuousOverMidnight) {
  EXPECT_EQ(LoadProfile::shapePermille(0), LoadProfile::shapePermille(Day));
  EXPECT_EQ(LoadProfile::shapePermille(-1), LoadProfile::shapePermille(Day - 1));
  EXPECT_LE(std::abs(LoadProfile::shapePermille(Day - 1) - LoadProfile::shapePermille(0)), 5);
}

}  // namespace
}  // namespace prepaid::devices::sim
