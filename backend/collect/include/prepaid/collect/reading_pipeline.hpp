#pragma once

// Group commit of readings: bus workers submit() readings from any thread; one pipeline thread
// writes them with Store::writeReadings in batches (up to batchSize readings, or whatever is
// queued after batchDelay) and hands each committed batch to the ReadingSink (billing).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "prepaid/collect/reading_sink.hpp"
#include "prepaid/meter/meter.hpp"
#include "prepaid/store/store.hpp"

namespace prepaid::backend::collect {

/// A store reading from a driver snapshot (units converted; absent fields stay empty/zero).
[[nodiscard]] store::Reading toReading(store::MeterId meter, domain::Instant readAt,
                                       const devices::MeterSnapshot& snapshot);

struct PipelineStats {
  std::int64_t submitted = 0;
  std::int64_t written = 0;      // stored by writeReadings
  std::int64_t stale = 0;        // refused as not newer (by the store or here)
  std::int64_t batches = 0;      // writeReadings transactions committed
  std::int64_t writeErrors = 0;  // batches that failed (kept and retried)
};

class ReadingPipeline {
 public:
  /// `store` and `sink` (may be null) must outlive the pipeline.
  ReadingPipeline(store::Store& store, ReadingSink* sink, std::size_t batchSize,
                  std::chrono::milliseconds batchDelay);
  /// Stops (flushing what is queued).
  ~ReadingPipeline();
  ReadingPipeline(const ReadingPipeline&) = delete;
  ReadingPipeline& operator=(const ReadingPipeline&) = delete;

  /// Starts the pipeline thread.
  void start();
  /// Writes everything queued, then stops the thread. Idempotent.
  void stop();
  /// Queues a reading (thread-safe). A reading not newer than the last one submitted for its
  /// meter is dropped (counted stale): a poll and a read-now in the same second.
  void submit(store::Reading reading);
  /// Blocks until everything submitted so far is written (or failed); for tests and shutdown.
  void drain();

  [[nodiscard]] PipelineStats stats() const;

 private:
  void run();
  void writeBatch(std::vector<store::Reading> batch);

  store::Store& m_store;
  ReadingSink* m_sink;
  std::size_t m_batchSize;
  std::chrono::milliseconds m_batchDelay;

  mutable std::mutex m_mutex;
  std::condition_variable m_wake;
  std::condition_variable m_drained;
  std::vector<store::Reading> m_queue;
  std::map<store::MeterId, domain::Instant> m_lastReadAt;
  std::optional<std::chrono::steady_clock::time_point> m_firstQueuedAt;
  std::int64_t m_inProgress = 0;
  bool m_stopping = false;
  bool m_running = false;
  PipelineStats m_stats;
  std::thread m_thread;
};

}  // namespace prepaid::backend::collect
