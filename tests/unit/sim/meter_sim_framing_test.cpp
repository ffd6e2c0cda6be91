#include "prepaid/sim/meter_sim_framing.hpp"

#include <vector>

#include <gtest/gtest.h>

namespace prepaid::devices::sim {
namespace {

using Bytes = std::vector<std::uint8_t>;

TEST(Framing, MbapNeedsTheWholeFrame) {
  const Bytes frame{0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x01, 0x03, 0x00, 0x00, 0x00, 0x02};
  for (std::size_t n = 0; n < frame.size(); ++n) {
    EXPECT_EQ(cutMbapFrame(std::span(frame).first(n)).status, FrameStatus::NeedMore) << n;
  }
  Bytes two = frame;
  two.insert(two.end(), frame.begin(), frame.end());
  const auto cut = cutMbapFrame(two);
  EXPECT_EQ(cut.status, FrameStatus::Frame);
  EXPECT_EQ(cut.length, frame.size());
}

TEST(Framing, MbapWithBadHeaderClosesTheConnection) {
  EXPECT_EQ(cutMbapFrame(Bytes{0, 1, 0, 5, 0, 6, 1, 3}).status, FrameStatus::Close);  // protocol 5
  EXPECT_EQ(cutMbapFrame(Bytes{0, 1, 0, 0, 0x10, 0, 1, 3}).status, FrameStatus::Close);  // length
  EXPECT_EQ(cutMbapFrame(Bytes{0, 1, 0, 0, 0, 1, 1}).status, FrameStatus::Close);
}

TEST(Framing, RtuReadRequestIsEightBytes) {
  // 01 03 0000 0001 with CRC 84 0A (Modbus over serial line spec example).
  const Bytes frame{0x01, 0x03, 0x00, 0x00, 0x00, 0x01, 0x84, 0x0A};
  EXPECT_EQ(cutRtuRequest(std::span(frame).first(5)).status, FrameStatus::NeedMore);
  const auto cut = cutRtuRequest(frame);
  EXPECT_EQ(cut.status, FrameStatus::Frame);
  EXPECT_EQ(cut.length, 8U);
}

TEST(Framing, RtuWriteMultipleUsesTheByteCount) {
  Bytes frame{0x02, 0x10, 0x01, 0x08, 0x00, 0x01, 0x02, 0x12, 0x34};
  const auto crc = [](const Bytes& bytes) {
    std::uint16_t value = 0xFFFF;
    for (const auto b : bytes) {
      value = static_cast<std::uint16_t>(value ^ b);
      for (int i = 0; i < 8; ++i) {
        value = (value & 1U) != 0 ? static_cast<std::uint16_t>((value >> 1U) ^ 0xA001U)
                                  : static_cast<std::uint16_t>(value >> 1U);
      }
    }
    return value;
  }(frame);
  frame.push_back(static_cast<std::uint8_t>(crc & 0xFF));
  frame.push_back(static_cast<std::uint8_t>(crc >> 8));
  EXPECT_EQ(cutRtuRequest(std::span(frame).first(6)).status, FrameStatus::NeedMore);
  EXPECT_EQ(cutRtuRequest(std::span(frame).first(10)).status, FrameStatus::NeedMore);
  const auto cut = cutRtuRequest(frame);
  EXPECT_EQ(cut.status, FrameStatus::Frame);
  EXPECT_EQ(cut.length, 11U);
}

TEST(Framing, RtuWithBadCrcIsDropped) {
  const Bytes frame{0x01, 0x03, 0x00, 0x00, 0x00, 0x01, 0x84, 0x0B, 0x55};
  const auto cut = cutRtuRequest(frame);
  EXPECT_EQ(cut.status, FrameStatus::Drop);
  EXPECT_EQ(cut.length, frame.size());
}

TEST(Framing, RtuGarbageNeverCrashes) {
  Bytes bytes;
  for (int i = 0; i < 600; ++i) {
    bytes.push_back(static_cast<std::uint8_t>(i * 37 + 11));
    const auto cut = cutRtuRequest(bytes);
    ASSERT_LE(cut.length, bytes.size());
  }
}

TEST(Framing, Dlt645SkipsPreambleAndGarbage) {
  // The published read-voltage request at the broadcast address, after garbage and FE FE.
  const Bytes frame{0x12, 0xFE, 0xFE, 0x68, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA,
                    0x68, 0x11, 0x04, 0x33, 0x34, 0x34, 0x35, 0xB1, 0x16};
  EXPECT_EQ(cutDlt645Frame(std::span(frame).first(10)).status, FrameStatus::NeedMore);
  const auto cut = cutDlt645Frame(frame);
  EXPECT_EQ(cut.status, FrameStatus::Frame);
  EXPECT_EQ(cut.length, frame.size());
}

TEST(Framing, Dlt645BadChecksumIsDropped) {
  const Bytes frame{0x68, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0x68,
                    0x11, 0x04, 0x33, 0x34, 0x34, 0x35, 0xB2, 0x16};
  EXPECT_EQ(cutDlt645Frame(frame).status, FrameStatus::Drop);
}

}  // namespace
}  // namespace prepaid::devices::sim
