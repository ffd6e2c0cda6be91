#include "prepaid/domain/holiday_calendar.hpp"

#include <algorithm>

namespace prepaid::domain {
namespace {

std::vector<std::chrono::sys_days> normalise(
    const std::vector<std::chrono::year_month_day>& dates) {
  std::vector<std::chrono::sys_days> days;
  days.reserve(dates.size());
  for (const auto& date : dates) {
    days.emplace_back(date);
  }
  std::ranges::sort(days);
  const auto [first, last] = std::ranges::unique(days);
  days.erase(first, last);
  return days;
}

std::vector<std::chrono::year_month_day> toDates(const std::vector<std::chrono::sys_days>& days) {
  return {days.begin(), days.end()};
}

}  // namespace

HolidayCalendar::HolidayCalendar(std::vector<std::chrono::year_month_day> holidays,
                                 std::vector<std::chrono::year_month_day> workdays)
    : m_holidays(normalise(holidays)), m_workdays(normalise(workdays)) {}

DayType HolidayCalendar::dayType(std::chrono::sys_days localDate) const {
  if (std::ranges::binary_search(m_holidays, localDate)) {
    return DayType::Holiday;
  }
  if (std::ranges::binary_search(m_workdays, localDate)) {
    return DayType::Workday;
  }
  const std::chrono::weekday weekday(localDate);
  return weekday == std::chrono::Saturday || weekday == std::chrono::Sunday ? DayType::Weekend
                                                                            : DayType::Workday;
}

std::vector<std::chrono::year_month_day> HolidayCalendar::holidays() const {
  return toDates(m_holidays);
}

std::vector<std::chrono::year_month_day> HolidayCalendar::workdays() const {
  return toDates(m_workdays);
}

}  // namespace prepaid::domain
