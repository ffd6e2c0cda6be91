#pragma once

// Runs prepaid-backend as a child process for a test: writes nothing itself (the test writes the
// config), waits for "ready" on stdout with a deadline, stops with SIGTERM (clean) or SIGKILL
// (crash test).

#include <chrono>
#include <string>

#include <sys/types.h>

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
  /// SIGTERM and wait; returns the exit status (-1 when killed by a signal or not running).
  int stop(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  /// SIGKILL and wait.
  void kill();
  [[nodiscard]] pid_t pid() const { return m_pid; }

 private:
  pid_t m_pid = -1;
  int m_stdout = -1;
  bool m_ready = false;
};

/// The path of the built prepaid-backend.
[[nodiscard]] std::string backendPath();

}  // namespace prepaid::test
