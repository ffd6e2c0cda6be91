#pragma once

// Which kind of day a local date is, for TOU day schedules and the delayed-trip policy. Saturday
// and Sunday are weekend days; the calendar lists public holidays (节假日) and the weekend days
// that are worked instead (调休 make-up workdays).

#include <chrono>
#include <optional>
#include <string_view>
#include <vector>

namespace prepaid::domain {

enum class DayType {
  Workday,
  Weekend,
  Holiday,
};

/// "workday", "weekend", "holiday".
[[nodiscard]] constexpr std::string_view toString(DayType type) {
  switch (type) {
    case DayType::Workday:
      return "workday";
    case DayType::Weekend:
      return "weekend";
    case DayType::Holiday:
      return "holiday";
  }
  return "unknown";
}

/// Parses a name produced by toString(DayType); nullopt for anything else.
[[nodiscard]] constexpr std::optional<DayType> parseDayType(std::string_view name) {
  for (const auto type : {DayType::Workday, DayType::Weekend, DayType::Holiday}) {
    if (toString(type) == name) {
      return type;
    }
  }
  return std::nullopt;
}

/// A set of holiday dates and make-up workdays (local dates). Cheap lookups (sorted vectors).
class HolidayCalendar {
 public:
  HolidayCalendar() = default;
  /// Dates may be given in any order and repeat; a date listed as both holiday and workday
  /// counts as a holiday.
  HolidayCalendar(std::vector<std::chrono::year_month_day> holidays,
                  std::vector<std::chrono::year_month_day> workdays);

  /// Holiday if listed as a holiday; Workday if listed as a make-up workday; otherwise Weekend on
  /// Saturday/Sunday and Workday on the other days.
  [[nodiscard]] DayType dayType(std::chrono::sys_days localDate) const;
  [[nodiscard]] DayType dayType(std::chrono::year_month_day localDate) const {
    return dayType(std::chrono::sys_days(localDate));
  }

  /// The listed dates, sorted and without repeats.
  [[nodiscard]] std::vector<std::chrono::year_month_day> holidays() const;
  [[nodiscard]] std::vector<std::chrono::year_month_day> workdays() const;

  bool operator==(const HolidayCalendar&) const = default;

 private:
  std::vector<std::chrono::sys_days> m_holidays;  // sorted, unique
  std::vector<std::chrono::sys_days> m_workdays;  // sorted, unique
};

}  // namespace prepaid::domain
