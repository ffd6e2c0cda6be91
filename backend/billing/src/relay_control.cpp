#include "relay_control.hpp"

#include <algorithm>
#include <chrono>
#include <string>

#include "prepaid/domain/trip_policy.hpp"

namespace prepaid::backend::billing::detail {

namespace {

domain::TripPolicy policyOf(const MeterContext& context, const SiteContext& site,
                            const BillingOptions& options) {
  const auto& stored = context.meter.tripPolicy;
  domain::TripPolicy policy;
  policy.kind = stored.kind;
  policy.checkTime = std::chrono::minutes(stored.delayedTripMinuteOfDay);
  policy.night = options.night;
  policy.nightTrips = stored.night == store::NightTrip::Allowed ? domain::QuietTimeTrips::Allowed
                                                                : domain::QuietTimeTrips::Deferred;
  policy.holidayTrips = stored.holidays == store::HolidayTrip::Allowed
                            ? domain::QuietTimeTrips::Allowed
                            : domain::QuietTimeTrips::Deferred;
  policy.closeAllowed = domain::Money::fromFen(site.settings.closeAllowedFen);
  return policy;
}

std::expected<store::CommandId, BillingError> enqueue(store::WriteTransaction& tx,
                                                      store::MeterId meter, store::CommandKind kind,
                                                      std::string_view payload,
                                                      domain::Instant createdAt) {
  store::Command command;
  command.meterId = meter;
  command.kind = kind;
  command.payload = std::string(payload);
  command.priority = store::PriorityControl;
  command.createdAt = createdAt;
  command.notBefore = createdAt;
  auto queued = lift(tx.commands().enqueue(command),
                     "meter " + std::to_string(meter) + " " + std::string(store::toString(kind)));
  if (!queued) {
    return std::unexpected(queued.error());
  }
  return queued->id;
}

}  // namespace

void trackArrears(MeterContext& context, domain::Instant at) {
  if (context.balanceFen <= 0) {
    if (!context.state.arrearsSince) {
      context.state.arrearsSince = at;
    }
  } else {
    context.state.arrearsSince.reset();
  }
}

std::expected<void, BillingError> applyTripPolicy(store::WriteTransaction& tx,
                                                  MeterContext& context, const SiteContext& site,
                                                  const BillingOptions& options,
                                                  std::optional<domain::RelayState> relay,
                                                  domain::Instant now, domain::Instant createdAt,
                                                  ControlEffects& effects) {
  if (context.meterSide() || !context.billed()) {
    return {};  // meter-side meters trip themselves on their own balance
  }
  const store::MeterId id = context.meter.id;
  auto unfinished =
      lift(tx.commands().unfinishedForMeter(id), "meter " + std::to_string(id) + " commands");
  if (!unfinished) {
    return std::unexpected(unfinished.error());
  }
  const auto pending = [&](store::CommandKind kind) {
    return std::ranges::any_of(*unfinished,
                               [&](const store::Command& c) { return c.kind == kind; });
  };
  const bool tripPending = pending(store::CommandKind::Trip);
  const bool closePending = pending(store::CommandKind::Close);

  // Without a report from the meter, the relay is what billing last made it.
  const domain::RelayState observed = relay.value_or(
      context.state.relayOpener == store::RelayOpener::Billing ? domain::RelayState::Open
                                                               : domain::RelayState::Closed);
  if (observed == domain::RelayState::Closed && !tripPending) {
    context.state.relayOpener = store::RelayOpener::Unknown;
  }

  const domain::TripPolicy policy = policyOf(context, site, options);
  if (auto valid = domain::validateTripPolicy(policy); !valid) {
    effects.problem = "trip policy skipped: " + std::string(domain::describe(valid.error()));
    return {};
  }
  domain::ControlInputs inputs;
  inputs.balance = domain::Money::fromFen(context.balanceFen);
  // A queued Trip counts as open: the relay is on its way there.
  inputs.relay = tripPending ? domain::RelayState::Open : observed;
  inputs.keepPower = context.meter.keepPower == store::KeepPower::On ? domain::KeepPower::On
                                                                     : domain::KeepPower::Off;
  inputs.openCause = context.state.relayOpener == store::RelayOpener::Billing
                         ? domain::OpenCause::Policy
                         : domain::OpenCause::Operator;
  inputs.arrearsSince = context.state.arrearsSince;
  inputs.now = now;
  const auto decision = domain::decideRelay(policy, inputs, site.zone, options.calendar);

  if (decision.command == domain::RelayCommand::Trip) {
    if (tripPending || observed == domain::RelayState::Open) {
      return {};
    }
    for (const auto& c : *unfinished) {
      // A reclose of ours not sent yet is obsolete now.
      if (c.kind == store::CommandKind::Close && c.state == store::CommandState::Queued &&
          c.payload == ClosePayload) {
        if (auto cancelled = lift(tx.commands().cancel(c.id, createdAt, "balance in arrears again"),
                                  "cancel close");
            !cancelled) {
          return std::unexpected(cancelled.error());
        }
      } else if (c.kind == store::CommandKind::Close) {
        return {};  // a close on its way: decide again after it
      }
    }
    auto queued = enqueue(tx, id, store::CommandKind::Trip, TripPayload, createdAt);
    if (!queued) {
      return std::unexpected(queued.error());
    }
    effects.queued.push_back(*queued);
    context.state.relayOpener = store::RelayOpener::Billing;
    return {};
  }

  if (decision.command == domain::RelayCommand::Close) {
    // A Trip of ours that has not gone out yet is simply withdrawn.
    bool withdrawn = false;
    for (const auto& c : *unfinished) {
      if (c.kind == store::CommandKind::Trip && c.state == store::CommandState::Queued &&
          c.payload == TripPayload) {
        if (auto cancelled =
                lift(tx.commands().cancel(c.id, createdAt, "balance restored"), "cancel trip");
            !cancelled) {
          return std::unexpected(cancelled.error());
        }
        withdrawn = true;
      }
    }
    if (withdrawn && observed == domain::RelayState::Closed) {
      context.state.relayOpener = store::RelayOpener::Unknown;
      return {};
    }
    if (closePending || (observed == domain::RelayState::Closed && !tripPending)) {
      return {};
    }
    auto queued = enqueue(tx, id, store::CommandKind::Close, ClosePayload, createdAt);
    if (!queued) {
      return std::unexpected(queued.error());
    }
    effects.queued.push_back(*queued);
    effects.closeQueued = *queued;
    context.state.relayOpener = store::RelayOpener::Unknown;
    return {};
  }

  // No command: if the balance recovered before our queued Trip was sent, withdraw it.
  if (context.balanceFen > 0) {
    for (const auto& c : *unfinished) {
      if (c.kind == store::CommandKind::Trip && c.state == store::CommandState::Queued &&
          c.payload == TripPayload) {
        if (auto cancelled =
                lift(tx.commands().cancel(c.id, createdAt, "balance restored"), "cancel trip");
            !cancelled) {
          return std::unexpected(cancelled.error());
        }
      }
    }
  }
  return {};
}

}  // namespace prepaid::backend::billing::detail
