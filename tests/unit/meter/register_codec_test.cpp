#include "prepaid/meter/register_codec.hpp"

#include <bit>

#include <gtest/gtest.h>

namespace prepaid::devices {
namespace {

PointSpec point(PointId id, ValueType type, int scaleExponent, Unit unit,
                WordOrder order = WordOrder::HighFirst) {
  PointSpec p;
  p.id = id;
  p.type = type;
  p.scaleExponent = scaleExponent;
  p.unit = unit;
  p.wordOrder = order;
  return p;
}

TEST(RegisterCodecTest, WordOrderAndSign) {
  const auto high = point(PointId::Balance, ValueType::I32, -2, Unit::Yuan);
  const std::uint16_t regs[] = {0xFFFF, 0xFF38};  // -200
  EXPECT_EQ(decodePoint(high, regs), -200);
  const auto low = point(PointId::Balance, ValueType::I32, -2, Unit::Yuan, WordOrder::LowFirst);
  const std::uint16_t swapped[] = {0xFF38, 0xFFFF};
  EXPECT_EQ(decodePoint(low, swapped), -200);
  EXPECT_EQ(encodePoint(low, -200).value(), (std::vector<std::uint16_t>{0xFF38, 0xFFFF}));
}

TEST(RegisterCodecTest, ScalingToBaseUnits) {
  const std::uint16_t v[] = {2203};
  EXPECT_EQ(decodePoint(point(PointId::Voltage, ValueType::U16, -1, Unit::Volt), v), 220300);
  // 0.001 kWh registers truncate to 0.01 kWh toward zero.
  const std::uint16_t wh[] = {0, 12345};
  EXPECT_EQ(decodePoint(point(PointId::TotalEnergy, ValueType::U32, 0, Unit::WattHour), wh), 1234);
  const auto pf = point(PointId::PowerFactor, ValueType::I16, -3, Unit::One);
  const std::uint16_t pfRaw[] = {static_cast<std::uint16_t>(-985)};
  EXPECT_EQ(decodePoint(pf, pfRaw), -985);
}

TEST(RegisterCodecTest, Float32) {
  const auto p = point(PointId::Voltage, ValueType::Float32, 0, Unit::Volt);
  const auto bits = std::bit_cast<std::uint32_t>(230.25f);
  const std::uint16_t regs[] = {static_cast<std::uint16_t>(bits >> 16),
                                static_cast<std::uint16_t>(bits & 0xFFFF)};
  EXPECT_EQ(decodePoint(p, regs), 230250);
  const std::uint16_t nan[] = {0x7FC0, 0x0000};
  EXPECT_EQ(decodePoint(p, nan).error().kind, DeviceErrorKind::MalformedReply);
  EXPECT_EQ(decodePoint(p, encodePoint(p, 230250).value()).value(), 230250);
}

TEST(RegisterCodecTest, EncodeRefusesLossAndOverflow) {
  const auto price = point(PointId::PriceFlat, ValueType::U32, -4, Unit::YuanPerKiloWattHour);
  EXPECT_EQ(encodePoint(price, 650'100).value(), (std::vector<std::uint16_t>{0, 6501}));
  EXPECT_EQ(encodePoint(price, 650'150).error().kind, DeviceErrorKind::InvalidArgument);
  EXPECT_EQ(encodePoint(price, -100).error().kind, DeviceErrorKind::InvalidArgument);
  const auto small = point(PointId::Voltage, ValueType::U16, -1, Unit::Volt);
  EXPECT_EQ(encodePoint(small, 7'000'000).error().kind, DeviceErrorKind::InvalidArgument);
  EXPECT_EQ(decodePoint(small, std::span<const std::uint16_t>()).error().kind,
            DeviceErrorKind::MalformedReply);
}

}  // namespace
}  // namespace prepaid::devices
