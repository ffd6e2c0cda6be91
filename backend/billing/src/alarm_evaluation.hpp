#pragma once

// Alarm evaluation after a reading or a money operation: balance levels (alarm 1, alarm 2,
// arrears) through the domain's hysteresis state machine, overload and over/under voltage from a
// reading. A level is recorded once in the alarm repository: raised when entered, cleared when
// left (the repository keeps at most one open alarm per meter and kind).

#include <expected>
#include <string>
#include <vector>

#include "meter_context.hpp"

#include "prepaid/domain/alarm_policy.hpp"

namespace prepaid::backend::billing::detail {

struct AlarmEffects {
  std::vector<store::AlarmId> raised;
  std::vector<store::AlarmId> cleared;
  std::string problem;  // a configuration problem that skipped an evaluation (empty: none)
};

/// Opens (`active`) or clears an alarm of `kind` on the meter; records ids in `effects`.
/// `initial` Yes records a newly raised alarm as notified at once (nothing to announce).
[[nodiscard]] std::expected<void, BillingError> setAlarm(
    store::WriteTransaction& tx, store::MeterId meter, store::AlarmKind kind, bool active,
    domain::Instant at, const std::string& detail, store::Notified initial, AlarmEffects& effects);

/// The meter's balance thresholds (meter value, else site default) with the service's hysteresis.
[[nodiscard]] std::expected<domain::AlarmThresholds, std::string> thresholdsOf(
    const MeterContext& context, const SiteContext& site, const BillingOptions& options);

/// Steps the balance alarm state of `context` with its current balance and records level changes.
/// Updates context.state.balanceAlarm. Invalid thresholds skip the evaluation (effects.problem).
[[nodiscard]] std::expected<void, BillingError> evaluateBalanceAlarms(
    store::WriteTransaction& tx, MeterContext& context, const SiteContext& site,
    const BillingOptions& options, domain::BalanceChange change, domain::Instant at,
    AlarmEffects& effects);

/// Overload (power vs. threshold) and over/under voltage, when the reading reports them.
[[nodiscard]] std::expected<void, BillingError> evaluateReadingAlarms(
    store::WriteTransaction& tx, const MeterContext& context, const SiteContext& site,
    const BillingOptions& options, const store::Reading& reading, AlarmEffects& effects);

}  // namespace prepaid::backend::billing::detail
