#include "prepaid/meter/register_codec.hpp"

#include <bit>
#include <cmath>
#include <limits>
#include <string>

namespace prepaid::devices {

namespace {

std::int64_t pow10(int exponent) {
  std::int64_t value = 1;
  for (int i = 0; i < exponent; ++i) {
    value *= 10;
  }
  return value;
}

std::uint32_t combine(const PointSpec& point, std::span<const std::uint16_t> r) {
  const std::uint32_t first = r[0];
  const std::uint32_t second = r[1];
  return point.wordOrder == WordOrder::HighFirst ? (first << 16) | second : (second << 16) | first;
}

std::vector<std::uint16_t> split(const PointSpec& point, std::uint32_t value) {
  const auto high = static_cast<std::uint16_t>(value >> 16);
  const auto low = static_cast<std::uint16_t>(value & 0xFFFF);
  return point.wordOrder == WordOrder::HighFirst ? std::vector<std::uint16_t>{high, low}
                                                 : std::vector<std::uint16_t>{low, high};
}

DeviceError malformed(const PointSpec& point, const std::string& what) {
  return makeError(DeviceErrorKind::MalformedReply, std::string(toString(point.id)) + ": " + what);
}

DeviceError invalid(const PointSpec& point, const std::string& what) {
  return makeError(DeviceErrorKind::InvalidArgument, std::string(toString(point.id)) + ": " + what);
}

}  // namespace

std::expected<double, DeviceError> decodeRawFloat(const PointSpec& point,
                                                  std::span<const std::uint16_t> registers) {
  if (registers.size() < point.registerCount()) {
    return std::unexpected(malformed(point, "too few registers"));
  }
  switch (point.type) {
    case ValueType::U16:
      return static_cast<double>(registers[0]);
    case ValueType::I16:
      return static_cast<double>(static_cast<std::int16_t>(registers[0]));
    case ValueType::U32:
      return static_cast<double>(combine(point, registers));
    case ValueType::I32:
      return static_cast<double>(static_cast<std::int32_t>(combine(point, registers)));
    case ValueType::Float32: {
      const float value = std::bit_cast<float>(combine(point, registers));
      if (!std::isfinite(value)) {
        return std::unexpected(malformed(point, "float32 is not a finite number"));
      }
      return static_cast<double>(value);
    }
  }
  return std::unexpected(malformed(point, "unknown type"));
}

std::expected<std::int64_t, DeviceError> decodePoint(const PointSpec& point,
                                                     std::span<const std::uint16_t> registers) {
  if (registers.size() < point.registerCount()) {
    return std::unexpected(malformed(point, "too few registers"));
  }
  const int exponent = pointBaseExponent(point);
  if (point.type == ValueType::Float32) {
    const auto raw = decodeRawFloat(point, registers);
    if (!raw) {
      return std::unexpected(raw.error());
    }
    const double scaled = *raw * std::pow(10.0, exponent);
    if (!(std::fabs(scaled) < 9.0e18)) {
      return std::unexpected(malformed(point, "value out of range"));
    }
    return static_cast<std::int64_t>(std::llround(scaled));
  }
  std::int64_t raw = 0;
  switch (point.type) {
    case ValueType::U16:
      raw = registers[0];
      break;
    case ValueType::I16:
      raw = static_cast<std::int16_t>(registers[0]);
      break;
    case ValueType::U32:
      raw = combine(point, registers);
      break;
    case ValueType::I32:
      raw = static_cast<std::int32_t>(combine(point, registers));
      break;
    case ValueType::Float32:
      break;
  }
  if (exponent >= 0) {
    std::int64_t out = 0;
    if (__builtin_mul_overflow(raw, pow10(exponent), &out)) {
      return std::unexpected(malformed(point, "value out of range"));
    }
    return out;
  }
  return raw / pow10(-exponent);  // truncates toward zero (documented in assets/meters/README.md)
}

std::expected<std::vector<std::uint16_t>, DeviceError> encodePoint(const PointSpec& point,
                                                                   std::int64_t baseValue) {
  const int exponent = pointBaseExponent(point);
  if (point.type == ValueType::Float32) {
    const double raw = static_cast<double>(baseValue) / std::pow(10.0, exponent);
    const auto asFloat = static_cast<float>(raw);
    return split(point, std::bit_cast<std::uint32_t>(asFloat));
  }
  std::int64_t raw = 0;
  if (exponent >= 0) {
    const std::int64_t divisor = pow10(exponent);
    if (baseValue % divisor != 0) {
      return std::unexpected(invalid(
          point, std::to_string(baseValue) + " has more precision than the register holds"));
    }
    raw = baseValue / divisor;
  } else if (__builtin_mul_overflow(baseValue, pow10(-exponent), &raw)) {
    return std::unexpected(invalid(point, "value out of range"));
  }
  std::int64_t min = 0;
  std::int64_t max = 0;
  switch (point.type) {
    case ValueType::U16:
      max = std::numeric_limits<std::uint16_t>::max();
      break;
    case ValueType::I16:
      min = std::numeric_limits<std::int16_t>::min();
      max = std::numeric_limits<std::int16_t>::max();
      break;
    case ValueType::U32:
      max = std::numeric_limits<std::uint32_t>::max();
      break;
    case ValueType::I32:
      min = std::numeric_limits<std::int32_t>::min();
      max = std::numeric_limits<std::int32_t>::max();
      break;
    case ValueType::Float32:
      break;
  }
  if (raw < min || raw > max) {
    return std::unexpected(invalid(point, std::to_string(baseValue) + " does not fit in " +
                                              std::string(toString(point.type))));
  }
  if (point.registerCount() == 1) {
    return std::vector<std::uint16_t>{static_cast<std::uint16_t>(raw & 0xFFFF)};
  }
  return split(point, static_cast<std::uint32_t>(raw & 0xFFFFFFFF));
}

}  // namespace prepaid::devices
