#pragma once

// Trip policy (DOMAIN.md "Alarms and control"): when a server-side meter in arrears is tripped.

#include <chrono>
#include <expected>
#include <optional>
#include <string_view>

#include "prepaid/domain/holiday_calendar.hpp"
#include "prepaid/domain/money.hpp"
#include "prepaid/domain/relay_state.hpp"
#include "prepaid/domain/time.hpp"

namespace prepaid::domain {

enum class TripPolicyKind {
  Immediate,  // 欠费即跳闸: trip as soon as the account is in arrears
  Never,      // 欠费不跳闸: never trip for arrears
  Delayed,    // 欠费延时跳闸: trip at the configured check time of day
};

/// "immediate", "never", "delayed".
[[nodiscard]] constexpr std::string_view toString(TripPolicyKind kind) {
  switch (kind) {
    case TripPolicyKind::Immediate:
      return "immediate";
    case TripPolicyKind::Never:
      return "never";
    case TripPolicyKind::Delayed:
      return "delayed";
  }
  return "unknown";
}

/// Parses a name produced by toString(TripPolicyKind); nullopt for anything else.
[[nodiscard]] constexpr std::optional<TripPolicyKind> parseTripPolicyKind(std::string_view name) {
  for (const auto kind :
       {TripPolicyKind::Immediate, TripPolicyKind::Never, TripPolicyKind::Delayed}) {
    if (toString(kind) == name) {
      return kind;
    }
  }
  return std::nullopt;
}

/// Whether delayed trips may happen in the night window / on holidays.
enum class QuietTimeTrips {
  Deferred,  // wait until the quiet time is over (default)
  Allowed,   // trip then as well
};

/// A local time-of-day window [start, end); it wraps midnight when end <= start (22:00-06:00).
struct DailyWindow {
  std::chrono::seconds start{std::chrono::hours(22)};
  std::chrono::seconds end{std::chrono::hours(6)};
  bool operator==(const DailyWindow&) const = default;
  /// True when `secondOfDay` lies in the window.
  [[nodiscard]] bool contains(std::chrono::seconds secondOfDay) const;
};

/// A meter's trip configuration.
struct TripPolicy {
  TripPolicyKind kind = TripPolicyKind::Immediate;
  std::chrono::seconds checkTime{std::chrono::hours(10)};  // Delayed: daily local check time
  DailyWindow night;                                       // Delayed: quiet night window
  QuietTimeTrips nightTrips = QuietTimeTrips::Deferred;
  QuietTimeTrips holidayTrips = QuietTimeTrips::Deferred;
  Money closeAllowed = Money::zero();  // reclose once the balance is above this (合闸允许金额)
  bool operator==(const TripPolicy&) const = default;
};

enum class TripPolicyError {
  CheckTimeOutOfDay,     // checkTime not in [0, 24h)
  NightWindowOutOfDay,   // night start/end not in [0, 24h)
  CheckTimeAtNight,      // the check time falls in the night window while night trips are deferred
  NegativeCloseAllowed,  // closeAllowed below zero
};

[[nodiscard]] std::string_view describe(TripPolicyError error);

/// Checks the rules above.
[[nodiscard]] std::expected<void, TripPolicyError> validateTripPolicy(const TripPolicy& policy);

enum class KeepPower {
  Off,  // prepaid control (恢复预付费)
  On,   // 保电: relay forced closed, overrides everything
};

/// Why a relay is open, when it is.
enum class OpenCause {
  Policy,    // tripped by this policy (arrears): a recharge recloses it
  Operator,  // tripped by staff: only staff close it
};

/// What the policy looks at.
struct ControlInputs {
  Money balance;
  RelayState relay = RelayState::Closed;
  KeepPower keepPower = KeepPower::Off;
  OpenCause openCause = OpenCause::Policy;  // meaningful when relay == Open
  std::optional<Instant> arrearsSince;      // when the balance last fell to <= 0 (Delayed)
  Instant now;
};

enum class RelayCommand {
  Trip,   // 拉闸
  Close,  // 合闸
};

[[nodiscard]] std::string_view toString(RelayCommand command);

enum class TripReason {
  KeepPower,          // keep-power is on (a Close if the relay was open)
  NotInArrears,       // balance above zero: nothing to do
  PolicyNever,        // in arrears but the policy never trips
  ArrearsImmediate,   // Trip: in arrears, immediate policy
  DelayedCheckDue,    // Trip: in arrears at a due daily check
  WaitingForCheck,    // in arrears, the next daily check is later (see nextCheck)
  NightQuietHours,    // a check is due but it is night
  Holiday,            // a check is due but today is a holiday
  BalanceRestored,    // Close: the balance is above the close-allowed amount again
  BelowCloseAllowed,  // open and the balance is not above the close-allowed amount yet
  OpenedByOperator,   // open by staff: not closed automatically
};

[[nodiscard]] std::string_view toString(TripReason reason);

/// The decision: a command to send (or none) and why; nextCheck says when a later evaluation
/// could change the answer (Delayed policy waiting for a check or for quiet hours to end).
struct TripDecision {
  std::optional<RelayCommand> command;
  TripReason reason = TripReason::NotInArrears;
  std::optional<Instant> nextCheck;
  bool operator==(const TripDecision&) const = default;
};

/// Decides the relay command. Order: keep-power; an open relay recloses when the balance is above
/// closeAllowed (unless opened by an operator); a closed relay trips in arrears (balance <= 0) by
/// the policy kind. Delayed: trips at the first daily check time at or after arrearsSince that is
/// not on a holiday (unless holidayTrips is Allowed), and never in the night window unless
/// nightTrips is Allowed. Precondition: validateTripPolicy(policy) succeeded.
[[nodiscard]] TripDecision decideRelay(const TripPolicy& policy, const ControlInputs& inputs,
                                       const SiteTimeZone& zone, const HolidayCalendar& calendar);

}  // namespace prepaid::domain
