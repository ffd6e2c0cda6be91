#pragma once

// Rating (server-side billing, 远程费控): turns the energy a meter used between two readings into
// charge lines under the meter's tariff history.
//
// How energy is attributed:
//   * The interval [start, end) is cut at tariff-version effective instants, at local midnights
//     (so tier cycles and day types switch exactly) and at TOU period boundaries.
//   * With per-rate register deltas (and a TOU version in the interval), each rate's energy comes
//     from the registers (the total is split onto rates in proportion to the register deltas), and
//     within a rate it is spread over the cuts of that rate in proportion to time.
//   * Without registers, the total is split over the cuts in proportion to time (seconds).
//   * Every split is a largest-remainder split of whole 0.01 kWh, so nothing is lost or invented.
//   * Cuts are rated in time order; tier thresholds are crossed exactly at the 0.01 kWh where the
//     cumulative monthly/yearly energy reaches them.
//   * Amounts are exact (PreciseMoney); the whole fen to post come from the meter's FenCarry.

#include <array>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "prepaid/domain/energy.hpp"
#include "prepaid/domain/money.hpp"
#include "prepaid/domain/reading.hpp"
#include "prepaid/domain/tariff_history.hpp"
#include "prepaid/domain/time.hpp"

namespace prepaid::domain {

/// What rating remembers per meter between intervals (persist all four fields).
struct MeterRatingState {
  std::optional<std::chrono::year_month> usageMonth;  // local month of the counters; none yet
  Energy monthUsage;                                  // energy rated so far in usageMonth
  Energy yearUsage;                                   // energy rated so far in usageMonth's year
  FenCarry carry;                                     // sub-fen remainder not yet posted
  bool operator==(const MeterRatingState&) const = default;
};

/// One priced part of a rating: `energy` at `unitPrice` costs exactly `amount`.
struct ChargeLine {
  Rate rate = Rate::Flat;  // the TOU rate (Flat for flat tariffs)
  std::uint8_t tier = 0;   // 0-based tier index (0 without tiering)
  Energy energy;
  UnitPrice unitPrice;  // rate price, plus the tier surcharge (or the step price)
  PreciseMoney amount;  // energy x unitPrice, exact
  bool operator==(const ChargeLine&) const = default;
};

enum class EnergySplit {
  None,              // no energy to attribute
  TimeProportional,  // split by time over TOU periods
  Registers,         // per-rate registers decided the rate of the energy
};

struct RatingResult {
  std::vector<ChargeLine> lines;  // merged by (rate, tier, unit price), in first-use order
  Energy energy;                  // sum of the lines' energy (= the consumption's total)
  PreciseMoney amount;            // sum of the lines' amounts
  Money postedFen;                // whole fen to post as a charge now (from the carry)
  MeterRatingState after;         // state to persist for the next interval
  EnergySplit split = EnergySplit::None;
};

enum class RatingErrorCode {
  NoTariffInEffect,   // the interval starts before the first tariff version
  EndBeforeStart,     // end earlier than start
  EnergyWithoutTime,  // energy in a zero-length interval
  IntervalTooLong,    // longer than MaxRatingIntervalDays
  OutOfOrder,         // the interval is in an earlier month than the state's counters
  NegativeEnergy,     // a negative total, register delta or state counter
  Overflow,           // an amount does not fit in int64 nano-yuan
  RegisterAnomaly,    // rateReadings(): the readings do not give a consumption
};

struct RatingError {
  RatingErrorCode code = RatingErrorCode::Overflow;
  std::string message;
};

/// A maximal run of time at one rate under one tariff version.
struct RateSpan {
  Instant start;
  Instant end;
  Rate rate = Rate::Flat;
  std::size_t version = 0;  // index into TariffHistory::versions()
  bool operator==(const RateSpan&) const = default;
};

inline constexpr std::int64_t MaxRatingIntervalDays = 400;

/// Rates consumptions under one tariff history in one site time zone. Immutable after
/// construction, so one Rater may serve many threads.
class Rater {
 public:
  /// Precondition: zone.isValid().
  Rater(TariffHistory history, SiteTimeZone zone);
  ~Rater();
  Rater(const Rater&);
  Rater(Rater&&) noexcept;
  Rater& operator=(const Rater&);
  Rater& operator=(Rater&&) noexcept;

  /// Rates `consumption` given the meter's state before it; see the file comment. Errors:
  /// NoTariffInEffect, EndBeforeStart, EnergyWithoutTime, IntervalTooLong, OutOfOrder,
  /// NegativeEnergy, Overflow.
  [[nodiscard]] std::expected<RatingResult, RatingError> rate(const Consumption& consumption,
                                                              const MeterRatingState& before) const;

  /// readingDelta() then rate(). A meter replacement (NewBaseline) rates nothing and keeps the
  /// state; a reading anomaly is RegisterAnomaly with the anomaly's description.
  [[nodiscard]] std::expected<RatingResult, RatingError> rateReadings(
      const MeterReading& previous, const MeterReading& current, const MeterRatingState& before,
      const RegisterLimits& limits = {}) const;

  /// The rates in force over [start, end), as maximal runs (for usage-by-rate views and tests).
  [[nodiscard]] std::expected<std::vector<RateSpan>, RatingError> splitByRate(Instant start,
                                                                              Instant end) const;

  /// Unit prices per rate at `at` for a meter in state `state` (tier by its current cumulative
  /// energy); nullopt for rates the tariff does not price. Error NoTariffInEffect.
  [[nodiscard]] std::expected<std::array<std::optional<UnitPrice>, RateCount>, RatingError>
  unitPricesAt(Instant at, const MeterRatingState& state) const;

  [[nodiscard]] const TariffHistory& history() const { return m_history; }
  [[nodiscard]] SiteTimeZone zone() const { return m_zone; }

 private:
  struct Compiled;
  struct Segment;
  template <typename Sink>
  [[nodiscard]] std::expected<void, RatingError> segments(Instant start, Instant end,
                                                          Sink&& sink) const;

  TariffHistory m_history;
  SiteTimeZone m_zone;
  std::vector<Compiled> m_compiled;
};

}  // namespace prepaid::domain
