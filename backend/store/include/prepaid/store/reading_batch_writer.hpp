#pragma once

// Collects readings from any number of collector threads and writes them to the store in batches
// (group commit): one transaction per `batchSize` readings instead of one per reading.

#include <cstddef>
#include <expected>
#include <mutex>
#include <vector>

#include "prepaid/store/reading_repository.hpp"
#include "prepaid/store/store.hpp"

namespace prepaid::store {

class ReadingBatchWriter {
 public:
  /// `store` must outlive the writer. batchSize >= 1.
  ReadingBatchWriter(Store& store, std::size_t batchSize);
  /// Does not flush (a destructor cannot report errors): call flush() before destroying.
  ~ReadingBatchWriter() = default;
  ReadingBatchWriter(const ReadingBatchWriter&) = delete;
  ReadingBatchWriter& operator=(const ReadingBatchWriter&) = delete;

  /// Queues a reading; when batchSize readings are queued, writes them on this thread and
  /// returns that batch's result (otherwise a result with zero counts). On a write error the
  /// batch stays queued for the next flush. Thread-safe.
  [[nodiscard]] std::expected<ReadingBatchResult, StoreError> add(const Reading& reading);
  /// Writes whatever is queued (call on a timer, e.g. every second, and at shutdown).
  [[nodiscard]] std::expected<ReadingBatchResult, StoreError> flush();
  /// Readings queued and not yet written.
  [[nodiscard]] std::size_t pending() const;

 private:
  [[nodiscard]] std::expected<ReadingBatchResult, StoreError> flushLocked();

  Store& m_store;
  std::size_t m_batchSize;
  mutable std::mutex m_mutex;
  std::vector<Reading> m_pending;
};

}  // namespace prepaid::store
