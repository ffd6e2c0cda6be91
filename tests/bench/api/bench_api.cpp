// bench-api: the kiosk balance query under load on the demo backend. Starts the demo site with
// installer/demo.sh from this build tree (prepaid-meter-sim on the demo fleet, prepaid-pay-sim and
// prepaid-backend polling every meter, as the README's demo command runs them) in a temp data dir,
// identifies a shop as the kiosk does, and runs wrk (Debian package) with 50 connections against
// GET /api/v1/kiosk/accounts/{id} (balance, status, relay, last reading, today's energy, days
// left). The baseline, measured the same way in the same run, is GET /api/v1/health: the HTTP
// stack's own cost on this machine. Prints requests/s, p50/p99 and the ratio to the baseline.
// The backend is configured for as many kiosks as wrk opens connection pairs (PREPAID_DEMO_KIOSKS).
// Goal: p99 < 20 ms.

#include <array>
#include <chrono>
#include <cstdio>
#include <expected>
#include <filesystem>
#include <iostream>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <httplib.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "prepaid/test_process/child_process.hpp"
#include "prepaid/version.hpp"

namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// installer/demo.sh's demo credentials (README "Demo site").
constexpr std::string_view DemoKioskKey = "pk_demo_kiosk_key_0001";

/// A loopback TCP port nobody listens on right now.
std::optional<int> freePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    return std::nullopt;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  std::optional<int> port;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

/// The first of `count` consecutive free loopback ports at or above `from`.
std::optional<int> freePortRange(int from, int count) {
  for (int first = from; first + count < 65000; first += count) {
    bool allFree = true;
    for (int port = first; port < first + count && allFree; ++port) {
      const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      address.sin_port = htons(static_cast<std::uint16_t>(port));
      allFree = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
      if (fd >= 0) {
        ::close(fd);
      }
    }
    if (allFree) {
      return first;
    }
  }
  return std::nullopt;
}

/// Starts installer/demo.sh (in its own process group, stdout and stderr captured) and waits for
/// "[demo] running"; the error carries the script's output so far when it exits first or the
/// deadline passes. Stopping it (ChildProcess::terminate, or its destructor on an early return)
/// sends SIGTERM to the script, whose trap stops every program it started, and SIGKILL to the
/// whole group after 20 s.
std::expected<prepaid::test::ChildProcess, std::string> startDemo(
    const std::filesystem::path& script, const std::filesystem::path& buildDir,
    std::vector<std::string> environment, std::chrono::seconds deadline) {
  prepaid::test::ChildOptions options;
  options.environment = std::move(environment);
  options.stderrMode = prepaid::test::StderrMode::Capture;
  options.destroyTimeout = std::chrono::seconds(20);
  auto demo = prepaid::test::ChildProcess::spawn({"/bin/bash", script.string(), buildDir.string()},
                                                 std::move(options));
  if (!demo) {
    return std::unexpected(demo.error().message);
  }
  const auto running = demo->waitForOutput("[demo] running", deadline);
  if (!running) {
    return std::unexpected(running.error().summary + "\n" + running.error().output);
  }
  return std::move(*demo);
}

struct WrkFigures {
  std::string requestsPerSecond;
  std::string p50;
  std::string p99;
  double p99Ms = 0;
  double rps = 0;
  long non2xx = 0;
};

double toMs(const std::string& value) {
  const std::regex unit(R"(([0-9.]+)(us|ms|s))");
  std::smatch match;
  if (!std::regex_match(value, match, unit)) {
    return 0;
  }
  // wrk prints decimals; these figures are only printed, never used for money.
  const double number = std::stod(match[1]);
  if (match[2] == "us") {
    return number / 1000;
  }
  return match[2] == "s" ? number * 1000 : number;
}

std::optional<WrkFigures> runWrk(int threads, int connections, int seconds,
                                 const std::vector<std::string>& headers, const std::string& url,
                                 std::string& rawOutput) {
  std::string command = "wrk -t" + std::to_string(threads) + " -c" + std::to_string(connections) +
                        " -d" + std::to_string(seconds) + "s --latency";
  for (const auto& header : headers) {
    command += " -H '" + header + "'";
  }
  command += " " + url + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return std::nullopt;
  }
  char buffer[512];
  while (std::fgets(buffer, sizeof(buffer), pipe) != nullptr) {
    rawOutput += buffer;
  }
  if (pclose(pipe) != 0) {
    return std::nullopt;
  }
  std::smatch match;
  WrkFigures figures;
  if (!std::regex_search(rawOutput, match, std::regex(R"(Requests/sec:\s+([0-9.]+))"))) {
    return std::nullopt;
  }
  figures.requestsPerSecond = match[1];
  figures.rps = std::stod(match[1]);
  if (std::regex_search(rawOutput, match, std::regex(R"(\n\s+50%\s+([0-9.]+\w+))"))) {
    figures.p50 = match[1];
  }
  if (std::regex_search(rawOutput, match, std::regex(R"(\n\s+99%\s+([0-9.]+\w+))"))) {
    figures.p99 = match[1];
    figures.p99Ms = toMs(figures.p99);
  }
  if (std::regex_search(rawOutput, match, std::regex(R"(Non-2xx or 3xx responses:\s+(\d+))"))) {
    figures.non2xx = std::stol(match[1]);
  }
  return figures;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bench-api: wrk load on the kiosk balance query of the demo backend"};
  app.set_version_flag("--version", std::string(prepaid::Version));
  std::string shop = "A101";
  int seconds = 10;
  int connections = 50;
  int threads = 2;
  std::filesystem::path script = std::filesystem::path(PREPAID_SOURCE_DIR) / "installer/demo.sh";
  std::filesystem::path buildDir = PREPAID_BINARY_DIR;
  app.add_option("--shop", shop, "demo shop number whose account is queried");
  app.add_option("--seconds", seconds, "wrk duration per run")->check(CLI::Range(1, 600));
  app.add_option("--connections", connections, "wrk connections")->check(CLI::Range(1, 1000));
  app.add_option("--threads", threads, "wrk threads")->check(CLI::Range(1, 64));
  app.add_option("--demo-script", script, "installer/demo.sh")->check(CLI::ExistingFile);
  app.add_option("--build-dir", buildDir, "build tree with the demo programs")
      ->check(CLI::ExistingDirectory);
  CLI11_PARSE(app, argc, argv);
  threads = std::min(threads, connections);

  std::string pattern = (std::filesystem::temp_directory_path() / "bench-api-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    std::cerr << "bench-api: cannot create a temp directory\n";
    return 1;
  }
  const std::filesystem::path dir = pattern;
  // The demo's data dir goes on every exit path.
  struct RemoveOnExit {
    std::filesystem::path path;
    ~RemoveOnExit() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  } removeOnExit{dir};
  const auto apiPort = freePort();
  const auto payPort = freePort();
  // The demo's four simulated gateways, moved off 15020-15023 so other demo runs do not collide.
  const auto gatewayPorts = freePortRange(25020 + static_cast<int>(::getpid() % 2000) * 4, 4);
  if (!apiPort || !payPort || !gatewayPorts) {
    std::cerr << "bench-api: no free loopback port\n";
    return 1;
  }
  int status = 1;
  {
    const auto started = Clock::now();
    auto demo = startDemo(
        script, buildDir,
        {"PREPAID_DEMO_DATA=" + dir.string(), "PREPAID_DEMO_PORT=" + std::to_string(*apiPort),
         "PREPAID_DEMO_PAY_PORT=" + std::to_string(*payPort),
         "PREPAID_DEMO_SIM_PORT_BASE=" + std::to_string(*gatewayPorts),
         // The backend's thread pool is sized for its clients; two wrk connections stand
         // for one kiosk (it polls while a look-up runs).
         "PREPAID_DEMO_KIOSKS=" + std::to_string((connections + 1) / 2),
         "PREPAID_DEMO_PROGRAMS=meter-sim pay-sim backend"},
        std::chrono::seconds(180));
    if (!demo) {
      std::cerr << "bench-api: the demo site did not start; its output:\n" << demo.error();
      return 1;
    }
    const auto startMs =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();

    httplib::Client client("127.0.0.1", *apiPort);
    auto identify =
        client.Post("/api/v1/kiosk/identify", {{"X-Kiosk-Key", std::string(DemoKioskKey)}},
                    Json{{"shop_number", shop}}.dump(), "application/json");
    if (!identify || identify->status != 200) {
      std::cerr << "bench-api: identify of shop " << shop
                << " failed: " << (identify ? identify->body : "no response") << "\n";
      return 1;
    }
    const auto body = Json::parse(identify->body, nullptr, false);
    if (!body.is_object() || !body.contains("account_id") || !body.contains("tenant_token")) {
      std::cerr << "bench-api: unexpected identify reply: " << identify->body << "\n";
      return 1;
    }
    const auto path =
        "/api/v1/kiosk/accounts/" + std::to_string(body["account_id"].get<std::int64_t>());
    const auto base = "http://127.0.0.1:" + std::to_string(*apiPort);
    const std::vector<std::string> headers{
        "X-Kiosk-Key: " + std::string(DemoKioskKey),
        "X-Tenant-Token: " + body["tenant_token"].get<std::string>()};

    std::string healthOutput;
    std::string balanceOutput;
    const auto health =
        runWrk(threads, connections, seconds, {}, base + "/api/v1/health", healthOutput);
    const auto balance = runWrk(threads, connections, seconds, headers, base + path, balanceOutput);
    demo->terminate(std::chrono::seconds(20));

    std::cout << "bench-api: demo site up in " << startMs << " ms; wrk " << connections
              << " connections, " << seconds << " s per run\n";
    if (!health || !balance) {
      std::cout << "wrk failed:\n" << healthOutput << balanceOutput;
      return 1;
    }
    std::cout << "baseline GET /api/v1/health: " << health->requestsPerSecond << " requests/s, p50 "
              << health->p50 << ", p99 " << health->p99 << "\n";
    std::cout << "balance GET " << path << " (shop " << shop << "): " << balance->requestsPerSecond
              << " requests/s, p50 " << balance->p50 << ", p99 " << balance->p99
              << " (goal < 20ms)\n";
    if (health->rps > 0) {
      char ratio[64];
      std::snprintf(ratio, sizeof(ratio), "%.2f", balance->rps / health->rps);
      std::cout << "balance/baseline requests/s ratio: " << ratio << "\n";
    }
    std::cout << "p99 goal " << (balance->p99Ms > 0 && balance->p99Ms < 20 ? "met" : "NOT met")
              << "\n";
    status = 0;
    if (health->non2xx != 0 || balance->non2xx != 0) {
      std::cout << "non-2xx responses: health " << health->non2xx << ", balance " << balance->non2xx
                << "\n";
      status = 1;
    }
  }
  return status;
}
