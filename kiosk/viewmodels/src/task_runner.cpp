#include "prepaid/viewmodels/task_runner.hpp"

namespace prepaid::kiosk {

ThreadPoolRunner::ThreadPoolRunner(std::size_t workers, std::function<void()> wake)
    : m_wake(std::move(wake)) {
  for (std::size_t i = 0; i < workers; ++i) {
    m_threads.emplace_back([this] { workerLoop(); });
  }
}

ThreadPoolRunner::~ThreadPoolRunner() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
    m_work.clear();
  }
  m_wakeWorker.notify_all();
  for (auto& thread : m_threads) {
    thread.join();
  }
}

void ThreadPoolRunner::run(Work work) {
  {
    std::lock_guard lock(m_mutex);
    m_work.push_back(std::move(work));
  }
  m_wakeWorker.notify_one();
}

std::size_t ThreadPoolRunner::drain() {
  std::vector<Continuation> ready;
  {
    std::lock_guard lock(m_mutex);
    ready.swap(m_done);
  }
  for (auto& continuation : ready) {
    if (continuation) {
      continuation();
    }
  }
  return ready.size();
}

std::size_t ThreadPoolRunner::pending() const {
  std::lock_guard lock(m_mutex);
  return m_work.size() + m_running;
}

void ThreadPoolRunner::workerLoop() {
  for (;;) {
    Work work;
    {
      std::unique_lock lock(m_mutex);
      m_wakeWorker.wait(lock, [this] { return m_stopping || !m_work.empty(); });
      if (m_stopping) {
        return;
      }
      work = std::move(m_work.front());
      m_work.pop_front();
      ++m_running;
    }
    Continuation continuation;
    // An exception must never cross the thread: work reports errors through its continuation.
    try {
      continuation = work();
    } catch (...) {
      continuation = nullptr;
    }
    {
      std::lock_guard lock(m_mutex);
      --m_running;
      m_done.push_back(std::move(continuation));
    }
    if (m_wake) {
      m_wake();
    }
  }
}

std::size_t ManualRunner::drain() {
  std::vector<Continuation> ready;
  ready.swap(m_done);
  for (auto& continuation : ready) {
    if (continuation) {
      continuation();
    }
  }
  return ready.size();
}

std::size_t ManualRunner::runAll() {
  std::deque<Work> batch;
  batch.swap(m_work);
  for (auto& work : batch) {
    m_done.push_back(work());
  }
  return batch.size();
}

void ManualRunner::settle(int maxRounds) {
  for (int i = 0; i < maxRounds && (!m_work.empty() || !m_done.empty()); ++i) {
    runAll();
    drain();
  }
}

}  // namespace prepaid::kiosk
