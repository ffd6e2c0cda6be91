#pragma once

// The worker of one gateway connection (one bus): the only thread that touches this bus's
// Bus and Meter objects. See CollectionEngine and backend/collect/README.md.

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "engine_counters.hpp"
#include "worker_thread.hpp"

#include "prepaid/collect/bus_factory.hpp"
#include "prepaid/collect/bus_schedule.hpp"
#include "prepaid/collect/collect_options.hpp"
#include "prepaid/collect/command_executor.hpp"
#include "prepaid/collect/pass_tracker.hpp"
#include "prepaid/collect/reading_pipeline.hpp"
#include "prepaid/store/store.hpp"

namespace prepaid::backend::collect {

struct WorkerDeps {
  store::Store& store;
  BusFactory& factory;
  ReadingPipeline& pipeline;
  const CommandExecutor& executor;
  const CollectOptions& options;
  EngineCounters& counters;
};

class BusWorker {
 public:
  BusWorker(store::Gateway gateway, WorkerDeps deps);
  ~BusWorker();
  BusWorker(const BusWorker&) = delete;
  BusWorker& operator=(const BusWorker&) = delete;

  [[nodiscard]] bool start(std::string& error);
  void requestStop();
  void join();

  /// Make one meter (nullopt: every meter) due now.
  void readNow(std::optional<store::MeterId> meter);
  /// Look at the command queue now.
  void wake();

  [[nodiscard]] const store::Gateway& gateway() const { return m_gateway; }

 private:
  using Clock = std::chrono::steady_clock;

  void run();
  void loop();
  bool refresh(Clock::time_point now);
  void loadLeftovers();
  bool resolveDue(Clock::time_point now);
  bool claimAndExecute();
  void poll(store::MeterId meter);
  void pollAndTrack(store::MeterId meter);  // poll() plus pass time
  void apply(const CommandContext& context, const Resolution& resolution, bool resolving);
  void noteContact(store::MeterId meter, Contact contact);
  void recordLinkChanges(store::MeterId meter, const PollOutcome& outcome);
  [[nodiscard]] devices::Meter* driverFor(const store::Meter& meter, std::string& error);
  [[nodiscard]] std::optional<CommandContext> loadContext(store::CommandId id);

  store::Gateway m_gateway;
  WorkerDeps m_deps;
  BusSchedule m_schedule;
  std::unique_ptr<Bus> m_bus;
  std::map<store::MeterId, store::Meter> m_meters;
  std::map<store::CommandId, Clock::time_point> m_unresolved;  // outcome unknown: resolve at
  Clock::time_point m_nextRefresh{};
  Clock::time_point m_claimPausedUntil{};
  bool m_loadedLeftovers = false;
  bool m_refreshedOnce = false;  // the first refresh also takes the gateway's stored link state
  PassTracker m_passes;
  std::set<store::MeterId> m_singleReads;  // made due by a one-meter "read now" (no pass opens)

  std::mutex m_mutex;  // guards the requests below
  std::condition_variable m_wakeup;
  bool m_stopRequested = false;
  bool m_woken = false;
  bool m_readAll = false;
  std::set<store::MeterId> m_readRequests;

  WorkerThread m_thread;
};

}  // namespace prepaid::backend::collect
