#pragma once

// The description of a simulated fleet: gateways, their protocol and serial line, the meters
// behind them with profile, key, initial state and faults. Built from the command line
// (--gateways N --meters-per-gateway M) or from a TOML fleet file (devices/sim/README.md).

#include <array>
#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "prepaid/sim/meter_sim_fault.hpp"
#include "prepaid/sim/meter_sim_meter.hpp"
#include "prepaid/sim/meter_sim_timing.hpp"

namespace prepaid::devices::sim {

enum class GatewayProtocol {
  ModbusTcp,   // "modbus-tcp": MBAP framing; the gateway converts to RTU on its bus
  RtuOverTcp,  // "rtu-over-tcp": a transparent serial server, raw RTU frames on TCP
  Dlt645Tcp,   // "dlt645-tcp": DL/T 645-2007 frames on TCP
  RtuPty,      // "rtu-pty": Modbus RTU on a pseudo-terminal (the slave path is printed)
};

[[nodiscard]] std::string toString(GatewayProtocol protocol);
[[nodiscard]] std::optional<GatewayProtocol> parseGatewayProtocol(std::string_view text);

using MeterKey = std::array<std::uint8_t, 16>;

struct MeterSpec {
  int unit = 1;                    // Modbus unit id 1..247
  std::string address;             // DL/T 645 address, 12 decimal digits
  bool addressConfigured = false;  // the fleet file gave the meter number (MAC address)
  bool peakConfigured = false;     // the fleet file gave peak_w
  std::string profile = "single-phase-prepaid";
  MeterKey key{};  // AES-128 command key
  SimMeterConfig config;
  SimMeterState initial;
  Fault fault;
};

struct GatewaySpec {
  int index = 0;
  GatewayProtocol protocol = GatewayProtocol::ModbusTcp;
  std::string bindAddress = "127.0.0.1";
  int port = 0;  // 0: any free port (printed on the "listening" line)
  SerialLine line;
  std::chrono::microseconds turnaround{20'000};
  Fault fault;
  std::vector<MeterSpec> meters;
};

struct FleetSpec {
  std::uint64_t seed = 1;
  double timeScale = 1.0;
  int utcOffsetMinutes = 8 * 60;
  std::filesystem::path profileDir;
  MeterKey masterKey{};
  int historyDays = 0;  // energy registers start with this many days of typical consumption
  std::vector<GatewaySpec> gateways;
};

/// Typical consumption of a meter over `days` days, per TOU rate in mJ (the load profile's day
/// shape without the variation), so a demo fleet does not start at 0 kWh. Pure function.
[[nodiscard]] std::array<std::int64_t, SimRateCount> historyEnergy(std::int64_t peakW, int days);

/// The command-line form: N gateways of M meters, gateway g on basePort + g (0: free ports).
struct FlagFleetOptions {
  int gateways = 1;
  int metersPerGateway = 1;
  int basePort = 15020;
  std::vector<GatewayProtocol> protocols{GatewayProtocol::ModbusTcp};  // cycled over gateways
  SerialLine line;
  std::chrono::microseconds turnaround{20'000};
  std::string profile = "single-phase-prepaid";
  std::uint64_t seed = 1;
  double timeScale = 1.0;
};

/// Master key used when neither the fleet file nor a flag gives one: bytes 00 01 .. 0f.
[[nodiscard]] MeterKey defaultMasterKey();
/// Per-meter key derivation: the first 16 bytes of SHA-256(master key || address digits).
[[nodiscard]] MeterKey deriveMeterKey(const MeterKey& master, const std::string& address);
/// Default DL/T 645 address of a meter: 6 digits gateway index, 6 digits unit id.
[[nodiscard]] std::string defaultAddress(int gateway, int unit);
/// Hex (32 digits) to key; the error names the problem.
[[nodiscard]] std::expected<MeterKey, std::string> parseKey(std::string_view hex);
[[nodiscard]] std::string toHex(const MeterKey& key);

/// Builds a fleet from the command-line form.
[[nodiscard]] std::expected<FleetSpec, std::string> fleetFromFlags(const FlagFleetOptions& options);
/// Loads a TOML fleet file; errors name the file and the field.
[[nodiscard]] std::expected<FleetSpec, std::string> loadFleetFile(
    const std::filesystem::path& file);

}  // namespace prepaid::devices::sim
