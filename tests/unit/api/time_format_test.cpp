#include "prepaid/api/time_format.hpp"

#include <gtest/gtest.h>

namespace prepaid::backend::api {
namespace {

using namespace std::chrono;

TEST(TimeFormatTest, FormatsWithTheSiteOffset) {
  const domain::Instant instant = sys_days(2024y / 5 / 1) + hours(0) + minutes(30);
  EXPECT_EQ(formatRfc3339(instant, domain::SiteTimeZone{}), "2024-05-01T08:30:00+08:00");
  EXPECT_EQ(formatRfc3339(instant, domain::SiteTimeZone{minutes(-330)}),
            "2024-04-30T19:00:00-05:30");
  EXPECT_EQ(formatRfc3339(instant, domain::SiteTimeZone{minutes(0)}), "2024-05-01T00:30:00+00:00");
}

TEST(TimeFormatTest, ParsesWhatItFormatsAndRefusesTheRest) {
  const domain::Instant instant = sys_days(2024y / 2 / 29) + hours(23) + seconds(59);
  EXPECT_EQ(parseRfc3339(formatRfc3339(instant, domain::SiteTimeZone{})), instant);
  EXPECT_EQ(parseRfc3339("2024-02-29T23:00:59Z"), instant);
  EXPECT_FALSE(parseRfc3339("2023-02-29T00:00:00Z"));
  EXPECT_FALSE(parseRfc3339("2024-01-01T24:00:00Z"));
  EXPECT_FALSE(parseRfc3339("2024-01-01T00:00:00.5Z"));
  EXPECT_FALSE(parseRfc3339("2024-01-01 00:00:00Z"));
  EXPECT_FALSE(parseRfc3339("2024-01-01T00:00:00+15:00"));
  EXPECT_FALSE(parseRfc3339("'; DROP TABLE x; --"));
}

}  // namespace
}  // namespace prepaid::backend::api
