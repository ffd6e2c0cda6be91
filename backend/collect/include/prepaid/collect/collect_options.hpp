#pragma once

// Tuning of collection and command delivery (backend/app fills it from the config file). The
// collection interval and the lost-contact count come from the store's settings, not from here.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>

#include "prepaid/domain/time.hpp"

namespace prepaid::backend::collect {

/// Wall-clock source (UTC); tests substitute their own.
using WallClock = std::function<domain::Instant()>;

/// The system clock rounded down to whole seconds.
[[nodiscard]] domain::Instant systemNow();

struct CollectOptions {
  // Scheduling and backoff
  std::chrono::milliseconds retryBase{2000};  // first re-poll delay after a failed read
  std::chrono::milliseconds maxBackoff{
      600000};                                  // cap of a silent meter's / gateway's re-poll delay
  std::chrono::milliseconds commandCheck{250};  // idle bus: look at the command queue this often
  std::chrono::milliseconds refresh{5000};      // re-read settings, gateways and meters
  // Commands
  std::chrono::milliseconds commandRetryBase{2000};   // first retry of a failed command
  std::chrono::milliseconds commandRetryMax{300000};  // cap of the command retry delay
  std::chrono::milliseconds mismatchRetry{3600000};   // recharge blocked by a count mismatch
  std::int64_t maxControlAttempts = 10;               // then a control command is failed
  // Readings
  std::size_t batchSize = 256;                // readings per writeReadings transaction
  std::chrono::milliseconds batchDelay{200};  // flush a partial batch after this long
  // Threads
  std::size_t workerStackBytes = 1024 * 1024;  // per gateway worker thread
  std::size_t maxGateways = 4096;              // workers beyond this are not started (logged)
  WallClock clock = systemNow;
};

}  // namespace prepaid::backend::collect
