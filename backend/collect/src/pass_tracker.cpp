#include "prepaid/collect/pass_tracker.hpp"

#include <algorithm>

namespace prepaid::backend::collect {

bool PassTracker::recordPoll(store::MeterId meter, PollKind kind, SteadyTime start, SteadyTime end,
                             const std::set<store::MeterId>& inGoodStanding) {
  if (kind == PollKind::Probe) {
    // A lost gateway is not being swept; its probes say nothing about pass time.
    abandon();
    return false;
  }
  if (!m_open) {
    if (kind != PollKind::Scheduled || !inGoodStanding.contains(meter)) {
      return false;
    }
    m_open = true;
    m_openedAt = start;
    m_busy = std::chrono::nanoseconds{0};
    m_needed = inGoodStanding;
    m_attempted.clear();
  }
  m_busy += std::max(end - start, SteadyTime::duration::zero());
  m_attempted.insert(meter);
  m_needed.erase(meter);
  // A meter removed from the bus, or lost meanwhile (it was attempted: that is how it got lost),
  // is no longer waited for.
  std::erase_if(m_needed, [&](store::MeterId id) { return !inGoodStanding.contains(id); });
  if (!m_needed.empty()) {
    return false;
  }
  m_open = false;
  ++m_stats.passes;
  m_stats.lastDuration = std::max(end - m_openedAt, SteadyTime::duration::zero());
  m_stats.lastBusy = m_busy;
  m_stats.lastMeters = static_cast<std::int64_t>(m_attempted.size());
  return true;
}

void PassTracker::abandon() {
  m_open = false;
  m_needed.clear();
  m_attempted.clear();
  m_busy = std::chrono::nanoseconds{0};
}

}  // namespace prepaid::backend::collect
