#pragma once

// Meter profiles: one TOML file per meter model under assets/meters/ (format and the shipped
// register maps: assets/meters/README.md). The loader validates everything a driver or the
// simulator relies on, so a bad file is reported once, with the file and the field.

#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "prepaid/secure/command_mac.hpp"

namespace prepaid::devices {

/// Logical points a profile may map. Names in the TOML file are the snake_case forms
/// (toString(PointId)); any other name is an "unknown point" error.
enum class PointId {
  TotalEnergy,        // total_energy
  SharpEnergy,        // sharp_energy
  PeakEnergy,         // peak_energy
  FlatEnergy,         // flat_energy
  ValleyEnergy,       // valley_energy
  Voltage,            // voltage (phase A on three-phase meters)
  Current,            // current (phase A)
  ActivePower,        // active_power (total)
  PowerFactor,        // power_factor (total)
  VoltageB,           // voltage_b
  VoltageC,           // voltage_c
  CurrentB,           // current_b
  CurrentC,           // current_c
  Balance,            // balance (remaining amount, may be negative)
  PurchaseCount,      // purchase_count
  RelayState,         // relay_state: 0 closed, 1 open
  KeepPower,          // keep_power: 0 off, 1 on
  AlarmThreshold1,    // alarm_threshold_1
  AlarmThreshold2,    // alarm_threshold_2
  OverloadThreshold,  // overload_threshold
  PriceSharp,         // price_sharp
  PricePeak,          // price_peak
  PriceFlat,          // price_flat
  PriceValley,        // price_valley
  StatusBits,         // status (bit meanings: assets/meters/README.md)
  CommandResult,      // command_result: RejectReason of the last recharge/control command
};
inline constexpr std::size_t PointIdCount = 26;

enum class ValueType { U16, U32, I16, I32, Float32 };
enum class WordOrder { HighFirst, LowFirst };  // of 32-bit values; bytes in a register: big-endian

/// Physical units a point may be declared in. Each point accepts the units of its dimension.
enum class Unit {
  KiloWattHour,
  WattHour,
  Volt,
  Ampere,
  KiloWatt,
  Watt,
  Yuan,
  Fen,
  YuanPerKiloWattHour,
  One,  // dimensionless: power factor, counts, states, bit sets ("1" in the file, or omitted)
};

inline constexpr std::uint8_t ReadHoldingRegisters = 0x03;
inline constexpr std::uint8_t ReadInputRegisters = 0x04;
inline constexpr std::uint8_t WriteMultipleRegisters = 0x10;

struct PointSpec {
  PointId id = PointId::TotalEnergy;
  std::uint8_t function = ReadHoldingRegisters;  // 0x03 or 0x04
  std::uint16_t address = 0;
  ValueType type = ValueType::U16;
  WordOrder wordOrder = WordOrder::HighFirst;
  int scaleExponent = 0;  // raw value x 10^scaleExponent = value in `unit`
  Unit unit = Unit::One;

  [[nodiscard]] std::uint16_t registerCount() const;
};

/// Where a fixed-layout command block is written (layouts: assets/meters/README.md).
struct CommandBlock {
  std::uint8_t function = WriteMultipleRegisters;
  std::uint16_t address = 0;
};

/// A write of a group of points with one request (they must be contiguous holding registers).
struct PointWrite {
  std::uint8_t function = WriteMultipleRegisters;
  std::vector<PointId> points;  // in register order
};

inline constexpr std::uint16_t RechargeBlockRegisters = 14;
inline constexpr std::uint16_t ControlBlockRegisters = 14;

/// The prepaid part of a profile: only meter-side prepaid meters have it.
struct PrepaidBlock {
  MacAlgorithm mac = MacAlgorithm::AesCmac;
  std::uint8_t rejectException = 0x07;  // Modbus exception the meter answers a refused command with
  CommandBlock recharge;
  CommandBlock control;
  PointWrite prices;      // price_sharp, price_peak, price_flat, price_valley
  PointWrite thresholds;  // alarm_threshold_1, alarm_threshold_2, overload_threshold
};

struct MeterProfile {
  std::string model;                     // file stem, e.g. "single-phase-prepaid"
  std::string description;               // free text
  std::uint16_t maxReadRegisters = 125;  // largest register count one read may ask for
  std::uint16_t readGapMax = 0;          // unmapped registers a merged read may span
  std::vector<PointSpec> points;         // sorted by (function, address)
  std::optional<PrepaidBlock> prepaid;

  [[nodiscard]] const PointSpec* find(PointId id) const;
};

enum class ProfileErrorKind {
  FileNotFound,
  ParseError,            // not valid TOML
  MissingField,          // a required key is absent
  UnknownPoint,          // a point name that is not a PointId
  UnknownKey,            // any other unexpected key (typos must not pass silently)
  BadType,               // type is not u16/u32/i16/i32/float32, or a key has the wrong TOML type
  BadValue,              // out of range: function code, address, scale, unit, word order …
  OverlappingRegisters,  // two points/blocks share a register
};

struct ProfileError {
  ProfileErrorKind kind = ProfileErrorKind::ParseError;
  std::string file;     // path (or the source name given to parseMeterProfile)
  std::string field;    // dotted TOML path, e.g. "points.voltage.type"
  std::string message;  // what is wrong

  /// "<file>: <field>: <message>".
  [[nodiscard]] std::string describe() const;
};

/// Loads and validates one profile file. The model name is the file stem.
[[nodiscard]] std::expected<MeterProfile, ProfileError> loadMeterProfile(
    const std::filesystem::path& file);

/// Loads `<dir>/<model>.toml`. `model` must be a plain name (no path separators).
[[nodiscard]] std::expected<MeterProfile, ProfileError> loadMeterProfileByName(
    const std::filesystem::path& dir, std::string_view model);

/// Parses profile text; `sourceName` is used as the file in errors and `model` as the model.
[[nodiscard]] std::expected<MeterProfile, ProfileError> parseMeterProfile(
    std::string_view text, std::string_view sourceName, std::string_view model);

[[nodiscard]] std::string_view toString(PointId id);
[[nodiscard]] std::optional<PointId> parsePointId(std::string_view name);
[[nodiscard]] std::string_view toString(ValueType type);
[[nodiscard]] std::string_view toString(Unit unit);
[[nodiscard]] std::string_view toString(ProfileErrorKind kind);

/// Power of ten that converts a value in `unit` to the base unit the drivers report for its
/// dimension: energy 0.01 kWh, voltage mV, current mA, power W, money fen, price micro-yuan/kWh,
/// dimensionless x1000 for power factor and x1 otherwise (see pointBaseExponent).
[[nodiscard]] int unitExponent(Unit unit);

/// Exponent e such that raw x 10^e = the point's value in its base unit (see unitExponent);
/// power_factor is reported in thousandths.
[[nodiscard]] int pointBaseExponent(const PointSpec& point);

}  // namespace prepaid::devices
