#pragma once

// A Modbus meter driven by its profile (assets/meters/<model>.toml).

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "prepaid/meter/meter.hpp"
#include "prepaid/meter/meter_profile.hpp"
#include "prepaid/meter/modbus_transport.hpp"

namespace prepaid::devices {

/// One read request of a snapshot: a merged range of registers.
struct ReadRange {
  std::uint8_t function = ReadHoldingRegisters;
  std::uint16_t address = 0;
  std::uint16_t count = 0;
  bool operator==(const ReadRange&) const = default;
};

/// The fewest reads that cover every point: points of one function whose registers are
/// contiguous (or separated by at most profile.readGapMax unmapped registers) share one read of
/// at most profile.maxReadRegisters registers.
[[nodiscard]] std::vector<ReadRange> planReads(const MeterProfile& profile);

class ModbusMeter final : public Meter {
 public:
  /// `macAddress`: the meter number the MAC covers; defaults to the unit id.
  ModbusMeter(std::shared_ptr<ModbusTransport> transport, std::uint8_t unit, MeterProfile profile,
              std::optional<std::uint64_t> macAddress = std::nullopt);

  [[nodiscard]] std::expected<MeterSnapshot, DeviceError> readSnapshot() override;
  [[nodiscard]] std::expected<std::uint32_t, DeviceError> readPurchaseCount() override;
  [[nodiscard]] std::expected<void, DeviceError> recharge(const RechargeCommand& command) override;
  [[nodiscard]] std::expected<void, DeviceError> setPrices(const TouPrices& prices) override;
  [[nodiscard]] std::expected<void, DeviceError> setThresholds(
      const Thresholds& thresholds) override;
  [[nodiscard]] std::expected<void, DeviceError> control(const ControlCommand& command) override;
  [[nodiscard]] std::uint64_t macAddress() const override { return m_macAddress; }
  [[nodiscard]] MacAlgorithm macAlgorithm() const override;

  [[nodiscard]] const std::vector<ReadRange>& readPlan() const { return m_plan; }
  [[nodiscard]] const MeterProfile& profile() const { return m_profile; }

 private:
  std::expected<void, DeviceError> sendCommand(const CommandBlock& block,
                                               std::span<const std::uint16_t> registers,
                                               std::string_view what);
  std::expected<void, DeviceError> writePoints(const PointWrite& write,
                                               std::span<const std::int64_t> values);

  std::shared_ptr<ModbusTransport> m_transport;
  std::uint8_t m_unit;
  MeterProfile m_profile;
  std::uint64_t m_macAddress;
  std::vector<ReadRange> m_plan;
};

}  // namespace prepaid::devices
