#pragma once

// Collection pass time of one bus (for GET /metrics). A pass is one sweep of the bus: it opens
// with a scheduled poll of a meter in good standing and is complete once every meter that was in
// good standing when it opened (and still is on the bus, not lost) has been attempted — answered
// or not. Its duration runs from the start of the opening poll to the end of the poll that
// completed it, so commands sent in between are included: it is the time the bus took to read
// every meter once. Retries of failing meters, single-meter "read now" and probes of a lost
// gateway never open a pass (they would measure the time until the next scheduled round instead);
// they do count toward an open pass. A gateway that becomes lost abandons the open pass.
//
// Pure logic on a steady clock, no I/O, no locking: the bus worker owns one and publishes stats().

#include <chrono>
#include <cstdint>
#include <set>

#include "prepaid/collect/bus_schedule.hpp"
#include "prepaid/store/ids.hpp"

namespace prepaid::backend::collect {

/// Why a meter was polled.
enum class PollKind {
  Scheduled,  // its interval came round (or "read now" for the whole bus)
  Retry,      // it failed before and its backoff expired
  ReadNow,    // staff asked for this one meter
  Probe,      // the gateway is lost: one probe poll
};

struct PassStats {
  std::int64_t passes = 0;                   // completed passes
  std::chrono::nanoseconds lastDuration{0};  // wall time of the last completed pass
  std::chrono::nanoseconds lastBusy{0};      // time spent in polls during it
  std::int64_t lastMeters = 0;               // meters attempted in it
  bool operator==(const PassStats&) const = default;
};

class PassTracker {
 public:
  /// A poll of `meter` ran from `start` to `end`. `inGoodStanding` is the set of meters on the bus
  /// that are not lost now (what a pass opened now must cover; an open pass stops waiting for a
  /// meter that left this set). Returns true when this poll completed a pass.
  bool recordPoll(store::MeterId meter, PollKind kind, SteadyTime start, SteadyTime end,
                  const std::set<store::MeterId>& inGoodStanding);
  /// The gateway was lost: the open pass (if any) is dropped uncounted.
  void abandon();

  [[nodiscard]] bool passOpen() const { return m_open; }
  [[nodiscard]] const PassStats& stats() const { return m_stats; }

 private:
  bool m_open = false;
  SteadyTime m_openedAt{};
  std::chrono::nanoseconds m_busy{0};
  std::set<store::MeterId> m_needed;     // still to be attempted
  std::set<store::MeterId> m_attempted;  // attempted in the open pass
  PassStats m_stats;
};

}  // namespace prepaid::backend::collect
