#include "prepaid/collect/collection_engine.hpp"

#include <algorithm>
#include <set>

#include "bus_worker.hpp"
#include "engine_counters.hpp"
#include <spdlog/spdlog.h>

namespace prepaid::backend::collect {

namespace {

CollectError storeError(const store::StoreError& error) {
  return CollectError{CollectErrorCode::Store,
                      std::string(store::toString(error.code)) + ": " + error.message};
}

// A worker must be restarted when what its connection was opened with changed.
bool sameConnection(const store::Gateway& a, const store::Gateway& b) {
  return a.transportUri == b.transportUri && a.responseTimeoutMs == b.responseTimeoutMs &&
         a.byteTimeoutMs == b.byteTimeoutMs && a.interRequestDelayMs == b.interRequestDelayMs &&
         a.retries == b.retries && a.name == b.name;
}

}  // namespace

domain::Instant systemNow() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

std::string_view toString(CollectErrorCode code) {
  switch (code) {
    case CollectErrorCode::NotFound:
      return "not_found";
    case CollectErrorCode::InvalidArgument:
      return "invalid_argument";
    case CollectErrorCode::Store:
      return "store";
    case CollectErrorCode::Device:
      return "device";
    case CollectErrorCode::NotRunning:
      return "not_running";
  }
  return "unknown";
}

CollectionEngine::CollectionEngine(store::Store& store, BusFactory& factory, ReadingSink* sink,
                                   CollectOptions options)
    : m_store(store),
      m_factory(factory),
      m_options(std::move(options)),
      m_counters(std::make_unique<EngineCounters>()),
      m_pipeline(store, sink, m_options.batchSize, m_options.batchDelay),
      m_executor(m_options) {}

CollectionEngine::~CollectionEngine() {
  stop();
}

std::expected<void, CollectError> CollectionEngine::start() {
  {
    std::lock_guard lock(m_mutex);
    if (m_running) {
      return {};
    }
    m_running = true;
  }
  {
    std::lock_guard lock(m_superviseMutex);
    m_stopping = false;
  }
  m_pipeline.start();
  auto synced = syncWorkers();
  if (!synced) {
    stop();
    return synced;
  }
  m_supervisor = std::thread([this] { supervise(); });
  return {};
}

void CollectionEngine::stop() {
  {
    std::lock_guard lock(m_superviseMutex);
    m_stopping = true;
  }
  m_superviseWake.notify_all();
  if (m_supervisor.joinable()) {
    m_supervisor.join();
  }
  std::map<store::GatewayId, std::unique_ptr<BusWorker>> workers;
  {
    std::lock_guard lock(m_mutex);
    workers.swap(m_workers);
    m_running = false;
  }
  // Ask every worker first, then join: they wind down in parallel.
  for (auto& [id, worker] : workers) {
    worker->requestStop();
  }
  for (auto& [id, worker] : workers) {
    worker->join();
  }
  m_pipeline.stop();
}

void CollectionEngine::supervise() {
  std::unique_lock lock(m_superviseMutex);
  while (!m_stopping) {
    m_superviseWake.wait_for(lock, m_options.refresh, [this] { return m_stopping; });
    if (m_stopping) {
      break;
    }
    lock.unlock();
    try {
      if (auto synced = syncWorkers(); !synced) {
        spdlog::warn("collection: gateway refresh failed: {}", synced.error().message);
      }
    } catch (const std::exception& e) {
      spdlog::error("collection: gateway refresh threw: {}", e.what());
    }
    lock.lock();
  }
}

std::expected<void, CollectError> CollectionEngine::syncWorkers() {
  std::vector<store::Gateway> gateways;
  const auto read =
      m_store.read([&](const store::ReadTransaction& tx) -> std::expected<void, store::StoreError> {
        auto found = tx.gateways().gateways();
        if (!found) {
          return std::unexpected(found.error());
        }
        gateways = std::move(*found);
        return {};
      });
  if (!read) {
    return std::unexpected(storeError(read.error()));
  }
  std::vector<std::unique_ptr<BusWorker>> retired;
  {
    std::lock_guard lock(m_mutex);
    if (!m_running) {
      return {};
    }
    std::set<store::GatewayId> wanted;
    for (const auto& gateway : gateways) {
      if (gateway.enabled == store::GatewayEnabled::Enabled) {
        wanted.insert(gateway.id);
      }
    }
    for (auto it = m_workers.begin(); it != m_workers.end();) {
      const auto row = std::find_if(gateways.begin(), gateways.end(),
                                    [&](const auto& g) { return g.id == it->first; });
      if (!wanted.contains(it->first) || row == gateways.end() ||
          !sameConnection(*row, it->second->gateway())) {
        spdlog::info("gateway {}: configuration changed or disabled: stopping its worker",
                     it->second->gateway().name);
        it->second->requestStop();
        retired.push_back(std::move(it->second));
        it = m_workers.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& gateway : gateways) {
      if (!wanted.contains(gateway.id) || m_workers.contains(gateway.id)) {
        continue;
      }
      if (m_workers.size() >= m_options.maxGateways) {
        spdlog::error("gateway {}: not started: more than {} gateways (collect.max_gateways)",
                      gateway.name, m_options.maxGateways);
        continue;
      }
      auto worker = std::make_unique<BusWorker>(
          gateway, WorkerDeps{m_store, m_factory, m_pipeline, m_executor, m_options, *m_counters});
      std::string error;
      if (!worker->start(error)) {
        spdlog::error("gateway {}: cannot start its worker thread: {}", gateway.name, error);
        continue;
      }
      m_workers.emplace(gateway.id, std::move(worker));
    }
  }
  for (auto& worker : retired) {
    worker->join();
  }
  return {};
}

std::expected<std::size_t, CollectError> CollectionEngine::readNow(const ReadScope& scope) {
  std::map<store::GatewayId, std::vector<store::MeterId>> targets;
  bool all = scope.kind == ReadScope::Kind::All;
  if (!all) {
    const auto read = m_store.read(
        [&](const store::ReadTransaction& tx) -> std::expected<void, store::StoreError> {
          if (scope.kind == ReadScope::Kind::Meter) {
            auto meter = tx.meters().meter(scope.id);
            if (!meter) {
              return std::unexpected(meter.error());
            }
            targets[meter->gatewayId].push_back(meter->id);
            return {};
          }
          auto floors = tx.buildings().floors(scope.id);
          if (!floors) {
            return std::unexpected(floors.error());
          }
          std::set<store::ShopId> shops;
          for (const auto& floor : *floors) {
            auto onFloor = tx.buildings().shops(floor.id);
            if (!onFloor) {
              return std::unexpected(onFloor.error());
            }
            for (const auto& shop : *onFloor) {
              shops.insert(shop.id);
            }
          }
          auto meters = tx.meters().meters();
          if (!meters) {
            return std::unexpected(meters.error());
          }
          for (const auto& meter : *meters) {
            if (meter.shopId && shops.contains(*meter.shopId)) {
              targets[meter.gatewayId].push_back(meter.id);
            }
          }
          return {};
        });
    if (!read) {
      if (read.error().code == store::StoreErrorCode::NotFound) {
        return std::unexpected(CollectError{CollectErrorCode::NotFound, read.error().message});
      }
      return std::unexpected(storeError(read.error()));
    }
  }
  std::lock_guard lock(m_mutex);
  if (!m_running) {
    return std::unexpected(CollectError{CollectErrorCode::NotRunning, "collection is not running"});
  }
  std::size_t covered = 0;
  if (all) {
    for (auto& [id, worker] : m_workers) {
      worker->readNow(std::nullopt);
      ++covered;
    }
    return covered;
  }
  for (const auto& [gateway, meters] : targets) {
    const auto worker = m_workers.find(gateway);
    if (worker == m_workers.end()) {
      continue;  // disabled gateway: nothing to read
    }
    for (const auto meter : meters) {
      worker->second->readNow(meter);
      ++covered;
    }
  }
  return covered;
}

void CollectionEngine::commandsQueued() {
  std::lock_guard lock(m_mutex);
  for (auto& [id, worker] : m_workers) {
    worker->wake();
  }
}

EngineStats CollectionEngine::stats() const {
  EngineStats stats;
  {
    std::lock_guard lock(m_mutex);
    stats.gateways = static_cast<std::int64_t>(m_workers.size());
    std::lock_guard passLock(m_counters->passMutex);
    for (const auto& [id, worker] : m_workers) {
      GatewayPassStats pass;
      pass.gatewayId = id;
      pass.gatewayName = worker->gateway().name;
      if (const auto found = m_counters->passes.find(id); found != m_counters->passes.end()) {
        pass.passes = found->second.passes;
        pass.lastPass = found->second.lastDuration;
        pass.lastPassBusy = found->second.lastBusy;
        pass.lastPassMeters = found->second.lastMeters;
      }
      stats.passes.push_back(std::move(pass));
    }
  }
  const auto& c = *m_counters;
  stats.polls = c.polls.load(std::memory_order_relaxed);
  stats.pollFailures = c.pollFailures.load(std::memory_order_relaxed);
  stats.commandsDone = c.commandsDone.load(std::memory_order_relaxed);
  stats.commandsFailed = c.commandsFailed.load(std::memory_order_relaxed);
  stats.commandsRetried = c.commandsRetried.load(std::memory_order_relaxed);
  stats.commandsUnknown = c.commandsUnknown.load(std::memory_order_relaxed);
  stats.commandsResolved = c.commandsResolved.load(std::memory_order_relaxed);
  stats.metersLost = c.metersLost.load(std::memory_order_relaxed);
  stats.gatewaysLost = c.gatewaysLost.load(std::memory_order_relaxed);
  stats.readings = m_pipeline.stats();
  return stats;
}

void CollectionEngine::drainReadings() {
  m_pipeline.drain();
}

}  // namespace prepaid::backend::collect
