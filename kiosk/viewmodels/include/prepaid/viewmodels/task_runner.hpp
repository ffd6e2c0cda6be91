#pragma once

// How view models do blocking work without blocking the UI thread: `run(work)` executes `work`
// on a worker; the continuation it returns is applied on the UI thread at the start of the next
// frame (ImHex's TaskManager, Tracy's main-thread run queue). A continuation captures only
// values: it must not touch a view model that may be gone — view models guard with a
// generation counter (see KioskSession::clearTenant).

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace prepaid::kiosk {

using Continuation = std::function<void()>;
using Work = std::function<Continuation()>;

class TaskRunner {
 public:
  virtual ~TaskRunner() = default;
  /// Queues `work` for a worker thread. Called on the UI thread.
  virtual void run(Work work) = 0;
  /// Applies the continuations that are ready, in completion order. Called on the UI thread at
  /// the start of a frame. Returns how many were applied (the frame must redraw when > 0).
  virtual std::size_t drain() = 0;
};

/// Worker threads + a mutex-protected main-thread queue. `wake` is called (from a worker) after
/// a continuation is queued, so an idle UI waiting for events renders it at once.
class ThreadPoolRunner final : public TaskRunner {
 public:
  ThreadPoolRunner(std::size_t workers, std::function<void()> wake);
  ~ThreadPoolRunner() override;
  ThreadPoolRunner(const ThreadPoolRunner&) = delete;
  ThreadPoolRunner& operator=(const ThreadPoolRunner&) = delete;

  void run(Work work) override;
  std::size_t drain() override;
  /// Work queued or running (for tests and the maintenance screen).
  [[nodiscard]] std::size_t pending() const;

 private:
  void workerLoop();
  mutable std::mutex m_mutex;
  std::condition_variable m_wakeWorker;
  std::deque<Work> m_work;
  std::vector<Continuation> m_done;
  std::size_t m_running = 0;
  bool m_stopping = false;
  std::function<void()> m_wake;
  std::vector<std::thread> m_threads;
};

/// Deterministic runner for tests: work runs only when the test calls runAll(), on the test's
/// thread; drain() then applies the continuations.
class ManualRunner final : public TaskRunner {
 public:
  void run(Work work) override { m_work.push_back(std::move(work)); }
  std::size_t drain() override;
  /// Runs every queued work item (and what those queue meanwhile is left for the next call).
  std::size_t runAll();
  /// runAll() + drain() until nothing is queued (bounded to avoid endless polling loops).
  void settle(int maxRounds = 20);
  [[nodiscard]] std::size_t queued() const { return m_work.size(); }

 private:
  std::deque<Work> m_work;
  std::vector<Continuation> m_done;
};

}  // namespace prepaid::kiosk
