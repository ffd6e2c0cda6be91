#pragma once

// The Meter interface in domain terms: what the backend's bus worker and prepaidctl use. The
// implementations name their technology (ModbusMeter, Dlt645Meter; SimMeter in devices/sim).
//
// Threading: a Meter is used from one thread at a time (the worker of its bus). Several Meters
// of one bus share one transport, which serialises their requests.

#include <array>
#include <cstdint>
#include <expected>
#include <optional>
#include <string_view>

#include "prepaid/domain/energy.hpp"
#include "prepaid/domain/money.hpp"
#include "prepaid/domain/rate.hpp"
#include "prepaid/domain/relay_state.hpp"
#include "prepaid/meter/device_error.hpp"
#include "prepaid/secure/command_mac.hpp"

namespace prepaid::devices {

enum class KeepPower {
  Off,  // normal prepaid control: the meter may trip
  On,   // 保电: relay forced closed
};

/// Remote control commands. The numeric values are the command codes on the wire (Modbus
/// control block) and in the MAC input.
enum class ControlCode : std::uint16_t {
  Trip = 1,           // 拉闸
  Close = 2,          // 合闸
  KeepPowerOn = 3,    // 保电
  KeepPowerOff = 4,   // 保电解除
  ResumePrepaid = 5,  // 恢复预付费: the meter's own balance logic decides the relay again
};

/// Energies and prices per TOU rate, indexed by domain::indexOf(Rate).
using PerRateEnergy = std::array<std::optional<domain::Energy>, domain::RateCount>;
using TouPrices = std::array<domain::UnitPrice, domain::RateCount>;  // per kWh

struct Thresholds {
  domain::Money alarm1;            // 报警1: balance below this raises alarm 1
  domain::Money alarm2;            // 报警2: balance below this raises alarm 2 (alarm2 <= alarm1)
  std::int64_t overloadWatts = 0;  // power above this is an overload
};

/// The prepaid state a meter-side prepaid meter holds. Fields a model does not report are empty.
struct PrepaidState {
  std::optional<domain::Money> balance;  // 剩余金额, negative in arrears
  std::optional<std::uint32_t> purchaseCount;
  std::optional<domain::RelayState> relay;
  std::optional<KeepPower> keepPower;
  std::optional<domain::Money> alarmThreshold1;
  std::optional<domain::Money> alarmThreshold2;
  std::optional<std::int64_t> overloadThresholdWatts;
  std::array<std::optional<domain::UnitPrice>, domain::RateCount> prices;
  std::optional<std::uint32_t> statusBits;  // meaning: assets/meters/README.md
};

/// One reading. Every field is optional because models report different subsets; a field is set
/// only when the meter reported it in this read.
struct MeterSnapshot {
  std::optional<domain::Energy> totalEnergy;
  PerRateEnergy rateEnergy;
  std::optional<std::int64_t> voltageMilliVolts;  // phase A (single phase: the voltage)
  std::optional<std::int64_t> currentMilliAmps;
  std::optional<std::int64_t> activePowerWatts;
  std::optional<std::int64_t> powerFactorMilli;  // 0.001 units, signed
  std::optional<std::int64_t> voltageBMilliVolts;
  std::optional<std::int64_t> voltageCMilliVolts;
  std::optional<std::int64_t> currentBMilliAmps;
  std::optional<std::int64_t> currentCMilliAmps;
  std::optional<PrepaidState> prepaid;  // absent for plain energy meters
};

/// A recharge: `amount` credited once, with the meter's new purchase count (current + 1).
/// `mac` is computed by the caller over the fields below (prepaid/secure/command_mac.hpp).
struct RechargeCommand {
  domain::Money amount;
  std::uint32_t purchaseCount = 0;    // the NEW count
  std::uint32_t timeUnixSeconds = 0;  // issue time, also in the MAC
  CommandMac mac{};
};

/// A remote control command, authenticated like a recharge.
struct ControlCommand {
  ControlCode code = ControlCode::Trip;
  std::uint32_t purchaseCount = 0;    // the meter's CURRENT count
  std::uint32_t timeUnixSeconds = 0;  // issue time, also in the MAC
  std::uint32_t validityMinutes = 0;  // DL/T 645 only: command validity (0 = driver default)
  CommandMac mac{};
};

class Meter {
 public:
  virtual ~Meter() = default;

  /// Reads every point the model reports. Errors: Timeout, Crc, ModbusException, Dlt645Error,
  /// WrongAddress, MalformedReply, Io, ConnectionFailed.
  [[nodiscard]] virtual std::expected<MeterSnapshot, DeviceError> readSnapshot() = 0;

  /// Reads only the purchase count (the check before and after a recharge). Same errors as
  /// readSnapshot, or Unsupported for meters without one.
  [[nodiscard]] virtual std::expected<std::uint32_t, DeviceError> readPurchaseCount() = 0;

  /// Sends one recharge. Ok: the meter confirmed it. Rejected (BadMac, PurchaseCountNotNext …):
  /// nothing applied. OutcomeUnknown: sent without a valid reply — read the purchase count
  /// before doing anything else (see rechargeExactlyOnce). ConnectionFailed: not sent.
  [[nodiscard]] virtual std::expected<void, DeviceError> recharge(
      const RechargeCommand& command) = 0;

  /// Writes the four TOU prices (电价下发). Errors as readSnapshot, plus Unsupported,
  /// InvalidArgument (price not representable in the register).
  [[nodiscard]] virtual std::expected<void, DeviceError> setPrices(const TouPrices& prices) = 0;

  /// Writes alarm thresholds 1/2 and the overload threshold (设置下发). Errors as setPrices.
  [[nodiscard]] virtual std::expected<void, DeviceError> setThresholds(
      const Thresholds& thresholds) = 0;

  /// Trip / close / keep power on|off / resume prepaid. Errors as recharge.
  [[nodiscard]] virtual std::expected<void, DeviceError> control(const ControlCommand& command) = 0;

  /// The meter address the MAC covers (prepaid/secure/command_mac.hpp).
  [[nodiscard]] virtual std::uint64_t macAddress() const = 0;

  /// The MAC algorithm this meter verifies with.
  [[nodiscard]] virtual MacAlgorithm macAlgorithm() const = 0;
};

/// The MAC fields of a recharge / control command for a meter (helpers for callers).
/// nullopt when the amount is not 1 .. 4294967295 fen (such a recharge is InvalidArgument).
[[nodiscard]] std::optional<MacFields> rechargeMacFields(std::uint64_t meterAddress,
                                                         const RechargeCommand& command);
[[nodiscard]] MacFields controlMacFields(std::uint64_t meterAddress, const ControlCommand& command);

[[nodiscard]] std::string_view toString(ControlCode code);
[[nodiscard]] std::optional<ControlCode> parseControlCode(std::string_view name);

}  // namespace prepaid::devices
