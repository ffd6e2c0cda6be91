#pragma once

// Runs prepaid-pay-sim as a child process for a test: starts it with the given flags, waits for
// its "ready" line with a deadline (no sleeps), reads the base URL it printed, and stops it with
// SIGTERM when destroyed. The control API itself is plain HTTP (devices/sim/README.md). The
// process itself is a prepaid::test_process ChildProcess.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "prepaid/test_process/child_process.hpp"

namespace prepaid::test {

class PaySimProcess {
 public:
  /// Starts `prepaid-pay-sim args…`; the test fails (and baseUrl() is empty) when it is not
  /// ready in time.
  explicit PaySimProcess(std::vector<std::string> args,
                         std::chrono::milliseconds readyTimeout = std::chrono::seconds(30));
  ~PaySimProcess();
  PaySimProcess(const PaySimProcess&) = delete;
  PaySimProcess& operator=(const PaySimProcess&) = delete;

  [[nodiscard]] bool ready() const { return m_ready; }
  /// "http://127.0.0.1:PORT" as printed ("prepaid-pay-sim listening on …").
  [[nodiscard]] const std::string& baseUrl() const { return m_baseUrl; }
  /// Stops with SIGTERM (SIGKILL after 20 s) and waits; returns the exit code (-1 when killed by
  /// a signal or not running).
  int stop();
  /// Everything it printed on stdout so far (after stop(): all of it).
  [[nodiscard]] std::string output() const;

 private:
  std::optional<ChildProcess> m_process;
  std::string m_startFailure;  // what went wrong when it never started
  bool m_ready = false;
  std::string m_baseUrl;
};

/// The path of the built prepaid-pay-sim.
[[nodiscard]] std::string paySimPath();

}  // namespace prepaid::test
