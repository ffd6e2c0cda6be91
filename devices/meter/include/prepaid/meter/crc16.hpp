#pragma once

// Modbus RTU CRC-16 (Modbus over Serial Line V1.02, section 6.2.2): polynomial 0xA001 (reflected
// 0x8005), initial value 0xFFFF, no final XOR. On the wire the low byte goes first.

#include <cstddef>
#include <cstdint>
#include <span>

namespace prepaid::devices {

/// CRC-16/MODBUS of `bytes`. crc16({0x01, 0x03, 0x00, 0x00, 0x00, 0x01}) == 0x0A84 (wire: 84 0A).
[[nodiscard]] constexpr std::uint16_t crc16(std::span<const std::uint8_t> bytes) {
  std::uint16_t crc = 0xFFFF;
  for (const std::uint8_t byte : bytes) {
    crc = static_cast<std::uint16_t>(crc ^ byte);
    for (int bit = 0; bit < 8; ++bit) {
      const bool lsb = (crc & 0x0001U) != 0;
      crc = static_cast<std::uint16_t>(crc >> 1);
      if (lsb) {
        crc = static_cast<std::uint16_t>(crc ^ 0xA001U);
      }
    }
  }
  return crc;
}

/// True when the last two bytes of `frame` are the CRC (low byte first) of the bytes before.
[[nodiscard]] constexpr bool hasValidCrc16(std::span<const std::uint8_t> frame) {
  if (frame.size() < 3) {
    return false;
  }
  const std::uint16_t crc = crc16(frame.first(frame.size() - 2));
  return frame[frame.size() - 2] == static_cast<std::uint8_t>(crc & 0xFF) &&
         frame[frame.size() - 1] == static_cast<std::uint8_t>(crc >> 8);
}

}  // namespace prepaid::devices
