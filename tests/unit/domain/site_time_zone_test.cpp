#include <gtest/gtest.h>

#include "prepaid/domain/time.hpp"

namespace prepaid::domain {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

TEST(SiteTimeZone, DefaultIsShanghai) {
  const SiteTimeZone zone;
  EXPECT_EQ(zone.utcOffset, 480min);
  EXPECT_TRUE(zone.isValid());
  // 2023-11-14 22:13:20 UTC is 2023-11-15 06:13:20 in Shanghai (a Wednesday).
  const Instant instant{1700000000s};
  EXPECT_EQ(zone.localDate(instant), 2023y / November / 15d);
  EXPECT_EQ(zone.secondsOfDay(instant), 6h + 13min + 20s);
  EXPECT_EQ(zone.localWeekday(instant), Wednesday);
}

TEST(SiteTimeZone, RoundTripsLocalAndInstant) {
  const SiteTimeZone zone;
  const auto midnight = zone.startOfDay(2024y / January / 1d);
  EXPECT_EQ(midnight, sys_days(2023y / December / 31d) + 16h);
  EXPECT_EQ(zone.instantAt(2024y / January / 1d, 8h), sys_days(2024y / January / 1d) + 0h);
  EXPECT_EQ(zone.toInstant(zone.toLocal(midnight)), midnight);
  EXPECT_EQ(zone.secondsOfDay(midnight), 0s);
}

TEST(SiteTimeZone, NegativeOffsetsAndValidity) {
  const SiteTimeZone zone{-300min};
  const Instant instant = sys_days(2024y / March / 1d) + 2h;  // 21:00 on Feb 29 local
  EXPECT_EQ(zone.localDate(instant), 2024y / February / 29d);
  EXPECT_EQ(zone.secondsOfDay(instant), 21h);
  EXPECT_FALSE((SiteTimeZone{15h}).isValid());
  EXPECT_FALSE((SiteTimeZone{-15h}).isValid());
}

}  // namespace
}  // namespace prepaid::domain
