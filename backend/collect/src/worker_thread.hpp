#pragma once

// A thread with a chosen stack size (std::thread cannot set one): 320+ bus workers with the
// default 8 MB stacks reserve gigabytes of address space for nothing.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include <pthread.h>

namespace prepaid::backend::collect {

class WorkerThread {
 public:
  WorkerThread() = default;
  ~WorkerThread() { join(); }
  WorkerThread(const WorkerThread&) = delete;
  WorkerThread& operator=(const WorkerThread&) = delete;

  /// Starts `body` on a new thread with `stackBytes` of stack (at least PTHREAD_STACK_MIN).
  /// Error: the pthread error text.
  [[nodiscard]] bool start(std::function<void()> body, std::size_t stackBytes, std::string& error);
  /// Joins if started. Idempotent.
  void join();
  [[nodiscard]] bool joinable() const { return m_started; }

 private:
  static void* trampoline(void* argument);

  pthread_t m_thread{};
  bool m_started = false;
  std::unique_ptr<std::function<void()>> m_body;
};

}  // namespace prepaid::backend::collect
