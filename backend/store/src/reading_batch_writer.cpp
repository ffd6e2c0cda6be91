#include "prepaid/store/reading_batch_writer.hpp"

namespace prepaid::store {

ReadingBatchWriter::ReadingBatchWriter(Store& store, std::size_t batchSize)
    : m_store(store), m_batchSize(batchSize == 0 ? 1 : batchSize) {
  m_pending.reserve(m_batchSize);
}

std::expected<ReadingBatchResult, StoreError> ReadingBatchWriter::add(const Reading& reading) {
  std::lock_guard lock(m_mutex);
  m_pending.push_back(reading);
  if (m_pending.size() < m_batchSize) {
    return ReadingBatchResult{};
  }
  return flushLocked();
}

std::expected<ReadingBatchResult, StoreError> ReadingBatchWriter::flush() {
  std::lock_guard lock(m_mutex);
  return flushLocked();
}

std::size_t ReadingBatchWriter::pending() const {
  std::lock_guard lock(m_mutex);
  return m_pending.size();
}

std::expected<ReadingBatchResult, StoreError> ReadingBatchWriter::flushLocked() {
  if (m_pending.empty()) {
    return ReadingBatchResult{};
  }
  auto result = m_store.writeReadings(m_pending);
  if (result) {
    m_pending.clear();
  }
  return result;
}

}  // namespace prepaid::store
