#include "prepaid/meter/crc16.hpp"

#include <array>
#include <cstdint>
#include <string_view>

#include <gtest/gtest.h>

namespace prepaid::devices {
namespace {

TEST(Crc16Test, ReadHoldingRequestFromTheModbusSpec) {
  // 01 03 00 00 00 01 -> CRC 0x0A84, sent 84 0A.
  constexpr std::array<std::uint8_t, 6> request{0x01, 0x03, 0x00, 0x00, 0x00, 0x01};
  EXPECT_EQ(crc16(request), 0x0A84);
  static_assert(crc16(std::array<std::uint8_t, 6>{0x01, 0x03, 0x00, 0x00, 0x00, 0x01}) == 0x0A84);
}

TEST(Crc16Test, CatalogueCheckValue) {
  // CRC-16/MODBUS check value over "123456789" is 0x4B37.
  constexpr std::string_view text = "123456789";
  std::array<std::uint8_t, 9> bytes{};
  for (std::size_t i = 0; i < text.size(); ++i) {
    bytes[i] = static_cast<std::uint8_t>(text[i]);
  }
  EXPECT_EQ(crc16(bytes), 0x4B37);
}

TEST(Crc16Test, EmptyInputIsTheInitialValue) {
  EXPECT_EQ(crc16({}), 0xFFFF);
}

TEST(Crc16Test, FrameValidation) {
  const std::array<std::uint8_t, 8> good{0x01, 0x03, 0x00, 0x00, 0x00, 0x01, 0x84, 0x0A};
  EXPECT_TRUE(hasValidCrc16(good));
  auto swapped = good;
  std::swap(swapped[6], swapped[7]);
  EXPECT_FALSE(hasValidCrc16(swapped));
  auto flipped = good;
  flipped[2] ^= 0x10;
  EXPECT_FALSE(hasValidCrc16(flipped));
  EXPECT_FALSE(hasValidCrc16(std::span(good).first(2)));
}

}  // namespace
}  // namespace prepaid::devices
