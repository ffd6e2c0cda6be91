#pragma once

// One simulated gateway and the meters on its bus, without sockets: a request frame in, the
// reply frame out together with the number of characters each occupies on the serial line (for
// the timing model). Faults are applied here. Not thread-safe: owned by the event loop.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "prepaid/meter/device_error.hpp"
#include "prepaid/meter/meter_profile.hpp"
#include "prepaid/sim/meter_sim_fleet.hpp"
#include "prepaid/sim/meter_sim_meter.hpp"

namespace prepaid::devices::sim {

/// A meter on a simulated bus: its spec, model, profile and counters.
struct SimUnit {
  MeterSpec spec;
  SimMeter meter;
  std::shared_ptr<const MeterProfile> profile;
  std::uint64_t macAddress = 0;  // the address in command MACs (see README)
  std::uint8_t lastResult = 0;   // command_result: RejectReason of the last command
  Fault fault;
  std::uint64_t requests = 0;
};

/// What one request does on the bus.
struct Exchange {
  std::optional<std::vector<std::uint8_t>> reply;  // bytes for the client; none: no reply
  std::size_t requestChars = 0;                    // request length on the serial line
  std::size_t replyChars = 0;                      // reply length on the serial line
  std::chrono::milliseconds extraDelay{0};         // late-reply fault
  int unit = -1;                                   // the meter addressed (-1: none of ours)
};

class SimGateway {
 public:
  SimGateway(GatewaySpec spec, std::vector<SimUnit> units, std::uint64_t seed);

  /// Handles one complete request frame (as cut by meter_sim_framing) at simulated time simMs.
  [[nodiscard]] Exchange exchange(std::span<const std::uint8_t> frame, std::int64_t simMs);

  /// Brings every meter's consumption up to simMs.
  void advanceAll(std::int64_t simMs);

  [[nodiscard]] const GatewaySpec& spec() const { return m_spec; }
  [[nodiscard]] std::vector<SimUnit>& units() { return m_units; }
  [[nodiscard]] const std::vector<SimUnit>& units() const { return m_units; }
  [[nodiscard]] SimUnit* findUnit(int unit);
  [[nodiscard]] Fault& fault() { return m_fault; }
  [[nodiscard]] const LoadProfile& loadProfile() const { return m_load; }

 private:
  Exchange exchangeModbus(std::span<const std::uint8_t> frame, std::int64_t simMs);
  Exchange exchangeDlt645(std::span<const std::uint8_t> frame, std::int64_t simMs);
  /// The fault in force for a request to unit (meter fault first, then the gateway's).
  Fault* activeFault(SimUnit* unit);

  GatewaySpec m_spec;
  std::vector<SimUnit> m_units;
  LoadProfile m_load;
  Fault m_fault;
  std::uint64_t m_garbageState;
};

}  // namespace prepaid::devices::sim
