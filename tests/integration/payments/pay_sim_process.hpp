#pragma once

// Runs prepaid-pay-sim as a child process for a test: starts it with the given flags, waits for
// its "ready" line with a deadline (no sleeps), reads the base URL it printed, and stops it with
// SIGTERM when destroyed. The control API itself is plain HTTP (devices/sim/README.md).

#include <chrono>
#include <string>
#include <vector>

#include <sys/types.h>

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
  /// Stops with SIGTERM and waits; returns the exit status (-1 when killed or not running).
  int stop();
  /// Everything it printed on stdout so far.
  [[nodiscard]] const std::string& output() const { return m_output; }

 private:
  pid_t m_pid = -1;
  int m_stdout = -1;
  bool m_ready = false;
  std::string m_baseUrl;
  std::string m_output;
};

/// The path of the built prepaid-pay-sim.
[[nodiscard]] std::string paySimPath();

}  // namespace prepaid::test
