#pragma once

// Collection (集中抄表) and command delivery: one worker thread per gateway connection, all
// gateways in parallel. Each worker, before every poll, resolves commands of its bus left with an
// unknown outcome and claims the next due command (commands preempt polls); then it polls the
// meter its BusSchedule says is due. Readings go through the ReadingPipeline (group commit,
// then the ReadingSink). See backend/collect/README.md.
//
// Threading: every public method is thread-safe. start() and stop() are called by the owner
// (backend/app); stop() finishes the exchange and transaction each worker has in flight, then
// joins every thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "prepaid/collect/bus_factory.hpp"
#include "prepaid/collect/collect_error.hpp"
#include "prepaid/collect/collect_options.hpp"
#include "prepaid/collect/command_executor.hpp"
#include "prepaid/collect/reading_pipeline.hpp"
#include "prepaid/collect/reading_sink.hpp"
#include "prepaid/store/store.hpp"

namespace prepaid::backend::collect {

class BusWorker;
struct EngineCounters;

/// What "read now" covers.
struct ReadScope {
  enum class Kind { Meter, Building, All };
  Kind kind = Kind::All;
  std::int64_t id = 0;  // MeterId or BuildingId
  static ReadScope meter(store::MeterId meter) { return {Kind::Meter, meter}; }
  static ReadScope building(store::BuildingId building) { return {Kind::Building, building}; }
  static ReadScope all() { return {Kind::All, 0}; }
};

/// Pass time of one gateway (see pass_tracker.hpp).
struct GatewayPassStats {
  store::GatewayId gatewayId = 0;
  std::string gatewayName;
  std::int64_t passes = 0;                   // completed since the engine started
  std::chrono::nanoseconds lastPass{0};      // wall time of the last completed pass
  std::chrono::nanoseconds lastPassBusy{0};  // time in polls during that pass
  std::int64_t lastPassMeters = 0;           // meters attempted in it
};

struct EngineStats {
  std::int64_t gateways = 0;      // workers running
  std::int64_t polls = 0;         // successful snapshot reads
  std::int64_t pollFailures = 0;  // failed snapshot reads
  std::int64_t commandsDone = 0;
  std::int64_t commandsFailed = 0;
  std::int64_t commandsRetried = 0;   // put back in the queue with a backoff
  std::int64_t commandsUnknown = 0;   // marked outcome_unknown
  std::int64_t commandsResolved = 0;  // in-flight commands resolved by reading the meter
  std::int64_t metersLost = 0;        // lost-contact transitions (raised)
  std::int64_t gatewaysLost = 0;
  PipelineStats readings;
  /// One entry per running gateway worker, by gateway id; a gateway with no completed pass yet
  /// has passes = 0.
  std::vector<GatewayPassStats> passes;
};

class CollectionEngine {
 public:
  /// `store`, `factory` and `sink` (may be null) must outlive the engine.
  CollectionEngine(store::Store& store, BusFactory& factory, ReadingSink* sink,
                   CollectOptions options);
  /// Stops (see stop()).
  ~CollectionEngine();
  CollectionEngine(const CollectionEngine&) = delete;
  CollectionEngine& operator=(const CollectionEngine&) = delete;

  /// Reads gateways and settings, starts the reading pipeline, one worker per enabled gateway and
  /// the supervisor that follows configuration changes. Each worker first resolves the commands
  /// of its bus left `sending`/`outcome_unknown` (by reading the meter). Error: Store.
  [[nodiscard]] std::expected<void, CollectError> start();

  /// Stops the supervisor and the workers (each finishes the exchange and transaction in
  /// flight), joins every thread, then flushes the pipeline. Idempotent.
  void stop();

  /// Makes the meters of `scope` due now. Returns how many meters were covered. Errors:
  /// NotFound (unknown meter/building), NotRunning, Store.
  [[nodiscard]] std::expected<std::size_t, CollectError> readNow(const ReadScope& scope);

  /// Wakes every worker to look at the command queue now (new commands were enqueued).
  void commandsQueued();

  /// Counters since start().
  [[nodiscard]] EngineStats stats() const;

  /// Waits until every reading submitted so far is written and passed to the sink (tests).
  void drainReadings();

 private:
  void supervise();
  [[nodiscard]] std::expected<void, CollectError> syncWorkers();

  store::Store& m_store;
  BusFactory& m_factory;
  CollectOptions m_options;
  std::unique_ptr<EngineCounters> m_counters;
  ReadingPipeline m_pipeline;
  CommandExecutor m_executor;

  mutable std::mutex m_mutex;  // guards m_workers, m_running
  std::map<store::GatewayId, std::unique_ptr<BusWorker>> m_workers;
  bool m_running = false;

  std::mutex m_superviseMutex;
  std::condition_variable m_superviseWake;
  bool m_stopping = false;
  std::thread m_supervisor;
};

}  // namespace prepaid::backend::collect
