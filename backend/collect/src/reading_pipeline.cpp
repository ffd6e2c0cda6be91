#include "prepaid/collect/reading_pipeline.hpp"

#include <spdlog/spdlog.h>

namespace prepaid::backend::collect {

store::Reading toReading(store::MeterId meter, domain::Instant readAt,
                         const devices::MeterSnapshot& snapshot) {
  store::Reading reading;
  reading.meterId = meter;
  reading.readAt = readAt;
  reading.energyTotalCentiKwh = snapshot.totalEnergy ? snapshot.totalEnergy->centiKwh() : 0;
  for (std::size_t i = 0; i < domain::RateCount; ++i) {
    if (snapshot.rateEnergy[i]) {
      reading.energyByRateCentiKwh[i] = snapshot.rateEnergy[i]->centiKwh();
    }
  }
  if (snapshot.voltageMilliVolts) {
    reading.voltageDeciV = *snapshot.voltageMilliVolts / 100;
  }
  reading.currentMilliA = snapshot.currentMilliAmps;
  reading.powerW = snapshot.activePowerWatts;
  if (snapshot.prepaid) {
    const auto& prepaid = *snapshot.prepaid;
    if (prepaid.balance) {
      reading.balanceFen = prepaid.balance->fen();
    }
    if (prepaid.purchaseCount) {
      reading.purchaseCount = static_cast<std::int64_t>(*prepaid.purchaseCount);
    }
    reading.relay = prepaid.relay;
    reading.statusBits = static_cast<std::int64_t>(prepaid.statusBits.value_or(0));
  }
  return reading;
}

ReadingPipeline::ReadingPipeline(store::Store& store, ReadingSink* sink, std::size_t batchSize,
                                 std::chrono::milliseconds batchDelay)
    : m_store(store),
      m_sink(sink),
      m_batchSize(batchSize == 0 ? 1 : batchSize),
      m_batchDelay(batchDelay) {}

ReadingPipeline::~ReadingPipeline() {
  stop();
}

void ReadingPipeline::start() {
  std::lock_guard lock(m_mutex);
  if (m_running) {
    return;
  }
  m_running = true;
  m_stopping = false;
  m_thread = std::thread([this] { run(); });
}

void ReadingPipeline::stop() {
  {
    std::lock_guard lock(m_mutex);
    if (!m_running) {
      return;
    }
    m_stopping = true;
  }
  m_wake.notify_all();
  if (m_thread.joinable()) {
    m_thread.join();
  }
  std::lock_guard lock(m_mutex);
  m_running = false;
}

void ReadingPipeline::submit(store::Reading reading) {
  {
    std::lock_guard lock(m_mutex);
    ++m_stats.submitted;
    auto& last = m_lastReadAt[reading.meterId];
    if (last != domain::Instant{} && reading.readAt <= last) {
      ++m_stats.stale;
      return;
    }
    last = reading.readAt;
    const bool first = !m_firstQueuedAt.has_value();
    if (first) {
      m_firstQueuedAt = std::chrono::steady_clock::now();
    }
    m_queue.push_back(std::move(reading));
    // Wake the writer for the first reading (it starts the batch delay) and for a full batch.
    if (!first && m_queue.size() < m_batchSize) {
      return;
    }
  }
  m_wake.notify_one();
}

void ReadingPipeline::drain() {
  std::unique_lock lock(m_mutex);
  if (!m_running) {
    return;
  }
  m_wake.notify_one();
  m_drained.wait(lock, [this] { return (m_queue.empty() && m_inProgress == 0) || !m_running; });
}

PipelineStats ReadingPipeline::stats() const {
  std::lock_guard lock(m_mutex);
  return m_stats;
}

void ReadingPipeline::run() {
  std::unique_lock lock(m_mutex);
  while (true) {
    if (m_queue.empty()) {
      m_drained.notify_all();
      if (m_stopping) {
        break;
      }
      m_wake.wait(lock, [this] { return m_stopping || !m_queue.empty(); });
      continue;
    }
    const auto flushAt = *m_firstQueuedAt + m_batchDelay;
    if (!m_stopping && m_queue.size() < m_batchSize && std::chrono::steady_clock::now() < flushAt) {
      m_wake.wait_until(lock, flushAt);
      continue;
    }
    std::vector<store::Reading> batch;
    if (m_queue.size() <= m_batchSize) {
      batch.swap(m_queue);
      m_firstQueuedAt.reset();
    } else {
      batch.assign(
          std::make_move_iterator(m_queue.begin()),
          std::make_move_iterator(m_queue.begin() + static_cast<std::ptrdiff_t>(m_batchSize)));
      m_queue.erase(m_queue.begin(), m_queue.begin() + static_cast<std::ptrdiff_t>(m_batchSize));
    }
    ++m_inProgress;
    lock.unlock();
    writeBatch(std::move(batch));
    lock.lock();
    --m_inProgress;
  }
  m_drained.notify_all();
}

void ReadingPipeline::writeBatch(std::vector<store::Reading> batch) {
  // Busy (another process holds the lock) is retried a few times; readings that still cannot
  // be written are dropped with an error log: the next pass reads the meters again.
  for (int attempt = 1; attempt <= 3; ++attempt) {
    const auto written = m_store.writeReadings(batch);
    if (written) {
      {
        std::lock_guard lock(m_mutex);
        m_stats.written += written->written;
        m_stats.stale += written->stale;
        ++m_stats.batches;
      }
      if (m_sink != nullptr) {
        m_sink->processReadings(batch);
      }
      return;
    }
    {
      std::lock_guard lock(m_mutex);
      ++m_stats.writeErrors;
    }
    spdlog::error("readings: batch of {} not written (attempt {}): {}: {}", batch.size(), attempt,
                  store::toString(written.error().code), written.error().message);
    if (written.error().code != store::StoreErrorCode::Busy) {
      return;
    }
  }
}

}  // namespace prepaid::backend::collect
