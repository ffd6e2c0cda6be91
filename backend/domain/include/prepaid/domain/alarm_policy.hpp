#pragma once

// Alarm policy (DOMAIN.md "Alarms and control"): balance levels with hysteresis and one
// notification per downward crossing, overload, lost contact and purchase-count mismatch. Pure
// state machines: the caller stores the small state structs and feeds in each new observation.

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "prepaid/domain/money.hpp"

namespace prepaid::domain {

/// Balance levels, from best to worst. Normal: balance >= alarm1; Alarm1: below alarm1;
/// Alarm2: below alarm2; Arrears: balance <= 0.
enum class BalanceLevel {
  Normal,
  Alarm1,   // 报警1
  Alarm2,   // 报警2
  Arrears,  // 欠费
};

/// "normal", "alarm1", "alarm2", "arrears".
[[nodiscard]] std::string_view toString(BalanceLevel level);
[[nodiscard]] std::optional<BalanceLevel> parseBalanceLevel(std::string_view name);

/// A meter's balance thresholds. alarm1 > alarm2 > 0; 0 <= hysteresis < alarm2.
struct AlarmThresholds {
  Money alarm1 = Money::fromFen(5000);     // 50.00 yuan
  Money alarm2 = Money::fromFen(1000);     // 10.00 yuan
  Money hysteresis = Money::fromFen(100);  // leave a level upward only this far above its threshold
  bool operator==(const AlarmThresholds&) const = default;
};

enum class AlarmConfigError {
  Alarm2NotPositive,     // alarm2 <= 0
  Alarm1NotAboveAlarm2,  // alarm1 <= alarm2
  BadHysteresis,         // negative, or not below alarm2
};

[[nodiscard]] std::string_view describe(AlarmConfigError error);

/// Checks the ordering rules above.
[[nodiscard]] std::expected<void, AlarmConfigError> validateThresholds(
    const AlarmThresholds& thresholds);

/// The level of a balance with no hysteresis.
[[nodiscard]] BalanceLevel levelOf(Money balance, const AlarmThresholds& thresholds);

/// What the balance alarm remembers per meter.
struct BalanceAlarmState {
  BalanceLevel level = BalanceLevel::Normal;     // current level (with hysteresis)
  BalanceLevel notified = BalanceLevel::Normal;  // worst level notified since the last recharge
  bool operator==(const BalanceAlarmState&) const = default;
};

enum class BalanceChange {
  Consumption,  // charges, allocations, corrections, refunds: anything but a recharge
  Recharge,     // a recharge (or transfer in): re-arms the notifications
};

struct BalanceAlarmStep {
  BalanceAlarmState state;
  std::optional<BalanceLevel> notify;  // set once per downward crossing: the level to announce
};

/// The new state after the balance became `balance`. Going down is immediate; going up without a
/// recharge needs the balance to clear the threshold by the hysteresis, so a balance hovering at
/// a threshold does not flap. A level worse than any notified since the last recharge is
/// notified once (skipping levels notifies only the worst). A recharge sets the level without
/// hysteresis and re-arms notifications from the new level.
[[nodiscard]] BalanceAlarmStep evaluateBalance(const BalanceAlarmState& state, Money balance,
                                               BalanceChange change,
                                               const AlarmThresholds& thresholds);

/// Overload (power above the meter's threshold), with hysteresis on the way back.
struct OverloadStep {
  bool overloaded = false;
  bool raised = false;   // crossed into overload now: notify once
  bool cleared = false;  // left overload now
};

/// Overloaded when powerW > thresholdW; it clears only when powerW <= thresholdW - hysteresisW.
[[nodiscard]] OverloadStep evaluateOverload(bool overloaded, std::int64_t powerW,
                                            std::int64_t thresholdW, std::int64_t hysteresisW = 0);

/// Lost contact (失联): N consecutive failed reads.
struct ContactState {
  std::int32_t consecutiveFailures = 0;
  bool lost = false;
  bool operator==(const ContactState&) const = default;
};

enum class ReadOutcome {
  Success,
  Failure,
};

struct ContactStep {
  ContactState state;
  bool lostNow = false;      // became lost with this failure: notify once
  bool restoredNow = false;  // answered again after being lost
};

/// Counts failures; lost at `failuresForLost` (>= 1) consecutive failures; one success restores.
[[nodiscard]] ContactStep evaluateContact(const ContactState& state, ReadOutcome outcome,
                                          std::int32_t failuresForLost);

/// Purchase-count comparison (比对充值次数) for meter-side prepaid meters.
enum class PurchaseCountCheck {
  Match,
  MeterBehind,  // the meter has not applied a recharge the backend sold (retry may be due)
  MeterAhead,   // the meter counts a sale the backend does not know (possible fraud)
};

/// Compares the backend's count with the meter's; any mismatch is an alarm and blocks sales on
/// that meter until staff resolve it.
[[nodiscard]] PurchaseCountCheck checkPurchaseCount(std::int64_t backendCount,
                                                    std::int64_t meterCount);

}  // namespace prepaid::domain
