#pragma once

// RapidCheck-driven random valid tariffs for the property tests.

#include <algorithm>
#include <set>
#include <vector>

#include <rapidcheck.h>

#include "prepaid/domain/tariff.hpp"

namespace prepaid::domain::testing {

inline Rate anyRate() {
  return AllRates.at(static_cast<std::size_t>(*rc::gen::inRange(0, 4)));
}

inline DaySchedule anyDay() {
  const int periods = *rc::gen::inRange(1, static_cast<int>(MaxDailyPeriods) + 1);
  std::set<std::int32_t> cuts;
  while (static_cast<int>(cuts.size()) < periods - 1) {
    cuts.insert(*rc::gen::inRange(1, MinutesPerDay));
  }
  DaySchedule day;
  std::int32_t start = 0;
  for (const auto cut : cuts) {
    day.periods.push_back({start, cut, anyRate()});
    start = cut;
  }
  day.periods.push_back({start, MinutesPerDay, anyRate()});
  // Periods may be listed in any order.
  if (*rc::gen::arbitrary<bool>()) {
    std::reverse(day.periods.begin(), day.periods.end());
  }
  return day;
}

inline std::chrono::month_day monthDayOf(int dayOfLeapYear) {
  const std::chrono::year_month_day date(std::chrono::sys_days(std::chrono::year(2024) / 1 / 1) +
                                         std::chrono::days(dayOfLeapYear));
  return date.month() / date.day();
}

inline std::chrono::year_month_day anyDate() {
  return std::chrono::year_month_day(std::chrono::sys_days(std::chrono::year(2024) / 1 / 1) +
                                     std::chrono::days(*rc::gen::inRange(0, 800)));
}

inline Tariff anyTariff() {
  Tariff tariff;
  for (const auto rate : AllRates) {
    tariff.prices.at(indexOf(rate)) = UnitPrice::fromMicroYuan(*rc::gen::inRange(0, 3'000'000));
  }
  if (*rc::gen::inRange(0, 3) == 0) {
    tariff.kind = TariffKind::Flat;
  } else {
    tariff.kind = TariffKind::TimeOfUse;
    const auto makeSeason = [](std::chrono::month_day first, std::chrono::month_day last) {
      Season season;
      season.first = first;
      season.last = last;
      season.workday = anyDay();
      if (*rc::gen::arbitrary<bool>()) {
        season.weekend = anyDay();
      }
      if (*rc::gen::arbitrary<bool>()) {
        season.holiday = anyDay();
      }
      return season;
    };
    if (*rc::gen::arbitrary<bool>()) {
      tariff.seasons.push_back(makeSeason(std::chrono::January / 1, std::chrono::December / 31));
    } else {
      const int first = *rc::gen::inRange(0, 365);
      const int second = *rc::gen::inRange(first + 1, 366);
      tariff.seasons.push_back(makeSeason(monthDayOf(first), monthDayOf(second - 1)));
      tariff.seasons.push_back(
          makeSeason(monthDayOf(second), monthDayOf(first == 0 ? 365 : first - 1)));
    }
    std::vector<std::chrono::year_month_day> holidays;
    std::vector<std::chrono::year_month_day> workdays;
    const int holidayCount = *rc::gen::inRange(0, 20);
    for (int i = 0; i < holidayCount; ++i) {
      holidays.push_back(anyDate());
    }
    const int workdayCount = *rc::gen::inRange(0, 5);
    for (int i = 0; i < workdayCount; ++i) {
      workdays.push_back(anyDate());
    }
    tariff.calendar = HolidayCalendar(holidays, workdays);
  }
  if (*rc::gen::arbitrary<bool>()) {
    Tiering tiering;
    tiering.basis = *rc::gen::arbitrary<bool>() ? TierBasis::Monthly : TierBasis::Yearly;
    tiering.pricing = tariff.kind == TariffKind::Flat && *rc::gen::arbitrary<bool>()
                          ? TierPricing::StepPrice
                          : TierPricing::Surcharge;
    std::int64_t from = 0;
    const int tiers = *rc::gen::inRange(1, 5);
    for (int i = 0; i < tiers; ++i) {
      tiering.tiers.push_back(
          {Energy::fromCentiKwh(from), UnitPrice::fromMicroYuan(*rc::gen::inRange(0, 900'000))});
      from += *rc::gen::inRange(1, 30'000);
    }
    tariff.tiering = tiering;
  }
  return tariff;
}

}  // namespace prepaid::domain::testing
