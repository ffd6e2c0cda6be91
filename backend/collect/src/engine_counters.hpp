#pragma once

#include <atomic>
#include <cstdint>

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
};

}  // namespace prepaid::backend::collect
