#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>

#include "prepaid/collect/pass_tracker.hpp"
#include "prepaid/store/ids.hpp"

namespace prepaid::backend::collect {

// Counters shared by the workers of one engine (relaxed: statistics only).
struct EngineCounters {
  std::atomic<std::int64_t> polls{0};
  std::atomic<std::int64_t> pollFailures{0};
  std::atomic<std::int64_t> commandsDone{0};
  std::atomic<std::int64_t> commandsFailed{0};
  std::atomic<std::int64_t> commandsRetried{0};
  std::atomic<std::int64_t> commandsUnknown{0};
  std::atomic<std::int64_t> commandsResolved{0};
  std::atomic<std::int64_t> metersLost{0};
  std::atomic<std::int64_t> gatewaysLost{0};

  // Pass time per gateway, published by its worker when a pass completes (rare: once per
  // interval), so a mutex costs nothing. Kept by gateway id so a worker restarted after a
  // configuration change continues its gateway's pass count.
  mutable std::mutex passMutex;
  std::map<store::GatewayId, PassStats> passes;

  void publishPass(store::GatewayId gateway, const PassStats& stats) {
    std::lock_guard lock(passMutex);
    auto& stored = passes[gateway];
    const auto total = stored.passes + 1;
    stored = stats;
    stored.passes = total;
  }
};

}  // namespace prepaid::backend::collect
