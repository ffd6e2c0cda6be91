#pragma once

// Converts between a point's registers and its value in the driver's base unit (see
// pointBaseExponent in meter_profile.hpp: 0.01 kWh, mV, mA, W, fen, micro-yuan/kWh, thousandths
// of power factor, plain integers). Shared by ModbusMeter and the simulator, so both sides use
// the same arithmetic.

#include <cstdint>
#include <expected>
#include <span>
#include <vector>

#include "prepaid/meter/device_error.hpp"
#include "prepaid/meter/meter_profile.hpp"

namespace prepaid::devices {

/// The raw register value (before scaling) of `point` from its registers.
/// Error: MalformedReply when `registers` is too short; float32 NaN/inf.
[[nodiscard]] std::expected<double, DeviceError> decodeRawFloat(
    const PointSpec& point, std::span<const std::uint16_t> registers);

/// The value of `point` in its base unit. Divisions truncate toward zero; float32 rounds to
/// nearest. Errors: MalformedReply (too few registers, NaN, out of int64 range).
[[nodiscard]] std::expected<std::int64_t, DeviceError> decodePoint(
    const PointSpec& point, std::span<const std::uint16_t> registers);

/// The registers that hold `baseValue` for `point`. Error: InvalidArgument when the value is not
/// exactly representable (more precision than the register has) or out of the type's range.
[[nodiscard]] std::expected<std::vector<std::uint16_t>, DeviceError> encodePoint(
    const PointSpec& point, std::int64_t baseValue);

}  // namespace prepaid::devices
