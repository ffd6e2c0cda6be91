#pragma once

// A DL/T 645-2007 meter: reads by data identifier (0x11), writes prices and alarm amounts
// (0x14), remote control (0x1C). Recharge needs the meter's ESAM security commands, which this
// driver does not implement: recharge() returns Unsupported.

#include <array>
#include <cstdint>
#include <memory>

#include "prepaid/meter/dlt645_frame.hpp"
#include "prepaid/meter/dlt645_link.hpp"
#include "prepaid/meter/meter.hpp"

namespace prepaid::devices {

struct Dlt645Options {
  std::array<std::uint8_t, 4> password{0x02, 0x00, 0x00, 0x00};  // PA (level) P0 P1 P2
  std::array<std::uint8_t, 4> operatorCode{};                    // C0..C3
  int utcOffsetMinutes = 480;  // meter clock zone for validity times (site default UTC+8)
  std::uint32_t defaultValidityMinutes = 10;  // control commands with validityMinutes == 0
};

class Dlt645Meter final : public Meter {
 public:
  Dlt645Meter(std::shared_ptr<Dlt645Link> link, Dlt645Address address, Dlt645Options options = {});

  /// Reads each known DI; a DI the meter answers with "no data" is left empty.
  [[nodiscard]] std::expected<MeterSnapshot, DeviceError> readSnapshot() override;
  [[nodiscard]] std::expected<std::uint32_t, DeviceError> readPurchaseCount() override;
  /// Unsupported (see the file comment).
  [[nodiscard]] std::expected<void, DeviceError> recharge(const RechargeCommand& command) override;
  /// Writes 04050101..04050104 (four writes; not atomic).
  [[nodiscard]] std::expected<void, DeviceError> setPrices(const TouPrices& prices) override;
  /// Writes alarm amounts 04001001/04001002. The base DI set has no overload threshold: a
  /// non-zero overloadWatts is Unsupported (nothing written).
  [[nodiscard]] std::expected<void, DeviceError> setThresholds(
      const Thresholds& thresholds) override;
  /// 0x1C: trip 1A, close 1C, resume prepaid 1B (close allowed), keep power 3A, release 3B.
  /// Data: the standard's 16 bytes (password, operator code, N1, N2, validity end) followed by
  /// the command's purchase count and time (u32 big-endian each) and its 16-byte MAC (README).
  /// A refusal (ERR bit 0x04: password, MAC or count) is Rejected with reason Unauthorized.
  [[nodiscard]] std::expected<void, DeviceError> control(const ControlCommand& command) override;
  [[nodiscard]] std::uint64_t macAddress() const override;
  [[nodiscard]] MacAlgorithm macAlgorithm() const override { return MacAlgorithm::AesCmac; }

 private:
  /// Reads one DI. Ok(nullopt): the meter has no such data.
  std::expected<std::optional<std::vector<std::uint8_t>>, DeviceError> readDi(std::uint32_t di);
  std::expected<void, DeviceError> writeDi(std::uint32_t di, std::span<const std::uint8_t> value);

  std::shared_ptr<Dlt645Link> m_link;
  Dlt645Address m_address;
  Dlt645Options m_options;
};

}  // namespace prepaid::devices
