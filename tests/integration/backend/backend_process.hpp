#pragma once

// Runs prepaid-backend as a child process for a test: writes nothing itself (the test writes the
// config), waits for "ready" on stdout with a deadline, stops with SIGTERM (clean) or SIGKILL
// (crash test). The process itself is a prepaid::test_process ChildProcess.

#include <chrono>
#include <optional>
#include <string>

#include <sys/types.h>

#include "prepaid/test_process/child_process.hpp"

namespace prepaid::test {

class BackendProcess {
 public:
  /// Starts `prepaid-backend --config configFile`.
  explicit BackendProcess(const std::string& configFile,
                          std::chrono::milliseconds readyTimeout = std::chrono::seconds(15));
  /// SIGKILL if still running.
  ~BackendProcess();
  BackendProcess(const BackendProcess&) = delete;
  BackendProcess& operator=(const BackendProcess&) = delete;

  [[nodiscard]] bool ready() const { return m_ready; }
  /// SIGTERM and wait; returns the exit code (-1 when killed by a signal or not running). Fails
  /// the test and sends SIGKILL when it has not stopped within `timeout`.
  int stop(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  /// SIGKILL and wait.
  void kill();
  /// -1 when not running (stopped, killed or never started).
  [[nodiscard]] pid_t pid() const { return m_process ? m_process->pid() : -1; }

 private:
  std::optional<ChildProcess> m_process;
  bool m_ready = false;
};

/// The path of the built prepaid-backend.
[[nodiscard]] std::string backendPath();

}  // namespace prepaid::test
