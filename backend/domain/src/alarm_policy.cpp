#include "prepaid/domain/alarm_policy.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>

namespace prepaid::domain {
namespace {

constexpr int severity(BalanceLevel level) {
  return static_cast<int>(level);
}

BalanceLevel lessSevere(BalanceLevel a, BalanceLevel b) {
  return severity(a) < severity(b) ? a : b;
}

// The level as seen when every threshold is raised by the hysteresis: leaving a level upward
// needs the balance to clear its threshold by that much.
BalanceLevel levelWithHysteresis(Money balance, const AlarmThresholds& thresholds) {
  const auto lowered = balance.minus(thresholds.hysteresis);
  return levelOf(lowered.value_or(balance), thresholds);
}

}  // namespace

std::string_view toString(BalanceLevel level) {
  switch (level) {
    case BalanceLevel::Normal:
      return "normal";
    case BalanceLevel::Alarm1:
      return "alarm1";
    case BalanceLevel::Alarm2:
      return "alarm2";
    case BalanceLevel::Arrears:
      return "arrears";
  }
  return "unknown";
}

std::optional<BalanceLevel> parseBalanceLevel(std::string_view name) {
  for (const auto level :
       {BalanceLevel::Normal, BalanceLevel::Alarm1, BalanceLevel::Alarm2, BalanceLevel::Arrears}) {
    if (toString(level) == name) {
      return level;
    }
  }
  return std::nullopt;
}

std::string_view describe(AlarmConfigError error) {
  switch (error) {
    case AlarmConfigError::Alarm2NotPositive:
      return "alarm 2 threshold must be above zero";
    case AlarmConfigError::Alarm1NotAboveAlarm2:
      return "alarm 1 threshold must be above the alarm 2 threshold";
    case AlarmConfigError::BadHysteresis:
      return "hysteresis must be at least zero and below the alarm 2 threshold";
  }
  return "invalid alarm thresholds";
}

std::expected<void, AlarmConfigError> validateThresholds(const AlarmThresholds& thresholds) {
  if (thresholds.alarm2 <= Money::zero()) {
    return std::unexpected(AlarmConfigError::Alarm2NotPositive);
  }
  if (thresholds.alarm1 <= thresholds.alarm2) {
    return std::unexpected(AlarmConfigError::Alarm1NotAboveAlarm2);
  }
  if (thresholds.hysteresis < Money::zero() || thresholds.hysteresis >= thresholds.alarm2) {
    return std::unexpected(AlarmConfigError::BadHysteresis);
  }
  return {};
}

BalanceLevel levelOf(Money balance, const AlarmThresholds& thresholds) {
  if (balance <= Money::zero()) {
    return BalanceLevel::Arrears;
  }
  if (balance < thresholds.alarm2) {
    return BalanceLevel::Alarm2;
  }
  if (balance < thresholds.alarm1) {
    return BalanceLevel::Alarm1;
  }
  return BalanceLevel::Normal;
}

BalanceAlarmStep evaluateBalance(const BalanceAlarmState& state, Money balance,
                                 BalanceChange change, const AlarmThresholds& thresholds) {
  const BalanceLevel raw = levelOf(balance, thresholds);
  BalanceAlarmStep step;
  if (change == BalanceChange::Recharge) {
    step.state.level = raw;
    step.state.notified = raw;
    return step;
  }
  if (severity(raw) >= severity(state.level)) {
    step.state.level = raw;
  } else {
    // Improving without a recharge (a correction, a refunded charge): only as far as the
    // hysteresis allows.
    step.state.level = lessSevere(state.level, levelWithHysteresis(balance, thresholds));
  }
  step.state.notified = state.notified;
  if (severity(step.state.level) > severity(state.notified)) {
    step.notify = step.state.level;
    step.state.notified = step.state.level;
  }
  return step;
}

OverloadStep evaluateOverload(bool overloaded, std::int64_t powerW, std::int64_t thresholdW,
                              std::int64_t hysteresisW) {
  OverloadStep step;
  if (!overloaded) {
    step.overloaded = powerW > thresholdW;
    step.raised = step.overloaded;
  } else {
    const std::int64_t clearBelow = thresholdW - std::max<std::int64_t>(hysteresisW, 0);
    step.overloaded = powerW > clearBelow;
    step.cleared = !step.overloaded;
  }
  return step;
}

ContactStep evaluateContact(const ContactState& state, ReadOutcome outcome,
                            std::int32_t failuresForLost) {
  ContactStep step;
  if (outcome == ReadOutcome::Success) {
    step.restoredNow = state.lost;
    return step;
  }
  step.state.consecutiveFailures =
      state.consecutiveFailures < std::numeric_limits<std::int32_t>::max()
          ? state.consecutiveFailures + 1
          : std::numeric_limits<std::int32_t>::max();
  step.state.lost = state.lost || step.state.consecutiveFailures >= std::max(failuresForLost, 1);
  step.lostNow = step.state.lost && !state.lost;
  return step;
}

PurchaseCountCheck checkPurchaseCount(std::int64_t backendCount, std::int64_t meterCount) {
  if (backendCount == meterCount) {
    return PurchaseCountCheck::Match;
  }
  return meterCount < backendCount ? PurchaseCountCheck::MeterBehind
                                   : PurchaseCountCheck::MeterAhead;
}

}  // namespace prepaid::domain
