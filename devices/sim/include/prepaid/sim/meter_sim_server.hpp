#pragma once

// The meter simulator's event loop: one thread, epoll, a timer heap on a timerfd (absolute
// CLOCK_MONOTONIC deadlines, the clock behind std::chrono::steady_clock). It owns every gateway's
// sockets or pty, queues requests per gateway (one request on a bus at a time), delays each
// reply by the timing model, serves the control port and saves the state file.

#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "prepaid/sim/meter_sim_fleet.hpp"
#include "prepaid/sim/meter_sim_state_file.hpp"

namespace prepaid::devices::sim {

struct MeterSimOptions {
  FleetSpec fleet;
  std::filesystem::path profileDir;        // where <profile>.toml files are
  std::filesystem::path statePath;         // empty: no state file
  int controlPort = -1;                    // -1: no control port, 0: any free port
  std::optional<std::int64_t> startSimMs;  // simulated UTC start (default: state file or now)
};

class MeterSimServer {
 public:
  /// Loads profiles and the state file, binds every gateway socket, opens the ptys and the
  /// control port. Error: one line naming what failed (file/field, address in use, …).
  [[nodiscard]] static std::expected<std::unique_ptr<MeterSimServer>, std::string> create(
      MeterSimOptions options);

  ~MeterSimServer();
  MeterSimServer(const MeterSimServer&) = delete;
  MeterSimServer& operator=(const MeterSimServer&) = delete;

  /// "gateway <g> <protocol> listening on <addr>" per gateway, then "control listening on …".
  [[nodiscard]] std::vector<std::string> listeningLines() const;

  /// Runs the event loop on the calling thread until stop(). Error: a fatal epoll failure.
  [[nodiscard]] std::expected<void, std::string> run();

  /// Makes run() return soon. Async-signal-safe and thread-safe.
  void stop();

  /// Writes the state file (if one was given). Call after run() returned, or from the loop.
  [[nodiscard]] std::expected<void, std::string> saveState();

  class Impl;

 private:
  explicit MeterSimServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

}  // namespace prepaid::devices::sim
