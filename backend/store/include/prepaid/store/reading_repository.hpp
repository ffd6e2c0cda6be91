#pragma once

// Raw readings and their hourly/daily/monthly roll-ups (数据转存). Readings are written through
// Store::writeReadings (or ReadingBatchWriter) in batches; this interface reads them.

#include <array>
#include <cstdint>
#include <expected>
#include <optional>
#include <vector>

#include "prepaid/domain/rate.hpp"
#include "prepaid/domain/relay_state.hpp"
#include "prepaid/domain/time.hpp"
#include "prepaid/store/ids.hpp"
#include "prepaid/store/store_error.hpp"

namespace prepaid::store {

/// Energy per TOU rate, indexed by domain::indexOf(Rate), in 0.01 kWh (0.01 m³ for water).
using RateEnergies = std::array<std::int64_t, domain::RateCount>;

/// One snapshot as read from a meter.
struct Reading {
  ReadingId id = 0;  // assigned by the store
  MeterId meterId = 0;
  domain::Instant readAt{};                   // UTC
  std::int64_t energyTotalCentiKwh = 0;       // cumulative register
  RateEnergies energyByRateCentiKwh{};        // cumulative per-rate registers (0 when not metered)
  std::optional<std::int64_t> voltageDeciV;   // 0.1 V
  std::optional<std::int64_t> currentMilliA;  // mA
  std::optional<std::int64_t> powerW;         // W
  std::optional<std::int64_t> balanceFen;     // balance as reported by a meter-side meter
  std::optional<std::int64_t> purchaseCount;  // purchase count as reported by the meter
  std::optional<domain::RelayState> relay;
  std::int64_t statusBits = 0;  // the meter's raw status word(s)
};

enum class Granularity {
  Hour,
  Day,
  Month,
};

/// Consumption and charges of one meter in one site-local hour/day/month. Energy used between
/// two consecutive readings is counted in the period of the later reading; a counter that goes
/// backwards (meter reset/replacement) counts as zero.
struct Rollup {
  MeterId meterId = 0;
  Granularity granularity = Granularity::Hour;
  domain::Instant periodStart{};  // UTC instant of the site-local period start
  std::int64_t energyTotalCentiKwh = 0;
  RateEnergies energyByRateCentiKwh{};
  std::int64_t chargedFen = 0;    // sum of Charge entries (as a positive amount)
  std::int64_t allocatedFen = 0;  // sum of Allocation entries (as a positive amount)
  std::int64_t readingCount = 0;
};

struct ReadingBatchResult {
  std::int64_t written = 0;  // new readings stored (roll-ups updated)
  std::int64_t stale = 0;    // skipped: not newer than the meter's latest stored reading
};

class ReadingRepository {
 public:
  virtual ~ReadingRepository() = default;

  /// The newest reading of a meter, or nullopt.
  [[nodiscard]] virtual std::expected<std::optional<Reading>, StoreError> latest(
      MeterId meter) const = 0;
  /// Readings of a meter with from <= readAt < to, oldest first, at most `limit`.
  [[nodiscard]] virtual std::expected<std::vector<Reading>, StoreError> readings(
      MeterId meter, domain::Instant from, domain::Instant to, std::int64_t limit) const = 0;
  /// Roll-ups of a meter with from <= periodStart < to, oldest first. Periods without any
  /// reading or charge are absent.
  [[nodiscard]] virtual std::expected<std::vector<Rollup>, StoreError> rollups(
      MeterId meter, Granularity granularity, domain::Instant from, domain::Instant to) const = 0;

  /// Stores readings in this transaction (sorted per meter by time; stale ones skipped) and
  /// updates roll-ups. Prefer Store::writeReadings, which commits a batch with group durability.
  [[nodiscard]] virtual std::expected<ReadingBatchResult, StoreError> insert(
      const std::vector<Reading>& readings) = 0;
};

}  // namespace prepaid::store
