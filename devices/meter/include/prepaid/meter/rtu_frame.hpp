#pragma once

// Modbus RTU framing (Modbus over Serial Line V1.02): ADU = unit, PDU, CRC16 low byte first.
// Used by the RTU-over-TCP transport, by the simulator and by the fuzz targets. Every parser here
// accepts any bytes: bad input is an error, never a crash or a read out of bounds.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <vector>

#include "prepaid/meter/byte_stream.hpp"
#include "prepaid/meter/device_error.hpp"

namespace prepaid::devices {

inline constexpr std::size_t RtuMaxAdu = 256;
inline constexpr std::uint16_t MaxReadRegisters = 125;   // Modbus limit for 0x03/0x04
inline constexpr std::uint16_t MaxWriteRegisters = 123;  // Modbus limit for 0x10

/// One request: a read (0x03/0x04: address, count) or a write multiple (0x10: address, values).
struct RtuRequest {
  std::uint8_t unit = 1;
  std::uint8_t function = 0x03;
  std::uint16_t address = 0;
  std::uint16_t count = 0;            // reads; for writes = values.size()
  std::vector<std::uint16_t> values;  // 0x10 only
};

/// The request ADU with CRC. Precondition: the request passed validateRtuRequest.
[[nodiscard]] std::vector<std::uint8_t> encodeRtuRequest(const RtuRequest& request);

/// InvalidArgument for a unit outside 1..247, unknown function or count outside Modbus limits.
[[nodiscard]] std::expected<void, DeviceError> validateRtuRequest(const RtuRequest& request);

/// Length of the complete reply to `request` given its first bytes: 0 when more bytes are needed
/// to tell, nullopt when the bytes cannot start a reply (unknown function, byte count too big).
[[nodiscard]] std::optional<std::size_t> rtuReplyLength(std::span<const std::uint8_t> prefix,
                                                        const RtuRequest& request);

/// Checks a complete reply ADU against the request. Ok: the registers read (empty for a write).
/// Errors: Crc, WrongAddress, ModbusException (with code), MalformedReply.
[[nodiscard]] std::expected<std::vector<std::uint16_t>, DeviceError> parseRtuReply(
    std::span<const std::uint8_t> frame, const RtuRequest& request);

/// Reads one reply ADU to `request` from `source`: waits `responseTimeoutMs` for the first byte,
/// then at most `byteTimeoutMs` between bytes. Errors: Timeout (nothing), MalformedReply (short,
/// unknown function, oversized: bytes beyond the frame arriving with it), Io.
[[nodiscard]] std::expected<std::vector<std::uint8_t>, DeviceError> readRtuFrame(
    ByteSource& source, const RtuRequest& request, int responseTimeoutMs, int byteTimeoutMs);

}  // namespace prepaid::devices
