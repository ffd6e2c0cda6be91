#pragma once

// Runs prepaid-meter-sim as a child process for a test: starts it with the given flags, waits
// for its "ready" line with a deadline (no sleeps), collects the "gateway … listening on …"
// lines, talks to its control port, and stops it (SIGTERM) when destroyed. The process itself is
// a prepaid::test_process ChildProcess.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "prepaid/test_process/child_process.hpp"

namespace prepaid::test {

class MeterSimProcess {
 public:
  /// Starts the simulator; the test fails (and endpoint() is empty) when it is not ready in time.
  explicit MeterSimProcess(std::vector<std::string> args,
                           std::chrono::milliseconds readyTimeout = std::chrono::seconds(10));
  ~MeterSimProcess();
  MeterSimProcess(const MeterSimProcess&) = delete;
  MeterSimProcess& operator=(const MeterSimProcess&) = delete;

  [[nodiscard]] bool ready() const { return m_ready; }
  /// "127.0.0.1:PORT" or the pty path of gateway g.
  [[nodiscard]] std::string endpoint(int gateway) const;
  /// The TCP port of gateway g (0 for a pty gateway).
  [[nodiscard]] int port(int gateway) const;
  /// Sends one control command, returns the reply line ("ok …" / "error …").
  [[nodiscard]] std::string control(const std::string& command) const;
  /// A numeric field of a "get G U" reply (e.g. "balance_fen"); fails the test when missing.
  [[nodiscard]] long long field(int gateway, int unit, const std::string& name) const;
  /// A text field of a control reply.
  [[nodiscard]] static std::string valueOf(const std::string& reply, const std::string& name);
  /// Stops with SIGTERM (SIGKILL after 20 s) and waits; returns the exit code (-1 when killed by
  /// a signal or never started).
  int stop();
  /// Everything the simulator printed on stdout so far (after stop(): all of it).
  [[nodiscard]] std::string output() const;

 private:
  std::optional<ChildProcess> m_process;
  std::string m_startFailure;  // what went wrong when it never started
  bool m_ready = false;
  std::map<int, std::string> m_endpoints;
  int m_controlPort = 0;
};

/// The path of the built simulator.
[[nodiscard]] std::string meterSimPath();

}  // namespace prepaid::test
