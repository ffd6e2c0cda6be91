#pragma once

// From two register readings of one meter to the energy consumed between them. Registers count up
// and roll over at a modulus (a 6+2 digit register goes 999999.99 -> 0.00); a reading below the
// previous one without a believable rollover is an anomaly, never a negative consumption; a meter
// replacement (a new installation number) starts a new baseline.

#include <array>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>

#include "prepaid/domain/energy.hpp"
#include "prepaid/domain/rate.hpp"
#include "prepaid/domain/time.hpp"

namespace prepaid::domain {

/// One reading of a meter's registers.
struct MeterReading {
  Instant at;                     // when the meter was read (UTC)
  std::int64_t installation = 0;  // changes when the meter is replaced
  Energy total;                   // total active energy register
  std::optional<std::array<Energy, RateCount>>
      perRate;  // 尖峰平谷 registers, when the meter has them
  bool operator==(const MeterReading&) const = default;
};

/// The register geometry of a meter model.
struct RegisterLimits {
  Energy modulus = Energy::fromCentiKwh(100'000'000);  // registers count 0 .. modulus-1 (999999.99)
  Energy maxDelta =
      Energy::fromCentiKwh(10'000'000);  // largest believable use between two readings
};

/// Energy used between two readings, ready for rating.
struct Consumption {
  Instant start;
  Instant end;
  Energy total;
  std::optional<std::array<Energy, RateCount>> perRate;  // deltas of the rate registers, if known
  bool operator==(const Consumption&) const = default;
};

enum class Continuity {
  Continuous,   // same meter, registers moved forward
  Rollover,     // at least one register wrapped past its modulus
  NewBaseline,  // the meter was replaced: no consumption between these readings is known
};

struct ReadingDelta {
  Consumption consumption;
  Continuity continuity = Continuity::Continuous;
};

enum class ReadingAnomalyKind {
  OutOfRange,         // a register value below 0 or at/above the modulus
  WentBackwards,      // lower than the previous reading and not a believable rollover
  ImplausibleJump,    // forward by more than RegisterLimits::maxDelta
  TimeWentBackwards,  // the reading is older than the previous one
  EnergyWithoutTime,  // energy consumed in zero seconds
};

/// What was wrong and in which register (nullopt: the total register).
struct ReadingAnomaly {
  ReadingAnomalyKind kind = ReadingAnomalyKind::WentBackwards;
  std::optional<Rate> rateRegister;
  Energy previous;
  Energy current;
  /// A one-line English description ("total register went backwards: 1500.00 -> 1499.00").
  [[nodiscard]] std::string describe() const;
};

/// The consumption between `previous` and `current` (same meter, in time order). A register that
/// is lower than before counts as a rollover only if the wrapped consumption is at most
/// limits.maxDelta; otherwise it is a WentBackwards anomaly. A changed installation number gives
/// NewBaseline with zero consumption. Per-rate deltas are given only when both readings have them.
[[nodiscard]] std::expected<ReadingDelta, ReadingAnomaly> readingDelta(
    const MeterReading& previous, const MeterReading& current, const RegisterLimits& limits = {});

}  // namespace prepaid::domain
