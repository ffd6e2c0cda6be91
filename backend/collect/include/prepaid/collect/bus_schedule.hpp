#pragma once

// The polling plan of one bus: when each meter is due, how failures back it off, and when it and
// the gateway count as lost (失联). Pure logic on a steady clock, no I/O: the bus worker asks
// "who is due?" and reports outcomes.
//
// Rules (backend/collect/README.md):
// - A meter in good standing is polled once per interval (the cadence is kept: next due =
//   previous due + interval, or now when the pass overran).
// - After a failed poll the meter is re-polled after retryBase x 2^(failures-1), capped at
//   min(interval, maxBackoff) while it is not lost; after `lostAfter` consecutive failures it is
//   lost and polled every interval x 2^(failures-lostAfter), capped at maxBackoff (at least one
//   interval). Either way a silent meter costs its bus at most one response timeout per attempt
//   and is never attempted twice in a row while others are due.
// - The gateway is lost after `lostAfter` consecutive connection failures, or after `lostAfter`
//   consecutive failed polls that covered every meter of the bus with no success between them.
//   While it is lost only one probe poll is made per backoff delay; a successful probe brings it
//   back and makes every meter due.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "prepaid/store/ids.hpp"

namespace prepaid::backend::collect {

using SteadyTime = std::chrono::steady_clock::time_point;

struct ScheduleParameters {
  std::chrono::milliseconds interval{1800000};
  std::int64_t lostAfter = 3;
  std::chrono::milliseconds retryBase{2000};
  std::chrono::milliseconds maxBackoff{600000};
};

enum class FailureKind {
  Meter,       // the meter did not answer properly (timeout, CRC, exception …)
  Connection,  // the gateway connection failed (refused, reset): says nothing about the meter
};

/// A link state change to record in the store (and raise/clear an alarm for).
enum class LinkChange {
  None,
  Lost,
  Recovered,
};

struct PollOutcome {
  LinkChange meter = LinkChange::None;
  LinkChange gateway = LinkChange::None;
};

class BusSchedule {
 public:
  explicit BusSchedule(ScheduleParameters parameters) : m_parameters(parameters) {}

  /// Changes interval/lost count/backoff. A shorter interval pulls planned polls in to at most
  /// now + interval; a longer one applies from each meter's next poll.
  void setParameters(const ScheduleParameters& parameters, SteadyTime now);
  [[nodiscard]] const ScheduleParameters& parameters() const { return m_parameters; }

  /// Sets the meters of the bus. New meters are due now; known ones keep their state (pass
  /// `lost` for a meter the store already records as lost, so a restart does not re-raise).
  void setMeters(const std::vector<std::pair<store::MeterId, bool>>& meters, SteadyTime now);
  /// The gateway was recorded lost in the store before (restart).
  void setGatewayLost(bool lost, SteadyTime now);

  /// The meter to poll now, or nullopt. Among due meters the one due longest ago.
  [[nodiscard]] std::optional<store::MeterId> nextDue(SteadyTime now) const;
  /// When the next meter becomes due (time_point::max() with no meters).
  [[nodiscard]] SteadyTime nextWake() const;

  /// Makes one meter (or every meter) due now ("read now"). Unknown ids are ignored.
  void makeDue(store::MeterId meter, SteadyTime now);
  void makeAllDue(SteadyTime now);

  PollOutcome recordSuccess(store::MeterId meter, SteadyTime now);
  /// The meter answered a command: clears its (and the bus's) failure count without moving its
  /// next poll.
  PollOutcome noteAnswered(store::MeterId meter, SteadyTime now);
  PollOutcome recordFailure(store::MeterId meter, FailureKind kind, SteadyTime now);

  [[nodiscard]] bool gatewayLost() const { return m_gatewayLost; }
  [[nodiscard]] bool meterLost(store::MeterId meter) const;
  [[nodiscard]] std::int64_t consecutiveFailures(store::MeterId meter) const;
  /// When a meter is next due (nullopt for an unknown meter).
  [[nodiscard]] std::optional<SteadyTime> dueAt(store::MeterId meter) const;
  [[nodiscard]] std::size_t meterCount() const { return m_meters.size(); }

 private:
  struct MeterState {
    SteadyTime due{};
    std::int64_t failures = 0;
    bool lost = false;
  };

  [[nodiscard]] std::chrono::milliseconds backoff(std::int64_t failures, bool lost) const;

  ScheduleParameters m_parameters;
  std::map<store::MeterId, MeterState> m_meters;
  bool m_gatewayLost = false;
  std::int64_t m_busFailures = 0;         // consecutive failed polls with no success
  std::int64_t m_connectionFailures = 0;  // consecutive connection failures
  std::set<store::MeterId> m_failedSinceSuccess;
  std::int64_t m_gatewayFailures = 0;  // probes failed while lost (backoff exponent)
  SteadyTime m_gatewayProbeDue{};
};

}  // namespace prepaid::backend::collect
