#pragma once

// Time conventions of the whole product. An instant is std::chrono::sys_seconds (UTC, whole
// seconds). Schedules (TOU periods, delayed-trip checks, report days) are in the site's local civil
// time, which is a fixed offset from UTC (default +08:00, Asia/Shanghai, no daylight saving). The
// domain never reads a clock: every "now" is a parameter.

#include <chrono>
#include <cstdint>

namespace prepaid::domain {

/// A point in time, UTC, whole seconds.
using Instant = std::chrono::sys_seconds;

/// Seconds in one civil day (no leap seconds, no DST at a fixed-offset site).
inline constexpr std::int64_t SecondsPerDay = 86400;

/// A site's local civil time: a fixed offset from UTC in minutes (valid range -14h..+14h).
struct SiteTimeZone {
  std::chrono::minutes utcOffset{480};  // Asia/Shanghai, UTC+8

  /// True when the offset is within -14:00..+14:00.
  [[nodiscard]] constexpr bool isValid() const {
    return utcOffset >= std::chrono::minutes(-14 * 60) &&
           utcOffset <= std::chrono::minutes(14 * 60);
  }

  /// The local wall-clock reading at an instant.
  [[nodiscard]] constexpr std::chrono::local_seconds toLocal(Instant instant) const {
    return std::chrono::local_seconds(instant.time_since_epoch() + utcOffset);
  }

  /// The instant at which the local wall clock reads `local` (unique: no DST).
  [[nodiscard]] constexpr Instant toInstant(std::chrono::local_seconds local) const {
    return Instant(local.time_since_epoch() - utcOffset);
  }

  /// The local calendar date at an instant.
  [[nodiscard]] constexpr std::chrono::year_month_day localDate(Instant instant) const {
    return std::chrono::year_month_day(std::chrono::floor<std::chrono::days>(toLocal(instant)));
  }

  /// The local weekday at an instant.
  [[nodiscard]] constexpr std::chrono::weekday localWeekday(Instant instant) const {
    return std::chrono::weekday(std::chrono::floor<std::chrono::days>(toLocal(instant)));
  }

  /// Seconds since local midnight at an instant, in [0, 86400).
  [[nodiscard]] constexpr std::chrono::seconds secondsOfDay(Instant instant) const {
    const auto local = toLocal(instant);
    return local - std::chrono::floor<std::chrono::days>(local);
  }

  /// The instant of local midnight starting `date`.
  [[nodiscard]] constexpr Instant startOfDay(std::chrono::year_month_day date) const {
    return toInstant(std::chrono::local_days(date));
  }

  /// The instant at `secondsOfDay` seconds after local midnight of `date` (values outside
  /// [0, 86400) roll into neighbouring days).
  [[nodiscard]] constexpr Instant instantAt(std::chrono::year_month_day date,
                                            std::chrono::seconds sinceMidnight) const {
    return toInstant(std::chrono::local_days(date) + sinceMidnight);
  }
};

}  // namespace prepaid::domain
