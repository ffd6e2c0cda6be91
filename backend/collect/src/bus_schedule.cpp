#include "prepaid/collect/bus_schedule.hpp"

#include <algorithm>

namespace prepaid::backend::collect {

namespace {

// Doubling with a cap, without overflowing for large exponents.
std::chrono::milliseconds doubled(std::chrono::milliseconds base, std::int64_t exponent,
                                  std::chrono::milliseconds cap) {
  auto value = std::max(base, std::chrono::milliseconds(1));
  for (std::int64_t i = 0; i < exponent && value < cap; ++i) {
    value *= 2;
  }
  return std::min(value, cap);
}

}  // namespace

void BusSchedule::setMeters(const std::vector<std::pair<store::MeterId, bool>>& meters,
                            SteadyTime now) {
  std::map<store::MeterId, MeterState> next;
  for (const auto& [id, lost] : meters) {
    if (auto found = m_meters.find(id); found != m_meters.end()) {
      next.emplace(id, found->second);
      continue;
    }
    MeterState state;
    state.due = now;
    state.lost = lost;
    state.failures = lost ? m_parameters.lostAfter : 0;
    next.emplace(id, state);
  }
  m_meters = std::move(next);
  std::erase_if(m_failedSinceSuccess, [&](store::MeterId id) { return !m_meters.contains(id); });
}

void BusSchedule::setParameters(const ScheduleParameters& parameters, SteadyTime now) {
  const bool shorter = parameters.interval < m_parameters.interval;
  m_parameters = parameters;
  if (shorter) {
    for (auto& [id, state] : m_meters) {
      state.due = std::min(state.due, now + parameters.interval);
    }
  }
}

PollOutcome BusSchedule::noteAnswered(store::MeterId meter, SteadyTime now) {
  PollOutcome outcome;
  m_busFailures = 0;
  m_connectionFailures = 0;
  m_failedSinceSuccess.clear();
  if (m_gatewayLost) {
    m_gatewayLost = false;
    m_gatewayFailures = 0;
    outcome.gateway = LinkChange::Recovered;
    makeAllDue(now);
  }
  if (auto found = m_meters.find(meter); found != m_meters.end()) {
    if (found->second.lost) {
      outcome.meter = LinkChange::Recovered;
      found->second.due = std::min(found->second.due, now);  // read it soon: it is back
    }
    found->second.lost = false;
    found->second.failures = 0;
  }
  return outcome;
}

void BusSchedule::setGatewayLost(bool lost, SteadyTime now) {
  m_gatewayLost = lost;
  m_gatewayProbeDue = now;
  m_gatewayFailures = 0;
}

std::chrono::milliseconds BusSchedule::backoff(std::int64_t failures, bool lost) const {
  const auto interval = m_parameters.interval;
  if (!lost) {
    // Retrying sooner than the next pass, but never more often than once per pass.
    return doubled(m_parameters.retryBase, failures - 1,
                   std::min(interval, std::max(m_parameters.maxBackoff, m_parameters.retryBase)));
  }
  const auto cap = std::max(interval, m_parameters.maxBackoff);
  return doubled(interval, failures - m_parameters.lostAfter, cap);
}

std::optional<store::MeterId> BusSchedule::nextDue(SteadyTime now) const {
  if (m_meters.empty()) {
    return std::nullopt;
  }
  if (m_gatewayLost) {
    if (m_gatewayProbeDue > now) {
      return std::nullopt;
    }
    // Probe with the meter most recently known to answer (lowest failure count).
    const auto best = std::min_element(
        m_meters.begin(), m_meters.end(),
        [](const auto& a, const auto& b) { return a.second.failures < b.second.failures; });
    return best->first;
  }
  std::optional<store::MeterId> chosen;
  SteadyTime earliest = SteadyTime::max();
  for (const auto& [id, state] : m_meters) {
    if (state.due <= now && state.due < earliest) {
      earliest = state.due;
      chosen = id;
    }
  }
  return chosen;
}

SteadyTime BusSchedule::nextWake() const {
  if (m_meters.empty()) {
    return SteadyTime::max();
  }
  if (m_gatewayLost) {
    return m_gatewayProbeDue;
  }
  SteadyTime earliest = SteadyTime::max();
  for (const auto& [id, state] : m_meters) {
    earliest = std::min(earliest, state.due);
  }
  return earliest;
}

void BusSchedule::makeDue(store::MeterId meter, SteadyTime now) {
  if (auto found = m_meters.find(meter); found != m_meters.end()) {
    found->second.due = std::min(found->second.due, now);
  }
  if (m_gatewayLost) {
    m_gatewayProbeDue = std::min(m_gatewayProbeDue, now);
  }
}

void BusSchedule::makeAllDue(SteadyTime now) {
  for (auto& [id, state] : m_meters) {
    state.due = std::min(state.due, now);
  }
  if (m_gatewayLost) {
    m_gatewayProbeDue = std::min(m_gatewayProbeDue, now);
  }
}

PollOutcome BusSchedule::recordSuccess(store::MeterId meter, SteadyTime now) {
  PollOutcome outcome;
  m_busFailures = 0;
  m_connectionFailures = 0;
  m_failedSinceSuccess.clear();
  if (m_gatewayLost) {
    m_gatewayLost = false;
    m_gatewayFailures = 0;
    outcome.gateway = LinkChange::Recovered;
    makeAllDue(now);
  }
  auto found = m_meters.find(meter);
  if (found == m_meters.end()) {
    return outcome;
  }
  auto& state = found->second;
  if (state.lost) {
    outcome.meter = LinkChange::Recovered;
  }
  state.lost = false;
  state.failures = 0;
  // Keep the cadence of the interval; after an overrun (or a read now) start from now.
  const auto next = state.due + m_parameters.interval;
  state.due = next > now ? next : now + m_parameters.interval;
  return outcome;
}

PollOutcome BusSchedule::recordFailure(store::MeterId meter, FailureKind kind, SteadyTime now) {
  PollOutcome outcome;
  auto found = m_meters.find(meter);
  if (m_gatewayLost) {
    // A failed probe: back the gateway off; it says nothing about this meter.
    ++m_gatewayFailures;
    m_gatewayProbeDue = now + doubled(m_parameters.retryBase, m_gatewayFailures,
                                      std::max(m_parameters.maxBackoff, m_parameters.retryBase));
    return outcome;
  }
  ++m_busFailures;
  m_failedSinceSuccess.insert(meter);
  if (kind == FailureKind::Connection) {
    ++m_connectionFailures;
  } else {
    m_connectionFailures = 0;
  }
  const bool everyMeterFailed = m_failedSinceSuccess.size() >= m_meters.size();
  if (m_connectionFailures >= m_parameters.lostAfter ||
      (m_busFailures >= m_parameters.lostAfter && everyMeterFailed)) {
    m_gatewayLost = true;
    m_gatewayFailures = 0;
    m_gatewayProbeDue = now + m_parameters.retryBase;
    outcome.gateway = LinkChange::Lost;
  }
  if (found == m_meters.end()) {
    return outcome;
  }
  auto& state = found->second;
  if (kind == FailureKind::Connection) {
    // Not the meter's fault: try it again soon, without counting toward its lost contact.
    state.due = now + m_parameters.retryBase;
    return outcome;
  }
  ++state.failures;
  if (!state.lost && state.failures >= m_parameters.lostAfter) {
    state.lost = true;
    outcome.meter = LinkChange::Lost;
  }
  state.due = now + backoff(state.failures, state.lost);
  return outcome;
}

bool BusSchedule::meterLost(store::MeterId meter) const {
  const auto found = m_meters.find(meter);
  return found != m_meters.end() && found->second.lost;
}

std::int64_t BusSchedule::consecutiveFailures(store::MeterId meter) const {
  const auto found = m_meters.find(meter);
  return found == m_meters.end() ? 0 : found->second.failures;
}

std::optional<SteadyTime> BusSchedule::dueAt(store::MeterId meter) const {
  const auto found = m_meters.find(meter);
  if (found == m_meters.end()) {
    return std::nullopt;
  }
  return found->second.due;
}

}  // namespace prepaid::backend::collect
