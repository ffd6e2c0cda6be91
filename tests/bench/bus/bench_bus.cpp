// bench-bus: polls one simulated bus of N meters (prepaid-meter-sim, RTU over TCP, default
// 9600 baud 8E1, 20 ms turnaround) with the real ModbusMeter driver, one snapshot per meter per
// pass, and compares the measured pass time with the physical limit of the line:
//
//   limit = sum over requests of (request + reply characters) x bits per char / baud
//           + 2 x t3.5 (after the request and after the reply) + turnaround
//
// ratio = limit / measured (goal >= 0.9). Then one meter stops answering and the pass is
// measured again: the growth should be at most one response timeout.
//
// The driver settings default to what a site runs with, so the printed verdicts are about a real
// configuration: the gateway row's defaults (response timeout 500 ms, byte timeout 50 ms;
// backend/store gateway_repository.hpp), the backend's line-quiet time (quiet_ms 100,
// backend_config.hpp) and NO transport retries — the backend's DeviceBusFactory sets retries=0
// for every bus because its bus worker never repeats a timed-out poll at once (a dead meter
// waits for its backoff). A failed poll of a dead meter then costs one response timeout plus the
// quiet time, less the transactions it no longer takes. `--retries N` shows what transport
// retries would cost (each repeats the timeout: the goal is then not met, by design).

#include <array>
#include <chrono>
#include <cstdio>
#include <expected>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "prepaid/meter/meter_profile.hpp"
#include "prepaid/meter/modbus_meter.hpp"
#include "prepaid/meter/modbus_transport.hpp"
#include "prepaid/test_process/child_process.hpp"
#include "prepaid/version.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using namespace prepaid::devices;

struct Sim {
  prepaid::test::ChildProcess process;
  int port = 0;
  int controlPort = 0;
};

// Starts the simulator and waits for "ready" (deadline, no sleeps); the error says why not.
std::expected<Sim, std::string> startSim(const std::vector<std::string>& flags) {
  std::vector<std::string> argv{PREPAID_METER_SIM};
  argv.insert(argv.end(), flags.begin(), flags.end());
  auto process = prepaid::test::ChildProcess::spawn(std::move(argv));
  if (!process) {
    return std::unexpected(process.error().message);
  }
  const auto text = process->waitForOutput("ready\n", std::chrono::seconds(10));
  if (!text) {
    return std::unexpected(text.error().summary + "; output:\n" + text.error().output);
  }
  Sim sim{std::move(*process)};
  std::sscanf(text->c_str(), "gateway 0 rtu-over-tcp listening on 127.0.0.1:%d", &sim.port);
  const auto control = text->find("control listening on 127.0.0.1:");
  if (control != std::string::npos) {
    sim.controlPort = std::stoi(text->substr(control + 31));
  }
  if (sim.port <= 0 || sim.controlPort <= 0) {
    return std::unexpected("no gateway or control port in its output:\n" + *text);
  }
  return sim;
}

bool control(const Sim& sim, const std::string& command) {
  const std::string shell = "printf '" + command +
                            "\\n' | socat -t 2 - TCP:127.0.0.1:" + std::to_string(sim.controlPort) +
                            " | grep -q '^ok'";
  return std::system(shell.c_str()) == 0;
}

struct PassResult {
  double seconds = 0;
  int failures = 0;
};

PassResult pass(std::vector<ModbusMeter>& meters) {
  PassResult result;
  const auto start = Clock::now();
  for (auto& meter : meters) {
    if (!meter.readSnapshot()) {
      ++result.failures;
    }
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bench-bus: measured pass time of one simulated bus vs its physical limit"};
  app.set_version_flag("--version", std::string("bench-bus ") + prepaid::Version);
  int meterCount = 32;
  int baud = 9600;
  std::string parity = "E";
  double turnaroundMs = 20;
  int passes = 3;
  int timeoutMs = 500;     // store::Gateway::responseTimeoutMs default
  int byteTimeoutMs = 50;  // store::Gateway::byteTimeoutMs default
  int quietMs = 100;       // backend [meters] quiet_ms default
  int retries = 0;         // DeviceBusFactory: the bus worker, not the transport, retries
  bool check = false;
  app.add_option("--meters", meterCount, "meters on the bus")->check(CLI::Range(1, 247));
  app.add_option("--baud", baud, "line speed")->check(CLI::Range(1200, 921600));
  app.add_option("--parity", parity, "N, E or O (one stop bit)")
      ->check(CLI::IsMember({"N", "E", "O"}));
  app.add_option("--turnaround-ms", turnaroundMs, "meter think time")
      ->check(CLI::Range(0.0, 1000.0));
  app.add_option("--passes", passes, "measured passes")->check(CLI::Range(1, 100));
  app.add_option("--timeout-ms", timeoutMs, "driver response timeout")
      ->check(CLI::Range(10, 10000));
  app.add_option("--byte-timeout-ms", byteTimeoutMs, "driver byte timeout")
      ->check(CLI::Range(1, 10000));
  app.add_option("--quiet-ms", quietMs, "driver line-quiet time after an error")
      ->check(CLI::Range(1, 1000));
  app.add_option("--retries", retries, "transport read retries (the backend uses 0)")
      ->check(CLI::Range(0, 10));
  app.add_flag("--check", check, "exit 1 when a goal is not met");
  CLI11_PARSE(app, argc, argv);

  // Stopped (SIGTERM) on every return path when `started` goes out of scope.
  auto started = startSim({"--gateways", "1", "--meters-per-gateway", std::to_string(meterCount),
                           "--tcp-base-port", "0", "--protocol", "rtu-over-tcp", "--baud",
                           std::to_string(baud), "--parity", parity, "--turnaround-ms",
                           std::to_string(turnaroundMs), "--control-port", "0"});
  if (!started) {
    std::cerr << "bench-bus: prepaid-meter-sim did not start: " << started.error() << "\n";
    return 1;
  }
  Sim& sim = *started;
  auto profile =
      loadMeterProfileByName(PREPAID_SOURCE_DIR "/assets/meters", "single-phase-prepaid");
  if (!profile) {
    std::cerr << "bench-bus: " << profile.error().describe() << "\n";
    return 1;
  }
  const std::string uri = "rtu+tcp://127.0.0.1:" + std::to_string(sim.port) +
                          "?timeout_ms=" + std::to_string(timeoutMs) +
                          "&byte_timeout_ms=" + std::to_string(byteTimeoutMs) +
                          "&quiet_ms=" + std::to_string(quietMs) +
                          "&retries=" + std::to_string(retries);
  auto transport = openModbusTransport(uri);
  if (!transport) {
    std::cerr << "bench-bus: " << describe(transport.error()) << "\n";
    return 1;
  }
  std::vector<ModbusMeter> meters;
  for (int unit = 1; unit <= meterCount; ++unit) {
    meters.emplace_back(*transport, static_cast<std::uint8_t>(unit), *profile);
  }

  // The physical limit of one pass from the driver's read plan (Modbus RTU frame sizes).
  const int bitsPerChar = 1 + 8 + (parity == "N" ? 0 : 1) + 1;
  const double charSeconds = static_cast<double>(bitsPerChar) / baud;
  const double t35 = baud > 19200 ? 0.00175 : 3.5 * charSeconds;
  double limit = 0;
  int requests = 0;
  for (const auto& meter : meters) {
    for (const auto& read : meter.readPlan()) {
      const int requestChars = 8;                 // unit, fc, address, count, CRC
      const int replyChars = 5 + 2 * read.count;  // unit, fc, byte count, data, CRC
      limit += (requestChars + replyChars) * charSeconds + 2 * t35 + turnaroundMs / 1000.0;
      ++requests;
    }
  }

  const auto warmUp = pass(meters);  // connects the socket
  double measured = 0;
  int failures = warmUp.failures;
  for (int i = 0; i < passes; ++i) {
    const auto result = pass(meters);
    measured += result.seconds;
    failures += result.failures;
  }
  measured /= passes;
  const double ratio = limit / measured;
  std::printf("bus: %d meters, %d baud 8%s1 (%d bits/char), turnaround %.1f ms, t3.5 %.3f ms\n",
              meterCount, baud, parity.c_str(), bitsPerChar, turnaroundMs, t35 * 1000);
  std::printf(
      "driver: rtu+tcp, response timeout %d ms, byte timeout %d ms, quiet %d ms, "
      "retries %d\n",
      timeoutMs, byteTimeoutMs, quietMs, retries);
  std::printf(
      "pass: %d requests, measured %.1f ms (mean of %d), physical limit %.1f ms, "
      "ratio limit/measured %.3f (goal >= 0.9: %s)\n",
      requests, measured * 1000, passes, limit * 1000, ratio, ratio >= 0.9 ? "met" : "NOT met");

  // One dead meter in the middle of the bus.
  const int dead = (meterCount + 1) / 2;
  bool deadGoal = true;
  if (!control(sim, "fault 0 " + std::to_string(dead) + " no-reply")) {
    std::cerr << "bench-bus: could not set the fault (socat missing?)\n";
    return 1;
  }
  double deadMeasured = 0;
  int deadFailures = 0;
  for (int i = 0; i < passes; ++i) {
    const auto result = pass(meters);
    deadMeasured += result.seconds;
    deadFailures += result.failures;
  }
  deadMeasured /= passes;
  const double growth = deadMeasured - measured;
  deadGoal = growth <= timeoutMs / 1000.0;
  std::printf(
      "dead meter (unit %d, no reply): pass %.1f ms, grew %.1f ms = %.2f x the %d ms "
      "response timeout (goal <= 1: %s); %d failed snapshots per pass\n",
      dead, deadMeasured * 1000, growth * 1000, growth * 1000 / timeoutMs, timeoutMs,
      deadGoal ? "met" : "NOT met", deadFailures / passes);
  // Where the growth comes from: the failed poll waits the response timeout and then the quiet
  // time (a late reply must be drained, devices/meter/README.md), while the dead meter's own
  // transactions (about one meter's share of the healthy pass) are no longer made.
  std::printf(
      "  a failed poll waits %d + %d ms (timeout + quiet); the dead meter's own share of "
      "the healthy pass, %.1f ms, is saved\n",
      timeoutMs * (1 + retries), quietMs * (1 + retries), measured * 1000 / meterCount);
  sim.process.terminate(std::chrono::seconds(10));
  if (failures != 0) {
    std::fprintf(stderr, "bench-bus: %d snapshots failed on the healthy bus\n", failures);
    return 1;
  }
  if (deadFailures != passes) {
    std::fprintf(stderr, "bench-bus: expected exactly the dead meter to fail\n");
    return 1;
  }
  return check && (ratio < 0.9 || !deadGoal) ? 1 : 0;
}
