#pragma once

// Tariffs (电价): flat, time-of-use (分时, up to four rates, up to 14 daily periods, up to two
// yearly seasons, special weekend and holiday schedules) and tiered by cumulative monthly or
// yearly energy (阶梯, step prices or surcharges, combinable with TOU via surcharges). A Tariff is
// plain data; validateTariff() says what is wrong with one. Effective dating is in
// tariff_history.hpp, the text form in tariff_codec.hpp.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "prepaid/domain/energy.hpp"
#include "prepaid/domain/holiday_calendar.hpp"
#include "prepaid/domain/money.hpp"
#include "prepaid/domain/rate.hpp"

namespace prepaid::domain {

inline constexpr std::size_t MaxDailyPeriods = 14;
inline constexpr std::size_t MaxSeasons = 2;
inline constexpr std::size_t MaxTiers = 16;
inline constexpr std::int32_t MinutesPerDay = 1440;

/// One daily TOU period [startMinute, endMinute) in local minutes since midnight (0..1440).
/// A period does not wrap midnight: 22:00-06:00 is written as 22:00-24:00 and 00:00-06:00.
struct TouPeriod {
  std::int32_t startMinute = 0;
  std::int32_t endMinute = MinutesPerDay;
  Rate rate = Rate::Flat;
  bool operator==(const TouPeriod&) const = default;
};

/// The periods of one day; together they cover 00:00-24:00 exactly once (at most 14 periods).
struct DaySchedule {
  std::vector<TouPeriod> periods;
  bool operator==(const DaySchedule&) const = default;
};

/// A yearly zone (时区/季节): the local dates first..last inclusive (may wrap the year end, e.g.
/// 11-01..02-28) and its day schedules. Weekend and holiday schedules are optional: a weekend
/// without one uses the workday schedule; a holiday without one uses the weekend schedule if any.
struct Season {
  std::chrono::month_day first{std::chrono::January / 1};
  std::chrono::month_day last{std::chrono::December / 31};
  DaySchedule workday;
  std::optional<DaySchedule> weekend;
  std::optional<DaySchedule> holiday;
  bool operator==(const Season&) const = default;
};

enum class TariffKind {
  Flat,       // one price (prices[Flat]) at all times
  TimeOfUse,  // price by rate; the rate by season, day type and time of day
};

enum class TierBasis {
  Monthly,  // cumulative energy since local midnight of the 1st of the month
  Yearly,   // cumulative energy since local midnight of January 1st
};

enum class TierPricing {
  Surcharge,  // unit price = rate price + tier price (works with flat and TOU)
  StepPrice,  // unit price = tier price, replacing the rate price (flat tariffs only)
};

/// A tier applies to cumulative energy from `from` (inclusive) up to the next tier's `from`.
struct Tier {
  Energy from;
  UnitPrice price;  // surcharge or step price, by TierPricing
  bool operator==(const Tier&) const = default;
};

struct Tiering {
  TierBasis basis = TierBasis::Monthly;
  TierPricing pricing = TierPricing::Surcharge;
  std::vector<Tier> tiers;  // first from 0, strictly increasing, at most MaxTiers
  bool operator==(const Tiering&) const = default;
};

/// A complete price schedule. Validate with validateTariff() before use.
struct Tariff {
  TariffKind kind = TariffKind::Flat;
  std::array<std::optional<UnitPrice>, RateCount> prices{};  // indexed by indexOf(Rate)
  std::vector<Season> seasons;                               // TOU only: 1..MaxSeasons
  HolidayCalendar calendar;                                  // TOU day types
  std::optional<Tiering> tiering;

  /// A flat tariff at `price` per unit.
  [[nodiscard]] static Tariff flat(UnitPrice price);

  bool operator==(const Tariff&) const = default;
};

enum class TariffErrorCode {
  Syntax,               // decode: a line that cannot be read
  UnsupportedFormat,    // decode: missing or unknown header/version
  UnknownRate,          // a rate name that is not sharp/peak/flat/valley, or a rate with no price
  MissingPrice,         // the tariff's kind needs a price that is not given
  NegativePrice,        // a price or tier price below zero
  InvalidPeriod,        // a period outside 00:00-24:00 or not starting before it ends
  TooManyPeriods,       // more than 14 periods in one day
  OverlappingPeriods,   // two periods share time
  GappedPeriods,        // part of the day has no period
  InvalidSeason,        // bad date, too many or no seasons, or seasons on a flat tariff
  OverlappingSeasons,   // a date in two seasons
  GappedSeasons,        // a date in no season
  TiersNotIncreasing,   // tier thresholds not strictly increasing
  InvalidTiers,         // no tier, first tier not from 0, too many, or step prices with TOU
  ConflictingVersions,  // tariff history: versions not strictly increasing in effective time
};

/// What is wrong, in words that name the offending item; `line` is set (1-based) by decoding.
struct TariffError {
  TariffErrorCode code = TariffErrorCode::Syntax;
  std::string message;
  std::size_t line = 0;
  bool operator==(const TariffError&) const = default;
};

/// Checks every rule above; the first violation found is returned.
[[nodiscard]] std::expected<void, TariffError> validateTariff(const Tariff& tariff);

/// "HH:MM" for a minute of the day (1440 -> "24:00").
[[nodiscard]] std::string formatMinuteOfDay(std::int32_t minute);

}  // namespace prepaid::domain
