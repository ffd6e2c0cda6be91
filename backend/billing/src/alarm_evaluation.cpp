#include "alarm_evaluation.hpp"

#include <algorithm>
#include <optional>

namespace prepaid::backend::billing::detail {

namespace {

std::optional<store::AlarmKind> alarmKindOf(domain::BalanceLevel level) {
  switch (level) {
    case domain::BalanceLevel::Normal:
      return std::nullopt;
    case domain::BalanceLevel::Alarm1:
      return store::AlarmKind::Alarm1;
    case domain::BalanceLevel::Alarm2:
      return store::AlarmKind::Alarm2;
    case domain::BalanceLevel::Arrears:
      return store::AlarmKind::Arrears;
  }
  return std::nullopt;
}

bool hasOpen(const std::vector<store::Alarm>& open, store::AlarmKind kind) {
  return std::ranges::any_of(open, [&](const store::Alarm& a) { return a.kind == kind; });
}

}  // namespace

std::expected<void, BillingError> setAlarm(store::WriteTransaction& tx, store::MeterId meter,
                                           store::AlarmKind kind, bool active, domain::Instant at,
                                           const std::string& detail, store::Notified initial,
                                           AlarmEffects& effects) {
  const auto subject = store::AlarmSubject::meter(meter);
  const std::string what = "meter " + std::to_string(meter) + " alarm";
  if (!active) {
    auto cleared = lift(tx.alarms().clear(subject, kind, at), what);
    if (!cleared) {
      return std::unexpected(cleared.error());
    }
    if (*cleared) {
      effects.cleared.push_back((*cleared)->id);
    }
    return {};
  }
  auto raised = lift(tx.alarms().raise(subject, kind, at, detail), what);
  if (!raised) {
    return std::unexpected(raised.error());
  }
  if (raised->outcome == store::RaiseOutcome::Raised) {
    effects.raised.push_back(raised->alarm.id);
    if (initial == store::Notified::Yes) {
      // The domain says this level change is not to be announced (an upward step, or a level
      // already announced since the last recharge): mark it so the notifier leaves it alone.
      if (auto marked = lift(tx.alarms().markNotified(raised->alarm.id), what); !marked) {
        return std::unexpected(marked.error());
      }
    }
  }
  return {};
}

std::expected<domain::AlarmThresholds, std::string> thresholdsOf(const MeterContext& context,
                                                                 const SiteContext& site,
                                                                 const BillingOptions& options) {
  domain::AlarmThresholds t;
  t.alarm1 = domain::Money::fromFen(context.meter.alarm1Fen.value_or(site.settings.alarm1Fen));
  t.alarm2 = domain::Money::fromFen(context.meter.alarm2Fen.value_or(site.settings.alarm2Fen));
  // The hysteresis must stay below alarm 2; a small alarm 2 shrinks it rather than failing.
  const std::int64_t hysteresis = std::clamp<std::int64_t>(
      options.balanceHysteresisFen, 0, std::max<std::int64_t>(t.alarm2.fen() - 1, 0));
  t.hysteresis = domain::Money::fromFen(hysteresis);
  if (auto valid = domain::validateThresholds(t); !valid) {
    return std::unexpected("balance alarms skipped: " +
                           std::string(domain::describe(valid.error())));
  }
  return t;
}

std::expected<void, BillingError> evaluateBalanceAlarms(store::WriteTransaction& tx,
                                                        MeterContext& context,
                                                        const SiteContext& site,
                                                        const BillingOptions& options,
                                                        domain::BalanceChange change,
                                                        domain::Instant at, AlarmEffects& effects) {
  auto thresholds = thresholdsOf(context, site, options);
  if (!thresholds) {
    effects.problem = thresholds.error();
    return {};
  }
  const auto before = context.state.balanceAlarm;
  const auto step = domain::evaluateBalance(before, domain::Money::fromFen(context.balanceFen),
                                            change, *thresholds);
  context.state.balanceAlarm = step.state;

  // Keep exactly the alarm of the current level open. Checking the open alarms (not only the
  // remembered level) also repairs a state saved before an alarm was cleared by staff.
  auto open = lift(tx.alarms().openAlarmsOf(store::AlarmSubject::meter(context.meter.id)),
                   "meter " + std::to_string(context.meter.id) + " alarms");
  if (!open) {
    return std::unexpected(open.error());
  }
  const auto current = alarmKindOf(step.state.level);
  for (const auto kind :
       {store::AlarmKind::Alarm1, store::AlarmKind::Alarm2, store::AlarmKind::Arrears}) {
    const bool shouldBeOpen = current == kind;
    if (shouldBeOpen == hasOpen(*open, kind)) {
      continue;
    }
    const std::string detail = "balance " +
                               domain::formatYuan(domain::Money::fromFen(context.balanceFen)) +
                               " yuan (" + std::string(domain::toString(step.state.level)) + ")";
    const auto initial = step.notify.has_value() && step.notify == step.state.level
                             ? store::Notified::No
                             : store::Notified::Yes;
    if (auto set = setAlarm(tx, context.meter.id, kind, shouldBeOpen, at, detail, initial, effects);
        !set) {
      return std::unexpected(set.error());
    }
  }
  return {};
}

std::expected<void, BillingError> evaluateReadingAlarms(
    store::WriteTransaction& tx, const MeterContext& context, const SiteContext& site,
    const BillingOptions& options, const store::Reading& reading, AlarmEffects& effects) {
  const store::MeterId id = context.meter.id;
  auto open = lift(tx.alarms().openAlarmsOf(store::AlarmSubject::meter(id)),
                   "meter " + std::to_string(id) + " alarms");
  if (!open) {
    return std::unexpected(open.error());
  }
  if (reading.powerW) {
    const std::int64_t threshold =
        context.meter.overloadThresholdW.value_or(site.settings.overloadThresholdW);
    const std::int64_t hysteresis = threshold * options.overloadHysteresisPercent / 100;
    const bool wasOverloaded = hasOpen(*open, store::AlarmKind::Overload);
    const auto step =
        domain::evaluateOverload(wasOverloaded, *reading.powerW, threshold, hysteresis);
    if (step.overloaded != wasOverloaded) {
      const std::string detail = "power " + std::to_string(*reading.powerW) + " W, threshold " +
                                 std::to_string(threshold) + " W";
      if (auto set = setAlarm(tx, id, store::AlarmKind::Overload, step.overloaded, reading.readAt,
                              detail, store::Notified::No, effects);
          !set) {
        return std::unexpected(set.error());
      }
    }
  }
  if (reading.voltageDeciV) {
    const std::int64_t v = *reading.voltageDeciV;
    const std::string detail = "voltage " + std::to_string(v / 10) + "." +
                               std::to_string(v % 10 < 0 ? -(v % 10) : v % 10) + " V";
    // Over: above the limit; clears only once back below limit - hysteresis (no flapping).
    const bool wasOver = hasOpen(*open, store::AlarmKind::OverVoltage);
    const bool over = wasOver ? v > options.overVoltageDeciV - options.voltageHysteresisDeciV
                              : v > options.overVoltageDeciV;
    if (over != wasOver) {
      if (auto set = setAlarm(tx, id, store::AlarmKind::OverVoltage, over, reading.readAt, detail,
                              store::Notified::No, effects);
          !set) {
        return std::unexpected(set.error());
      }
    }
    const bool wasUnder = hasOpen(*open, store::AlarmKind::UnderVoltage);
    const bool under = wasUnder ? v < options.underVoltageDeciV + options.voltageHysteresisDeciV
                                : v < options.underVoltageDeciV;
    if (under != wasUnder) {
      if (auto set = setAlarm(tx, id, store::AlarmKind::UnderVoltage, under, reading.readAt, detail,
                              store::Notified::No, effects);
          !set) {
        return std::unexpected(set.error());
      }
    }
  }
  return {};
}

}  // namespace prepaid::backend::billing::detail
