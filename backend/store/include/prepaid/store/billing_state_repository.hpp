#pragma once

// What billing remembers per meter between readings (migration 2): the register baseline of the
// last processed reading, the rating state (monthly/yearly usage for tiers, the sub-fen carry), the
// balance alarm level, and what the trip policy needs (arrears since, who opened the relay).
// Written by the billing service in the same Durability::Full transaction as the charge it
// posts, so a crash never separates a charge from the state that produced it.

#include <expected>
#include <optional>
#include <string>

#include "prepaid/domain/alarm_policy.hpp"
#include "prepaid/domain/rater.hpp"
#include "prepaid/domain/time.hpp"
#include "prepaid/store/ids.hpp"
#include "prepaid/store/reading_repository.hpp"
#include "prepaid/store/store_error.hpp"

namespace prepaid::store {

/// The registers of the last reading billing rated from (the start of the next interval).
struct RegisterBaseline {
  domain::Instant readAt{};
  std::int64_t energyTotalCentiKwh = 0;
  std::optional<RateEnergies> energyByRateCentiKwh;  // when the meter reports 尖峰平谷 registers
};

/// Who opened a meter's relay, as far as billing knows.
enum class RelayOpener {
  Unknown,  // not opened by billing (staff, or never tripped)
  Billing,  // billing enqueued a Trip for arrears: a recharge recloses it
};

struct MeterBillingState {
  MeterId meterId = 0;
  std::optional<domain::Instant> processedThrough;  // newest reading processed (any outcome)
  std::optional<RegisterBaseline> baseline;         // nullopt: the next reading is a baseline
  domain::MeterRatingState rating;                  // tier counters + FenCarry
  domain::BalanceAlarmState balanceAlarm;           // level with hysteresis, level notified
  std::optional<domain::Instant> arrearsSince;      // when the balance last fell to <= 0
  RelayOpener relayOpener = RelayOpener::Unknown;
  std::string lastAnomaly;  // last register/mirror anomaly (empty: none), for staff
  std::optional<domain::Instant> lastAnomalyAt;
  domain::Instant updatedAt{};
};

class BillingStateRepository {
 public:
  virtual ~BillingStateRepository() = default;

  /// The state of a meter, or nullopt when billing never processed it.
  [[nodiscard]] virtual std::expected<std::optional<MeterBillingState>, StoreError> state(
      MeterId meter) const = 0;
  /// Inserts or replaces the state of state.meterId. Constraint for an unknown meter;
  /// InvalidArgument for negative usage counters.
  [[nodiscard]] virtual std::expected<void, StoreError> save(const MeterBillingState& state) = 0;
};

}  // namespace prepaid::store
