// bench-collect: prepaid-meter-sim with G gateways x M meters (default 320 x 32 = 10 240 meters,
// 9600 baud 8E1, 20 ms turnaround, RTU over TCP) and the collection engine (one worker per
// gateway, the real drivers through backend/app's DeviceBusFactory, readings group-committed to
// a SQLite store). Measures one full pass over every meter and compares it with the physical limit
// of one bus (every bus runs in parallel, so a pass can be no shorter than one bus's pass):
//
//   ratio = measured / limit   (goal <= 1.2)
//
// and reports the CPU time the engine used (getrusage of this process; the simulator is a child).

#include <array>
#include <chrono>
#include <cstdio>
#include <expected>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "bus_limit.hpp"
#include "device_bus_factory.hpp"
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "prepaid/collect/collection_engine.hpp"
#include "prepaid/meter/meter_profile.hpp"
#include "prepaid/store/store.hpp"
#include "prepaid/test_process/child_process.hpp"
#include "prepaid/version.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using namespace prepaid;

struct Sim {
  test::ChildProcess process;
  std::map<int, int> ports;
};

// Starts the simulator and waits for "ready" (deadline, no sleeps); every gateway must have
// printed its port. The error says why not.
std::expected<Sim, std::string> startSim(const std::vector<std::string>& flags, int gateways) {
  std::vector<std::string> argv{PREPAID_METER_SIM};
  argv.insert(argv.end(), flags.begin(), flags.end());
  auto process = test::ChildProcess::spawn(std::move(argv));
  if (!process) {
    return std::unexpected(process.error().message);
  }
  const auto text = process->waitForOutput("ready\n", std::chrono::seconds(30));
  if (!text) {
    return std::unexpected(text.error().summary + "; output:\n" + text.error().output);
  }
  Sim sim{std::move(*process), {}};
  std::size_t at = 0;
  while ((at = text->find("gateway ", at)) != std::string::npos) {
    int index = 0;
    int port = 0;
    if (std::sscanf(text->c_str() + at, "gateway %d rtu-over-tcp listening on 127.0.0.1:%d", &index,
                    &port) == 2) {
      sim.ports[index] = port;
    }
    at += 8;
  }
  if (static_cast<int>(sim.ports.size()) != gateways) {
    return std::unexpected("expected " + std::to_string(gateways) + " gateway ports, found " +
                           std::to_string(sim.ports.size()));
  }
  return sim;
}

void stopSim(Sim& sim) {
  sim.process.terminate(std::chrono::seconds(10));
}

double cpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

void raiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bench-collect: one full collection pass over a simulated fleet vs the bus limit"};
  app.set_version_flag("--version", std::string("bench-collect ") + prepaid::Version);
  int gateways = 320;
  int meters = 32;
  int baud = 9600;
  double turnaroundMs = 20;
  int timeoutMs =
      1000;  // the simulator shares the machine: keep late replies from counting as failures
  std::size_t stackKb = 256;
  bool check = false;
  std::string logLevel = "warn";
  app.add_option("--gateways", gateways, "gateways (buses)")->check(CLI::Range(1, 4096));
  app.add_option("--meters", meters, "meters per gateway")->check(CLI::Range(1, 247));
  app.add_option("--baud", baud, "line speed (8E1)")->check(CLI::Range(1200, 921600));
  app.add_option("--turnaround-ms", turnaroundMs, "meter think time")
      ->check(CLI::Range(0.0, 1000.0));
  app.add_option("--timeout-ms", timeoutMs, "response timeout")->check(CLI::Range(10, 10000));
  app.add_option("--stack-kb", stackKb, "worker thread stack")->check(CLI::Range(64, 65536));
  app.add_option("--log-level", logLevel, "engine log level (spdlog names)");
  app.add_flag("--check", check, "exit 1 when the ratio goal (<= 1.2) is not met");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::from_str(logLevel));
  raiseFileLimit();

  char dirTemplate[] = "/tmp/bench-collect-XXXXXX";
  if (mkdtemp(dirTemplate) == nullptr) {
    std::cerr << "bench-collect: mkdtemp failed\n";
    return 1;
  }
  const std::filesystem::path dir = dirTemplate;
  const auto cleanUp = [&] {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  };

  auto simStarted =
      startSim({"--gateways", std::to_string(gateways), "--meters-per-gateway",
                std::to_string(meters), "--tcp-base-port", "0", "--protocol", "rtu-over-tcp",
                "--baud", std::to_string(baud), "--parity", "E", "--turnaround-ms",
                std::to_string(turnaroundMs), "--profile-dir", PREPAID_SOURCE_DIR "/assets/meters"},
               gateways);
  if (!simStarted) {
    std::cerr << "bench-collect: prepaid-meter-sim did not start: " << simStarted.error() << "\n";
    cleanUp();
    return 1;
  }
  Sim& sim = *simStarted;

  auto opened = store::openSqliteStore(dir / "site.db");
  if (!opened) {
    std::cerr << "bench-collect: " << opened.error().message << "\n";
    stopSim(sim);
    cleanUp();
    return 1;
  }
  auto& db = **opened;
  const auto setUp =
      db.write([&](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
        auto settings = tx.site().settings();
        if (!settings) {
          return std::unexpected(settings.error());
        }
        settings->collectionIntervalS = 86400;  // one pass: nobody is due twice
        if (auto updated = tx.site().updateSettings(*settings); !updated) {
          return updated;
        }
        for (int g = 0; g < gateways; ++g) {
          store::Gateway gateway;
          gateway.name = "gw" + std::to_string(g);
          gateway.transportUri = "rtu+tcp://127.0.0.1:" + std::to_string(sim.ports[g]);
          gateway.responseTimeoutMs = timeoutMs;
          gateway.byteTimeoutMs = 50;
          gateway.interRequestDelayMs = 0;
          gateway.retries = 0;
          auto added = tx.gateways().add(gateway);
          if (!added) {
            return std::unexpected(added.error());
          }
          for (int unit = 1; unit <= meters; ++unit) {
            store::Meter meter;
            meter.serial = "B" + std::to_string(g) + "-" + std::to_string(unit);
            meter.profile = "single-phase-prepaid";
            meter.unitAddress = unit;
            meter.gatewayId = added->id;
            meter.billingMode = domain::BillingMode::MeterSide;
            if (auto m = tx.meters().add(meter); !m) {
              return std::unexpected(m.error());
            }
          }
        }
        return {};
      });
  if (!setUp) {
    std::cerr << "bench-collect: " << setUp.error().message << "\n";
    stopSim(sim);
    cleanUp();
    return 1;
  }

  auto profile =
      devices::loadMeterProfileByName(PREPAID_SOURCE_DIR "/assets/meters", "single-phase-prepaid");
  if (!profile) {
    std::cerr << "bench-collect: " << profile.error().describe() << "\n";
    stopSim(sim);
    cleanUp();
    return 1;
  }
  devices::sim::SerialLine line;
  line.baud = baud;
  line.parity = devices::sim::Parity::Even;
  const devices::sim::BusTiming timing(
      line, std::chrono::microseconds(static_cast<long>(turnaroundMs * 1000)));
  const double limit = bench::busPassLimitSeconds(*profile, meters, timing);

  backend::app::DeviceBusFactory factory(PREPAID_SOURCE_DIR "/assets/meters", 20);
  backend::collect::CollectOptions options;
  options.workerStackBytes = stackKb * 1024;
  options.batchSize = 512;
  options.batchDelay = std::chrono::milliseconds(100);
  const auto total = static_cast<std::int64_t>(gateways) * meters;

  backend::collect::CollectionEngine engine(db, factory, nullptr, options);
  const double cpuBefore = cpuSeconds();
  const auto start = Clock::now();
  if (auto started = engine.start(); !started) {
    std::cerr << "bench-collect: " << started.error().message << "\n";
    stopSim(sim);
    cleanUp();
    return 1;
  }
  const auto deadline = start + std::chrono::seconds(static_cast<long>(limit * 5 + 60));
  while (Clock::now() < deadline) {
    const auto stats = engine.stats();
    if (stats.polls + stats.pollFailures >= total) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const auto polled = Clock::now();
  engine.drainReadings();
  const auto written = Clock::now();
  const double cpuPass = cpuSeconds() - cpuBefore;
  engine.stop();
  const auto stats = engine.stats();
  stopSim(sim);
  cleanUp();

  const double measured = std::chrono::duration<double>(polled - start).count();
  const double withWrites = std::chrono::duration<double>(written - start).count();
  const double ratio = measured / limit;
  std::printf(
      "fleet: %d gateways x %d meters = %lld meters, %d baud 8E1, turnaround %.1f ms, "
      "%zu reads per meter\n",
      gateways, meters, static_cast<long long>(total), baud, turnaroundMs,
      devices::planReads(*profile).size());
  std::printf(
      "full pass: %.3f s (%.3f s until every reading was committed), %lld read, %lld "
      "failed, %lld readings written in %lld batches\n",
      measured, withWrites, static_cast<long long>(stats.polls),
      static_cast<long long>(stats.pollFailures), static_cast<long long>(stats.readings.written),
      static_cast<long long>(stats.readings.batches));
  std::printf("single-bus physical limit: %.3f s; ratio measured/limit %.3f (goal <= 1.2: %s)\n",
              limit, ratio, ratio <= 1.2 ? "met" : "NOT met");
  std::printf("engine CPU during the pass: %.2f s user+sys = %.0f %% of one core over %.2f s\n",
              cpuPass, 100.0 * cpuPass / withWrites, withWrites);
  if (stats.polls != total || stats.readings.written != total) {
    std::fprintf(stderr, "bench-collect: not every meter was read and stored\n");
    return 1;
  }
  return check && ratio > 1.2 ? 1 : 0;
}
