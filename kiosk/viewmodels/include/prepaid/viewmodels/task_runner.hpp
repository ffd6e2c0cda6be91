#pragma once

// How view models do blocking work without blocking the UI thread: `run(work)` executes `work`
// on a worker; the continuation it returns is applied on the UI thread at the start of the next
// frame (ImHex's TaskManager, Tracy's main-thread run queue). A continuation captures only
// values: it must not touch a view model that may be gone — view models guard with a
// generation counter (see KioskSession::clearTenant).

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace prepaid::kiosk {

using Continuation = std::function<void()>;
using Work = std::function<Continuation()>;
/// Applied on the UI thread instead of the continuation when the work threw (the exception's
/// text as argument), so a view model can leave its "busy" state with an error.
using Failure = std::function<void(const std::string& what)>;

class TaskRunner {
 public:
  virtual ~TaskRunner() = default;
  /// Queues `work` for a worker thread. Called on the UI thread. Any exception thrown by `work`
  /// is caught on the worker and delivered as `onFailure(what)` on the UI thread (and reported
  /// to the error reporter); it never crosses the thread.
  void run(Work work, Failure onFailure = {});
  /// Applies the continuations that are ready, in completion order. Called on the UI thread at
  /// the start of a frame. Returns how many were applied (the frame must redraw when > 0). A
  /// continuation that throws is reported and the others still run.
  virtual std::size_t drain() = 0;
  /// Where caught exceptions are reported (UI thread; the app logs them). Optional.
  void setErrorReporter(std::function<void(const std::string&)> reporter) {
    m_reportError = std::move(reporter);
  }

 protected:
  /// Queues the (already exception-safe) work.
  virtual void submit(Work work) = 0;
  /// Applies one continuation; an exception is reported, not thrown.
  void apply(const Continuation& continuation) const;

 private:
  std::function<void(const std::string&)> m_reportError;
};

/// Worker threads + a mutex-protected main-thread queue. `wake` is called (from a worker) after
/// a continuation is queued, so an idle UI waiting for events renders it at once.
class ThreadPoolRunner final : public TaskRunner {
 public:
  ThreadPoolRunner(std::size_t workers, std::function<void()> wake);
  ~ThreadPoolRunner() override;
  ThreadPoolRunner(const ThreadPoolRunner&) = delete;
  ThreadPoolRunner& operator=(const ThreadPoolRunner&) = delete;

  std::size_t drain() override;
  /// Work queued or running (for tests and the maintenance screen).
  [[nodiscard]] std::size_t pending() const;
  /// Blocks until every queued and running work item has finished, or `timeout` passed; true
  /// when nothing is left. Before exiting, so a last audit post is not dropped by the
  /// destructor (which discards queued work).
  [[nodiscard]] bool waitIdle(std::chrono::milliseconds timeout);

 protected:
  void submit(Work work) override;

 private:
  void workerLoop();
  mutable std::mutex m_mutex;
  std::condition_variable m_wakeWorker;
  std::condition_variable m_idle;
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
  std::size_t drain() override;
  /// Runs every queued work item (and what those queue meanwhile is left for the next call).
  std::size_t runAll();
  /// runAll() + drain() until nothing is queued (bounded to avoid endless polling loops).
  void settle(int maxRounds = 20);
  [[nodiscard]] std::size_t queued() const { return m_work.size(); }

 protected:
  void submit(Work work) override { m_work.push_back(std::move(work)); }

 private:
  std::deque<Work> m_work;
  std::vector<Continuation> m_done;
};

}  // namespace prepaid::kiosk
