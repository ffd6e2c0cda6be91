#include "prepaid/viewmodels/task_runner.hpp"

namespace prepaid::kiosk {

void TaskRunner::run(Work work, Failure onFailure) {
  // The catch lives here, around every job, so both runners behave alike and a throwing job
  // (e.g. the JSON encoder on invalid UTF-8) ends in its failure path instead of leaving a
  // view model waiting for a continuation that never comes.
  submit([this, work = std::move(work), onFailure = std::move(onFailure)]() -> Continuation {
    std::string what;
    try {
      return work();
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
      what = "unknown exception";
    }
    return [this, what, onFailure] {
      if (m_reportError) {
        m_reportError("worker job failed: " + what);
      }
      if (onFailure) {
        onFailure(what);
      }
    };
  });
}

void TaskRunner::apply(const Continuation& continuation) const {
  if (!continuation) {
    return;
  }
  try {
    continuation();
  } catch (const std::exception& e) {
    if (m_reportError) {
      m_reportError(std::string("continuation failed: ") + e.what());
    }
  } catch (...) {
    if (m_reportError) {
      m_reportError("continuation failed: unknown exception");
    }
  }
}

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

void ThreadPoolRunner::submit(Work work) {
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
    apply(continuation);
  }
  return ready.size();
}

std::size_t ThreadPoolRunner::pending() const {
  std::lock_guard lock(m_mutex);
  return m_work.size() + m_running;
}

bool ThreadPoolRunner::waitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(m_mutex);
  return m_idle.wait_for(lock, timeout, [this] { return m_work.empty() && m_running == 0; });
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
    // TaskRunner::run already turns exceptions into failure continuations; this is the last
    // guard so nothing ever crosses the thread.
    try {
      continuation = work();
    } catch (...) {
      continuation = nullptr;
    }
    {
      std::lock_guard lock(m_mutex);
      --m_running;
      m_done.push_back(std::move(continuation));
      if (m_work.empty() && m_running == 0) {
        m_idle.notify_all();
      }
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
    apply(continuation);
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
