#include "prepaid/domain/trip_policy.hpp"

namespace prepaid::domain {
namespace {

constexpr std::chrono::seconds Day{SecondsPerDay};

bool inDay(std::chrono::seconds value) {
  return value >= std::chrono::seconds(0) && value < Day;
}

TripDecision decision(std::optional<RelayCommand> command, TripReason reason,
                      std::optional<Instant> nextCheck = std::nullopt) {
  return TripDecision{command, reason, nextCheck};
}

// The first daily check instant at or after `from` on a day the policy may trip.
Instant firstCheckAtOrAfter(Instant from, const TripPolicy& policy, const SiteTimeZone& zone,
                            const HolidayCalendar& calendar) {
  auto date = std::chrono::sys_days(zone.localDate(from));
  Instant check = zone.instantAt(std::chrono::year_month_day(date), policy.checkTime);
  if (check < from) {
    date += std::chrono::days(1);
    check = zone.instantAt(std::chrono::year_month_day(date), policy.checkTime);
  }
  // Holiday runs are short (a week at most in practice); 366 bounds the loop regardless.
  for (int i = 0; i < 366 && policy.holidayTrips == QuietTimeTrips::Deferred &&
                  calendar.dayType(date) == DayType::Holiday;
       ++i) {
    date += std::chrono::days(1);
    check = zone.instantAt(std::chrono::year_month_day(date), policy.checkTime);
  }
  return check;
}

}  // namespace

bool DailyWindow::contains(std::chrono::seconds secondOfDay) const {
  if (start == end) {
    return false;
  }
  if (start < end) {
    return secondOfDay >= start && secondOfDay < end;
  }
  return secondOfDay >= start || secondOfDay < end;
}

std::string_view describe(TripPolicyError error) {
  switch (error) {
    case TripPolicyError::CheckTimeOutOfDay:
      return "the delayed-trip check time must be within 00:00-24:00";
    case TripPolicyError::NightWindowOutOfDay:
      return "the night window must start and end within 00:00-24:00";
    case TripPolicyError::CheckTimeAtNight:
      return "the delayed-trip check time falls in the night window, where trips are deferred";
    case TripPolicyError::NegativeCloseAllowed:
      return "the close-allowed amount must not be negative";
  }
  return "invalid trip policy";
}

std::expected<void, TripPolicyError> validateTripPolicy(const TripPolicy& policy) {
  if (!inDay(policy.checkTime)) {
    return std::unexpected(TripPolicyError::CheckTimeOutOfDay);
  }
  if (!inDay(policy.night.start) || !inDay(policy.night.end)) {
    return std::unexpected(TripPolicyError::NightWindowOutOfDay);
  }
  if (policy.kind == TripPolicyKind::Delayed && policy.nightTrips == QuietTimeTrips::Deferred &&
      policy.night.contains(policy.checkTime)) {
    return std::unexpected(TripPolicyError::CheckTimeAtNight);
  }
  if (policy.closeAllowed < Money::zero()) {
    return std::unexpected(TripPolicyError::NegativeCloseAllowed);
  }
  return {};
}

std::string_view toString(RelayCommand command) {
  return command == RelayCommand::Trip ? "trip" : "close";
}

std::string_view toString(TripReason reason) {
  switch (reason) {
    case TripReason::KeepPower:
      return "keep_power";
    case TripReason::NotInArrears:
      return "not_in_arrears";
    case TripReason::PolicyNever:
      return "policy_never";
    case TripReason::ArrearsImmediate:
      return "arrears_immediate";
    case TripReason::DelayedCheckDue:
      return "delayed_check_due";
    case TripReason::WaitingForCheck:
      return "waiting_for_check";
    case TripReason::NightQuietHours:
      return "night_quiet_hours";
    case TripReason::Holiday:
      return "holiday";
    case TripReason::BalanceRestored:
      return "balance_restored";
    case TripReason::BelowCloseAllowed:
      return "below_close_allowed";
    case TripReason::OpenedByOperator:
      return "opened_by_operator";
  }
  return "unknown";
}

TripDecision decideRelay(const TripPolicy& policy, const ControlInputs& inputs,
                         const SiteTimeZone& zone, const HolidayCalendar& calendar) {
  if (inputs.keepPower == KeepPower::On) {
    return decision(
        inputs.relay == RelayState::Open ? std::optional(RelayCommand::Close) : std::nullopt,
        TripReason::KeepPower);
  }
  if (inputs.relay == RelayState::Open) {
    if (inputs.openCause == OpenCause::Operator) {
      return decision(std::nullopt, TripReason::OpenedByOperator);
    }
    if (inputs.balance > policy.closeAllowed) {
      return decision(RelayCommand::Close, TripReason::BalanceRestored);
    }
    return decision(std::nullopt, TripReason::BelowCloseAllowed);
  }
  if (inputs.balance > Money::zero()) {
    return decision(std::nullopt, TripReason::NotInArrears);
  }
  switch (policy.kind) {
    case TripPolicyKind::Never:
      return decision(std::nullopt, TripReason::PolicyNever);
    case TripPolicyKind::Immediate:
      return decision(RelayCommand::Trip, TripReason::ArrearsImmediate);
    case TripPolicyKind::Delayed:
      break;
  }
  const Instant since = inputs.arrearsSince.value_or(inputs.now);
  const Instant due = firstCheckAtOrAfter(since, policy, zone, calendar);
  if (inputs.now < due) {
    return decision(std::nullopt, TripReason::WaitingForCheck, due);
  }
  const auto today = std::chrono::sys_days(zone.localDate(inputs.now));
  if (policy.holidayTrips == QuietTimeTrips::Deferred &&
      calendar.dayType(today) == DayType::Holiday) {
    return decision(std::nullopt, TripReason::Holiday,
                    firstCheckAtOrAfter(inputs.now, policy, zone, calendar));
  }
  const auto secondOfDay = zone.secondsOfDay(inputs.now);
  if (policy.nightTrips == QuietTimeTrips::Deferred && policy.night.contains(secondOfDay)) {
    // The night ends at night.end today, or tomorrow when we are in the evening part.
    auto endDate = today;
    if (policy.night.start > policy.night.end && secondOfDay >= policy.night.start) {
      endDate += std::chrono::days(1);
    }
    return decision(std::nullopt, TripReason::NightQuietHours,
                    zone.instantAt(std::chrono::year_month_day(endDate), policy.night.end));
  }
  return decision(RelayCommand::Trip, TripReason::DelayedCheckDue);
}

}  // namespace prepaid::domain
