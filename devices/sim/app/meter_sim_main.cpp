// prepaid-meter-sim: a fleet of simulated prepaid meters behind simulated gateways, speaking the
// real wire protocols with a serial-line timing model, faults and a state file.
// Flags, fleet file format, control port: devices/sim/README.md.

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>

#include "prepaid/sim/meter_sim_server.hpp"
#include "prepaid/version.hpp"

namespace {

using namespace prepaid::devices::sim;

std::atomic<MeterSimServer*> g_server{nullptr};

extern "C" void onSignal(int /*signal*/) {
  if (auto* server = g_server.load()) {
    server->stop();
  }
}

std::vector<GatewayProtocol> parseProtocols(const std::string& list, std::string& error) {
  std::vector<GatewayProtocol> protocols;
  std::stringstream in(list);
  for (std::string name; std::getline(in, name, ',');) {
    const auto protocol = parseGatewayProtocol(name);
    if (!protocol) {
      error = "unknown protocol '" + name + "' (modbus-tcp, rtu-over-tcp, dlt645-tcp, rtu-pty)";
      return {};
    }
    protocols.push_back(*protocol);
  }
  if (protocols.empty()) {
    error = "--protocol needs at least one protocol";
  }
  return protocols;
}

// "--fault G=SPEC" (gateway) or "--fault G:U=SPEC" (meter).
std::string applyFault(FleetSpec& fleet, const std::string& text) {
  const auto equals = text.find('=');
  if (equals == std::string::npos) {
    return "--fault expects G=SPEC or G:U=SPEC, got '" + text + "'";
  }
  auto fault = parseFault(text.substr(equals + 1));
  if (!fault) {
    return "--fault " + text + ": " + fault.error();
  }
  const std::string target = text.substr(0, equals);
  const auto colon = target.find(':');
  char* end = nullptr;
  const long gateway = std::strtol(target.c_str(), &end, 10);
  if (end == target.c_str() || gateway < 0 ||
      static_cast<std::size_t>(gateway) >= fleet.gateways.size() ||
      (colon == std::string::npos ? *end != '\0' : *end != ':')) {
    return "--fault " + text + ": no such gateway";
  }
  auto& spec = fleet.gateways[static_cast<std::size_t>(gateway)];
  if (colon == std::string::npos) {
    spec.fault = *fault;
    return {};
  }
  const long unit = std::strtol(target.c_str() + colon + 1, &end, 10);
  for (auto& meter : spec.meters) {
    if (meter.unit == unit && *end == '\0') {
      meter.fault = *fault;
      return {};
    }
  }
  return "--fault " + text + ": no such unit";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "prepaid-meter-sim: simulated prepaid meters behind gateways (Modbus TCP, RTU over "
      "TCP, DL/T 645 over TCP, RTU on a pty) with bus timing, faults and a state file"};
  app.set_version_flag("--version", std::string("prepaid-meter-sim ") + prepaid::Version);
  std::string fleetFile;
  std::string stateFile;
  int gateways = 1;
  int metersPerGateway = 1;
  int basePort = 15020;
  std::string protocols = "modbus-tcp";
  std::string profile = "single-phase-prepaid";
  std::string profileDir;
  double timeScale = 1.0;
  std::uint64_t seed = 1;
  int baud = 9600;
  std::string parity = "E";
  double turnaroundMs = 20.0;
  int controlPort = -1;
  std::vector<std::string> faults;
  auto* fleetOption = app.add_option("--fleet", fleetFile, "TOML fleet file (README)");
  app.add_option("--state", stateFile, "state file: loaded at start, written on SIGINT/SIGTERM");
  auto* gatewaysOption =
      app.add_option("--gateways", gateways, "number of gateways (without --fleet)")
          ->check(CLI::Range(1, 4096));
  app.add_option("--meters-per-gateway", metersPerGateway, "meters per gateway, unit ids 1..M")
      ->check(CLI::Range(1, 247));
  app.add_option("--tcp-base-port", basePort, "gateway g listens on 127.0.0.1:P+g (0: free ports)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--protocol", protocols,
                 "comma-separated protocols cycled over the gateways: modbus-tcp, rtu-over-tcp, "
                 "dlt645-tcp, rtu-pty");
  app.add_option("--profile", profile, "meter profile of every meter (without --fleet)");
  app.add_option("--profile-dir", profileDir, "directory of <profile>.toml files");
  auto* scaleOption = app.add_option("--time-scale", timeScale, "simulated seconds per real second")
                          ->check(CLI::Range(0.001, 1e6));
  auto* seedOption = app.add_option("--seed", seed, "load profile seed");
  auto* baudOption = app.add_option("--baud", baud, "serial baud rate of every bus")
                         ->check(CLI::Range(300, 4000000));
  auto* parityOption =
      app.add_option("--parity", parity, "N, E or O, optionally with stop bits: E1, N2");
  auto* turnaroundOption =
      app.add_option("--turnaround-ms", turnaroundMs, "meter think time per request")
          ->check(CLI::Range(0.0, 10000.0));
  app.add_option("--control-port", controlPort, "line-based control port on 127.0.0.1 (0: free)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--fault", faults, "start fault: G=SPEC (gateway) or G:U=SPEC (meter)");
  gatewaysOption->excludes(fleetOption);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) {
      return app.exit(error);
    }
    std::cerr << "prepaid-meter-sim: " << error.what() << " (see --help)\n";
    return 2;
  }

  SerialLine line;
  line.baud = baud;
  if (auto ok = parseParity(parity, line); !ok) {
    std::cerr << "prepaid-meter-sim: --parity: " << ok.error() << "\n";
    return 2;
  }
  const auto turnaround = std::chrono::microseconds(static_cast<std::int64_t>(turnaroundMs * 1000));

  std::expected<FleetSpec, std::string> fleet;
  if (!fleetFile.empty()) {
    fleet = loadFleetFile(fleetFile);
    if (fleet) {
      // Explicit flags override the fleet file for every gateway.
      for (auto& gateway : fleet->gateways) {
        if (baudOption->count() > 0) {
          gateway.line.baud = line.baud;
        }
        if (parityOption->count() > 0) {
          gateway.line.parity = line.parity;
          gateway.line.stopBits = line.stopBits;
        }
        if (turnaroundOption->count() > 0) {
          gateway.turnaround = turnaround;
        }
      }
      if (scaleOption->count() > 0) {
        fleet->timeScale = timeScale;
      }
      if (seedOption->count() > 0) {
        fleet->seed = seed;
      }
    }
  } else {
    std::string error;
    FlagFleetOptions options;
    options.gateways = gateways;
    options.metersPerGateway = metersPerGateway;
    options.basePort = basePort;
    options.protocols = parseProtocols(protocols, error);
    if (!error.empty()) {
      std::cerr << "prepaid-meter-sim: --protocol: " << error << "\n";
      return 2;
    }
    options.line = line;
    options.turnaround = turnaround;
    options.profile = profile;
    options.seed = seed;
    options.timeScale = timeScale;
    fleet = fleetFromFlags(options);
  }
  if (!fleet) {
    std::cerr << "prepaid-meter-sim: " << fleet.error() << "\n";
    return 2;
  }
  for (const auto& text : faults) {
    if (auto error = applyFault(*fleet, text); !error.empty()) {
      std::cerr << "prepaid-meter-sim: " << error << "\n";
      return 2;
    }
  }

  MeterSimOptions options;
  options.profileDir = fleet->profileDir;
  if (!profileDir.empty()) {
    options.profileDir = profileDir;
  } else if (options.profileDir.empty()) {
    const char* fromEnvironment = std::getenv("PREPAID_PROFILE_DIR");
    options.profileDir = fromEnvironment != nullptr ? fromEnvironment : PREPAID_SIM_PROFILE_DIR;
  }
  options.fleet = std::move(*fleet);
  options.statePath = stateFile;
  options.controlPort = controlPort;

  auto server = MeterSimServer::create(std::move(options));
  if (!server) {
    std::cerr << "prepaid-meter-sim: " << server.error() << "\n";
    return 1;
  }
  g_server = server->get();
  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);
  std::signal(SIGPIPE, SIG_IGN);
  for (const auto& text : (*server)->listeningLines()) {
    std::cout << text << "\n";
  }
  std::cout << "ready" << std::endl;
  auto ran = (*server)->run();
  g_server = nullptr;
  if (!ran) {
    std::cerr << "prepaid-meter-sim: " << ran.error() << "\n";
  }
  if (auto saved = (*server)->saveState(); !saved) {
    std::cerr << "prepaid-meter-sim: saving state: " << saved.error() << "\n";
    return 1;
  }
  if (!stateFile.empty()) {
    std::cout << "state saved to " << stateFile << std::endl;
  }
  return ran ? 0 : 1;
}
