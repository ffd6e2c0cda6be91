#include "bus_worker.hpp"

#include <algorithm>
#include <exception>

#include <spdlog/spdlog.h>

namespace prepaid::backend::collect {

namespace {

std::string storeText(const store::StoreError& error) {
  return std::string(store::toString(error.code)) + ": " + error.message;
}

// Fills the parts of a command context that live in other tables.
std::expected<void, store::StoreError> completeContext(auto& tx, CommandContext& context) {
  auto meter = tx.meters().meter(context.command.meterId);
  if (!meter) {
    return std::unexpected(meter.error());
  }
  context.meter = std::move(*meter);
  auto settings = tx.site().settings();
  if (!settings) {
    return std::unexpected(settings.error());
  }
  context.settings = *settings;
  if (context.command.ledgerEntryId) {
    auto entry = tx.ledger().entry(*context.command.ledgerEntryId);
    if (!entry) {
      return std::unexpected(entry.error());
    }
    context.rechargeAmountFen = entry->amountFen;
  }
  return {};
}

}  // namespace

BusWorker::BusWorker(store::Gateway gateway, WorkerDeps deps)
    : m_gateway(std::move(gateway)), m_deps(deps), m_schedule(ScheduleParameters{}) {
  ScheduleParameters parameters;
  parameters.retryBase = deps.options.retryBase;
  parameters.maxBackoff = deps.options.maxBackoff;
  m_schedule.setParameters(parameters, Clock::now());
}

BusWorker::~BusWorker() {
  requestStop();
  join();
}

bool BusWorker::start(std::string& error) {
  return m_thread.start([this] { run(); }, m_deps.options.workerStackBytes, error);
}

void BusWorker::requestStop() {
  {
    std::lock_guard lock(m_mutex);
    m_stopRequested = true;
  }
  m_wakeup.notify_all();
}

void BusWorker::join() {
  m_thread.join();
}

void BusWorker::readNow(std::optional<store::MeterId> meter) {
  {
    std::lock_guard lock(m_mutex);
    if (meter) {
      m_readRequests.insert(*meter);
    } else {
      m_readAll = true;
    }
    m_woken = true;
  }
  m_wakeup.notify_all();
}

void BusWorker::wake() {
  {
    std::lock_guard lock(m_mutex);
    m_woken = true;
  }
  m_wakeup.notify_all();
}

void BusWorker::run() {
  // Nothing may escape a thread: a surprise here is logged and the worker ends (the
  // supervisor's next refresh does not restart it; the log says why).
  try {
    loop();
  } catch (const std::exception& e) {
    spdlog::critical("gateway {}: worker stopped by an exception: {}", m_gateway.name, e.what());
  } catch (...) {
    spdlog::critical("gateway {}: worker stopped by an unknown exception", m_gateway.name);
  }
}

void BusWorker::loop() {
  auto bus = m_deps.factory.open(m_gateway);
  if (!bus) {
    spdlog::error("gateway {}: cannot open bus {}: {}", m_gateway.name, m_gateway.transportUri,
                  bus.error());
    std::unique_lock lock(m_mutex);
    m_wakeup.wait(lock, [this] { return m_stopRequested; });
    return;
  }
  m_bus = std::move(*bus);
  spdlog::debug("gateway {}: worker started on {}", m_gateway.name, m_gateway.transportUri);
  while (true) {
    {
      std::lock_guard lock(m_mutex);
      if (m_stopRequested) {
        break;
      }
    }
    auto now = Clock::now();
    if (now >= m_nextRefresh && !refresh(now)) {
      // The store is unavailable: wait a little and try again rather than spin.
      m_nextRefresh = now + m_deps.options.commandCheck;
    }
    if (!m_loadedLeftovers && !m_meters.empty()) {
      loadLeftovers();
    }
    {
      std::lock_guard lock(m_mutex);
      if (m_readAll) {
        m_schedule.makeAllDue(now);
        m_singleReads.clear();  // part of a whole-bus read: a pass like any other
      }
      for (const auto id : m_readRequests) {
        m_schedule.makeDue(id, now);
        if (!m_readAll) {
          m_singleReads.insert(id);
        }
      }
      m_readAll = false;
      m_readRequests.clear();
      if (m_woken) {
        m_claimPausedUntil = {};
      }
      m_woken = false;
    }
    // Commands go ahead of polls on this bus; while the gateway is lost only probes are made.
    if (!m_schedule.gatewayLost()) {
      if (resolveDue(now)) {
        continue;
      }
      if (now >= m_claimPausedUntil && claimAndExecute()) {
        continue;
      }
    }
    now = Clock::now();
    if (const auto due = m_schedule.nextDue(now)) {
      pollAndTrack(*due);
      continue;
    }
    auto wakeAt =
        std::min({m_schedule.nextWake(), m_nextRefresh, now + m_deps.options.commandCheck});
    for (const auto& [id, at] : m_unresolved) {
      wakeAt = std::min(wakeAt, at);
    }
    std::unique_lock lock(m_mutex);
    m_wakeup.wait_until(lock, std::max(wakeAt, now), [this] { return m_stopRequested || m_woken; });
  }
  spdlog::debug("gateway {}: worker stopped", m_gateway.name);
}

bool BusWorker::refresh(Clock::time_point now) {
  std::vector<store::Meter> meters;
  store::Settings settings;
  std::optional<store::Gateway> gateway;
  const auto read = m_deps.store.read(
      [&](const store::ReadTransaction& tx) -> std::expected<void, store::StoreError> {
        auto found = tx.meters().metersOnGateway(m_gateway.id);
        if (!found) {
          return std::unexpected(found.error());
        }
        meters = std::move(*found);
        auto loaded = tx.site().settings();
        if (!loaded) {
          return std::unexpected(loaded.error());
        }
        settings = *loaded;
        auto row = tx.gateways().gateway(m_gateway.id);
        if (!row) {
          return std::unexpected(row.error());
        }
        gateway = std::move(*row);
        return {};
      });
  if (!read) {
    spdlog::warn("gateway {}: refresh failed: {}", m_gateway.name, storeText(read.error()));
    return false;
  }
  const bool first = !m_refreshedOnce;
  m_refreshedOnce = true;
  ScheduleParameters parameters = m_schedule.parameters();
  parameters.interval =
      std::chrono::milliseconds(std::max<std::int64_t>(settings.collectionIntervalS, 1) * 1000);
  parameters.lostAfter = std::max<std::int64_t>(settings.lostContactFailures, 1);
  m_schedule.setParameters(parameters, now);
  std::vector<std::pair<store::MeterId, bool>> ids;
  m_meters.clear();
  for (auto& meter : meters) {
    ids.emplace_back(meter.id, meter.linkState == store::LinkState::Lost);
    m_meters.emplace(meter.id, std::move(meter));
  }
  m_schedule.setMeters(ids, now);
  if (first && gateway && gateway->linkState == store::LinkState::Lost) {
    m_schedule.setGatewayLost(true, now);
  }
  m_nextRefresh = now + m_deps.options.refresh;
  return true;
}

void BusWorker::loadLeftovers() {
  // Commands left `sending`/`outcome_unknown` by a previous run (or a crash): each is resolved by
  // reading its meter before anything else is sent to that meter.
  std::vector<store::Command> inFlight;
  const auto read = m_deps.store.read(
      [&](const store::ReadTransaction& tx) -> std::expected<void, store::StoreError> {
        auto found = tx.commands().inFlight();
        if (!found) {
          return std::unexpected(found.error());
        }
        inFlight = std::move(*found);
        return {};
      });
  if (!read) {
    spdlog::warn("gateway {}: cannot list in-flight commands: {}", m_gateway.name,
                 storeText(read.error()));
    return;
  }
  const auto now = Clock::now();
  for (const auto& command : inFlight) {
    if (m_meters.contains(command.meterId)) {
      spdlog::info("gateway {}: command {} ({}) left {}: reading meter {} before anything else",
                   m_gateway.name, command.id, store::toString(command.kind),
                   store::toString(command.state), m_meters.at(command.meterId).serial);
      m_unresolved.emplace(command.id, now);
    }
  }
  m_loadedLeftovers = true;
}

std::optional<CommandContext> BusWorker::loadContext(store::CommandId id) {
  CommandContext context;
  const auto read = m_deps.store.read(
      [&](const store::ReadTransaction& tx) -> std::expected<void, store::StoreError> {
        auto command = tx.commands().command(id);
        if (!command) {
          return std::unexpected(command.error());
        }
        context.command = std::move(*command);
        return completeContext(tx, context);
      });
  if (!read) {
    spdlog::warn("gateway {}: command {}: {}", m_gateway.name, id, storeText(read.error()));
    return std::nullopt;
  }
  return context;
}

bool BusWorker::resolveDue(Clock::time_point now) {
  auto due = std::find_if(m_unresolved.begin(), m_unresolved.end(),
                          [&](const auto& entry) { return entry.second <= now; });
  if (due == m_unresolved.end()) {
    return false;
  }
  const auto id = due->first;
  auto context = loadContext(id);
  if (!context) {
    due->second = now + m_deps.options.commandRetryBase;
    return true;
  }
  const auto state = context->command.state;
  if (state != store::CommandState::Sending && state != store::CommandState::OutcomeUnknown) {
    m_unresolved.erase(due);
    return true;
  }
  std::string error;
  auto* driver = driverFor(context->meter, error);
  if (driver == nullptr) {
    spdlog::error("gateway {}: command {}: {}", m_gateway.name, id, error);
    due->second = now + m_deps.options.mismatchRetry;
    return true;
  }
  const auto resolution = m_deps.executor.resolve(*context, *driver);
  m_deps.counters.commandsResolved.fetch_add(1, std::memory_order_relaxed);
  if (resolution.verdict == Verdict::OutcomeUnknown) {
    due->second = Clock::now() + resolution.retryAfter;
  } else {
    m_unresolved.erase(id);
  }
  apply(*context, resolution, true);
  return true;
}

bool BusWorker::claimAndExecute() {
  std::optional<CommandContext> context;
  const auto wallNow = m_deps.options.clock();
  const auto claimed = m_deps.store.write(
      [&](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
        auto next = tx.commands().claimNext(m_gateway.id, wallNow);
        if (!next) {
          return std::unexpected(next.error());
        }
        if (!*next) {
          return {};
        }
        CommandContext loaded;
        loaded.command = std::move(**next);
        auto completed = completeContext(tx, loaded);
        if (!completed) {
          return std::unexpected(completed.error());
        }
        context = std::move(loaded);
        return {};
      },
      store::Durability::Full);
  if (!claimed) {
    spdlog::warn("gateway {}: claiming a command failed: {}", m_gateway.name,
                 storeText(claimed.error()));
    m_claimPausedUntil = Clock::now() + m_deps.options.commandCheck;
    return false;
  }
  if (!context) {
    return false;
  }
  spdlog::debug("gateway {}: sending command {} ({}) to meter {} (attempt {})", m_gateway.name,
                context->command.id, store::toString(context->command.kind), context->meter.serial,
                context->command.attempts);
  std::string error;
  auto* driver = driverFor(context->meter, error);
  if (driver == nullptr) {
    Resolution resolution;
    resolution.verdict = Verdict::Failed;
    resolution.detail = "no driver: " + error;
    apply(*context, resolution, false);
    return true;
  }
  const auto resolution = m_deps.executor.execute(*context, *driver);
  if (resolution.verdict == Verdict::OutcomeUnknown) {
    m_unresolved[context->command.id] = Clock::now() + resolution.retryAfter;
  }
  apply(*context, resolution, false);
  return true;
}

void BusWorker::apply(const CommandContext& context, const Resolution& resolution, bool resolving) {
  const auto& command = context.command;
  const auto at = m_deps.options.clock();
  const auto retryAt = at + std::chrono::ceil<std::chrono::seconds>(resolution.retryAfter);
  const auto written = m_deps.store.write(
      [&](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
        std::expected<store::Command, store::StoreError> changed = command;
        switch (resolution.verdict) {
          case Verdict::Done:
            changed = tx.commands().markDone(command.id, at);
            break;
          case Verdict::Failed:
            changed = tx.commands().markFailed(command.id, at, resolution.detail);
            break;
          case Verdict::OutcomeUnknown:
            if (command.state == store::CommandState::Sending || !resolving) {
              changed = tx.commands().markOutcomeUnknown(command.id, at, resolution.detail);
            }
            break;
          case Verdict::RetryLater:
            changed = tx.commands().retryLater(command.id, at, retryAt, resolution.detail);
            break;
        }
        if (!changed) {
          return std::unexpected(changed.error());
        }
        if (resolution.purchaseCountMismatch) {
          const auto subject = store::AlarmSubject::meter(command.meterId);
          auto raised = tx.alarms().raise(subject, store::AlarmKind::PurchaseCountMismatch, at,
                                          resolution.detail);
          if (!raised) {
            return std::unexpected(raised.error());
          }
          auto blocked = tx.meters().setSalesBlock(command.meterId, store::SalesBlock::Blocked,
                                                   "purchase count mismatch: " + resolution.detail);
          if (!blocked) {
            return std::unexpected(blocked.error());
          }
        }
        return {};
      },
      store::Durability::Full);
  if (!written) {
    // The command stays `sending` in the store: resolve it by reading the meter, as after a
    // crash, instead of guessing.
    spdlog::error("gateway {}: command {}: recording '{}' failed: {}", m_gateway.name, command.id,
                  resolution.detail, storeText(written.error()));
    m_unresolved[command.id] = Clock::now() + m_deps.options.commandRetryBase;
  }
  auto& counters = m_deps.counters;
  switch (resolution.verdict) {
    case Verdict::Done:
      counters.commandsDone.fetch_add(1, std::memory_order_relaxed);
      spdlog::info("gateway {}: command {} ({}) to meter {} done: {}", m_gateway.name, command.id,
                   store::toString(command.kind), context.meter.serial, resolution.detail);
      break;
    case Verdict::Failed:
      counters.commandsFailed.fetch_add(1, std::memory_order_relaxed);
      spdlog::warn("gateway {}: command {} ({}) to meter {} failed: {}", m_gateway.name, command.id,
                   store::toString(command.kind), context.meter.serial, resolution.detail);
      break;
    case Verdict::OutcomeUnknown:
      counters.commandsUnknown.fetch_add(1, std::memory_order_relaxed);
      spdlog::warn("gateway {}: command {} ({}) to meter {}: outcome unknown: {}", m_gateway.name,
                   command.id, store::toString(command.kind), context.meter.serial,
                   resolution.detail);
      break;
    case Verdict::RetryLater:
      counters.commandsRetried.fetch_add(1, std::memory_order_relaxed);
      spdlog::info("gateway {}: command {} ({}) to meter {} retried later: {}", m_gateway.name,
                   command.id, store::toString(command.kind), context.meter.serial,
                   resolution.detail);
      break;
  }
  if (resolution.snapshot) {
    m_deps.pipeline.submit(toReading(command.meterId, at, *resolution.snapshot));
  }
  noteContact(command.meterId, resolution.contact);
}

void BusWorker::noteContact(store::MeterId meter, Contact contact) {
  // Only an answer counts here: failed commands are retried on their own schedule and the
  // polls decide lost contact.
  if (contact == Contact::Answered) {
    recordLinkChanges(meter, m_schedule.noteAnswered(meter, Clock::now()));
  }
}

devices::Meter* BusWorker::driverFor(const store::Meter& meter, std::string& error) {
  auto driver = m_bus->meter(meter);
  if (!driver) {
    error = driver.error();
    return nullptr;
  }
  return *driver;
}

void BusWorker::poll(store::MeterId id) {
  const auto found = m_meters.find(id);
  if (found == m_meters.end()) {
    return;
  }
  const auto& meter = found->second;
  std::string error;
  auto* driver = driverFor(meter, error);
  const auto start = Clock::now();
  if (driver == nullptr) {
    spdlog::error("gateway {}: meter {}: {}", m_gateway.name, meter.serial, error);
    recordLinkChanges(id, m_schedule.recordFailure(id, FailureKind::Meter, start));
    return;
  }
  // A transient error (CRC, garbled reply) of a meter in good standing is retried at once, up to
  // the gateway's retries; a timeout never is (it would cost the bus another full timeout), nor
  // is anything from a meter already failing: those wait for their backoff.
  auto snapshot = driver->readSnapshot();
  for (std::int64_t retry = 0; !snapshot && retry < m_gateway.retries; ++retry) {
    const auto kind = snapshot.error().kind;
    if (kind == devices::DeviceErrorKind::Timeout || !devices::isRetryableRead(kind) ||
        m_schedule.consecutiveFailures(id) > 0 || m_schedule.gatewayLost()) {
      break;
    }
    snapshot = driver->readSnapshot();
  }
  const auto now = Clock::now();
  if (snapshot) {
    m_deps.counters.polls.fetch_add(1, std::memory_order_relaxed);
    m_deps.pipeline.submit(toReading(id, m_deps.options.clock(), *snapshot));
    recordLinkChanges(id, m_schedule.recordSuccess(id, now));
    return;
  }
  m_deps.counters.pollFailures.fetch_add(1, std::memory_order_relaxed);
  const auto contact = contactOf(snapshot.error());
  const auto kind = contact == Contact::Connection ? FailureKind::Connection : FailureKind::Meter;
  spdlog::debug("gateway {}: meter {} (unit {}) not read: {}", m_gateway.name, meter.serial,
                meter.unitAddress, devices::describe(snapshot.error()));
  recordLinkChanges(id, m_schedule.recordFailure(id, kind, now));
}

void BusWorker::pollAndTrack(store::MeterId id) {
  // Classified before the poll: its outcome changes the meter's failure count.
  auto kind = PollKind::Scheduled;
  const bool singleRead = m_singleReads.erase(id) > 0;
  if (m_schedule.gatewayLost()) {
    kind = PollKind::Probe;
  } else if (singleRead) {
    kind = PollKind::ReadNow;
  } else if (m_schedule.consecutiveFailures(id) > 0) {
    kind = PollKind::Retry;
  }
  const auto start = Clock::now();
  poll(id);
  const auto end = Clock::now();
  if (m_schedule.gatewayLost()) {
    m_passes.abandon();  // lost during this poll: the sweep did not finish
    return;
  }
  std::set<store::MeterId> inGoodStanding;
  for (const auto& [meterId, meter] : m_meters) {
    if (!m_schedule.meterLost(meterId)) {
      inGoodStanding.insert(meterId);
    }
  }
  if (m_passes.recordPoll(id, kind, start, end, inGoodStanding)) {
    m_deps.counters.publishPass(m_gateway.id, m_passes.stats());
  }
}

void BusWorker::recordLinkChanges(store::MeterId meter, const PollOutcome& outcome) {
  if (outcome.meter == LinkChange::None && outcome.gateway == LinkChange::None) {
    return;
  }
  const auto at = m_deps.options.clock();
  const auto serial = m_meters.contains(meter) ? m_meters.at(meter).serial : std::to_string(meter);
  const auto written = m_deps.store.write(
      [&](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
        if (outcome.meter != LinkChange::None) {
          const bool lost = outcome.meter == LinkChange::Lost;
          auto set = tx.meters().setLinkState(
              meter, lost ? store::LinkState::Lost : store::LinkState::Online, at);
          if (!set) {
            return std::unexpected(set.error());
          }
          const auto subject = store::AlarmSubject::meter(meter);
          if (lost) {
            auto raised = tx.alarms().raise(subject, store::AlarmKind::LostContact, at,
                                            "meter " + serial + " not answering");
            if (!raised) {
              return std::unexpected(raised.error());
            }
          } else {
            auto cleared = tx.alarms().clear(subject, store::AlarmKind::LostContact, at);
            if (!cleared) {
              return std::unexpected(cleared.error());
            }
          }
        }
        if (outcome.gateway != LinkChange::None) {
          const bool lost = outcome.gateway == LinkChange::Lost;
          auto set = tx.gateways().setLinkState(
              m_gateway.id, lost ? store::LinkState::Lost : store::LinkState::Online, at);
          if (!set) {
            return std::unexpected(set.error());
          }
          const auto subject = store::AlarmSubject::gateway(m_gateway.id);
          if (lost) {
            auto raised = tx.alarms().raise(subject, store::AlarmKind::LostContact, at,
                                            "gateway " + m_gateway.name + " not answering");
            if (!raised) {
              return std::unexpected(raised.error());
            }
          } else {
            auto cleared = tx.alarms().clear(subject, store::AlarmKind::LostContact, at);
            if (!cleared) {
              return std::unexpected(cleared.error());
            }
          }
        }
        return {};
      },
      store::Durability::Normal);
  if (!written) {
    spdlog::error("gateway {}: recording link state failed: {}", m_gateway.name,
                  storeText(written.error()));
  }
  if (outcome.meter == LinkChange::Lost) {
    m_deps.counters.metersLost.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("meter {} on gateway {}: lost contact", serial, m_gateway.name);
  } else if (outcome.meter == LinkChange::Recovered) {
    spdlog::info("meter {} on gateway {}: contact restored", serial, m_gateway.name);
  }
  if (outcome.gateway == LinkChange::Lost) {
    m_deps.counters.gatewaysLost.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("gateway {}: lost contact", m_gateway.name);
    m_bus->reset();
  } else if (outcome.gateway == LinkChange::Recovered) {
    spdlog::info("gateway {}: contact restored", m_gateway.name);
  }
}

}  // namespace prepaid::backend::collect
