#include "prepaid/domain/holiday_calendar.hpp"

#include <gtest/gtest.h>

namespace prepaid::domain {
namespace {

using namespace std::chrono;

TEST(HolidayCalendar, WeekendsHolidaysAndMakeUpWorkdays) {
  const HolidayCalendar calendar({2024y / October / 3d, 2024y / October / 1d, 2024y / October / 1d},
                                 {2024y / October / 12d, 2024y / October / 1d});
  EXPECT_EQ(calendar.dayType(2024y / October / 1d), DayType::Holiday);  // holiday wins
  EXPECT_EQ(calendar.dayType(2024y / October / 3d), DayType::Holiday);
  EXPECT_EQ(calendar.dayType(2024y / October / 12d), DayType::Workday);  // a Saturday, worked
  EXPECT_EQ(calendar.dayType(2024y / October / 13d), DayType::Weekend);  // Sunday
  EXPECT_EQ(calendar.dayType(2024y / October / 14d), DayType::Workday);  // Monday
  EXPECT_EQ(calendar.holidays(),
            (std::vector<year_month_day>{2024y / October / 1d, 2024y / October / 3d}));
  EXPECT_EQ(HolidayCalendar().dayType(2024y / October / 1d), DayType::Workday);
  EXPECT_EQ(parseDayType("weekend"), DayType::Weekend);
  EXPECT_EQ(parseDayType("Weekend"), std::nullopt);
}

}  // namespace
}  // namespace prepaid::domain
