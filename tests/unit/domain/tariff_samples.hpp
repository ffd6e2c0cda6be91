#pragma once

// Sample tariffs shared by the domain tests.

#include "prepaid/domain/tariff.hpp"

namespace prepaid::domain::samples {

inline constexpr std::int32_t hm(std::int32_t hours, std::int32_t minutes = 0) {
  return hours * 60 + minutes;
}

/// A Shanghai-like TOU tariff: valley 00-08 / 22-24, peak 08-11 / 13-15 / 18-21, sharp 11-13 in
/// summer workdays (07-01..09-30), flat otherwise; weekends all flat; holidays all valley.
inline Tariff touTariff() {
  Tariff tariff;
  tariff.kind = TariffKind::TimeOfUse;
  tariff.prices.at(indexOf(Rate::Sharp)) = UnitPrice::fromMicroYuan(1'500'000);
  tariff.prices.at(indexOf(Rate::Peak)) = UnitPrice::fromMicroYuan(1'100'000);
  tariff.prices.at(indexOf(Rate::Flat)) = UnitPrice::fromMicroYuan(700'000);
  tariff.prices.at(indexOf(Rate::Valley)) = UnitPrice::fromMicroYuan(300'000);
  Season summer;
  summer.first = std::chrono::July / 1;
  summer.last = std::chrono::September / 30;
  summer.workday.periods = {
      {hm(0), hm(8), Rate::Valley}, {hm(8), hm(11), Rate::Peak},    {hm(11), hm(13), Rate::Sharp},
      {hm(13), hm(15), Rate::Peak}, {hm(15), hm(18), Rate::Flat},   {hm(18), hm(21), Rate::Peak},
      {hm(21), hm(22), Rate::Flat}, {hm(22), hm(24), Rate::Valley},
  };
  summer.weekend = DaySchedule{{{hm(0), hm(24), Rate::Flat}}};
  summer.holiday = DaySchedule{{{hm(0), hm(24), Rate::Valley}}};
  Season rest;
  rest.first = std::chrono::October / 1;
  rest.last = std::chrono::June / 30;
  rest.workday.periods = {
      {hm(0), hm(8), Rate::Valley}, {hm(8), hm(11), Rate::Peak},  {hm(11), hm(18), Rate::Flat},
      {hm(18), hm(21), Rate::Peak}, {hm(21), hm(22), Rate::Flat}, {hm(22), hm(24), Rate::Valley},
  };
  rest.weekend = DaySchedule{{{hm(0), hm(24), Rate::Flat}}};
  tariff.seasons = {summer, rest};
  using namespace std::chrono;
  tariff.calendar =
      HolidayCalendar({2024y / October / 1d, 2024y / October / 2d, 2024y / October / 3d},
                      {2024y / September / 29d, 2024y / October / 12d});
  return tariff;
}

/// touTariff() plus monthly surcharges: +0.05 yuan above 200 kWh, +0.30 yuan above 400 kWh.
inline Tariff touTieredTariff() {
  Tariff tariff = touTariff();
  tariff.tiering = Tiering{TierBasis::Monthly,
                           TierPricing::Surcharge,
                           {{Energy::zero(), UnitPrice::fromMicroYuan(0)},
                            {Energy::fromCentiKwh(20'000), UnitPrice::fromMicroYuan(50'000)},
                            {Energy::fromCentiKwh(40'000), UnitPrice::fromMicroYuan(300'000)}}};
  return tariff;
}

}  // namespace prepaid::domain::samples
