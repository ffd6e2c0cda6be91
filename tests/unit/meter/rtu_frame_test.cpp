#include "prepaid/meter/rtu_frame.hpp"

#include <deque>

#include <gtest/gtest.h>

#include "prepaid/meter/crc16.hpp"

namespace prepaid::devices {
namespace {

std::vector<std::uint8_t> withCrc(std::vector<std::uint8_t> frame) {
  const auto crc = crc16(frame);
  frame.push_back(static_cast<std::uint8_t>(crc & 0xFF));
  frame.push_back(static_cast<std::uint8_t>(crc >> 8));
  return frame;
}

const RtuRequest ReadTwo{.unit = 1, .function = 0x03, .address = 0, .count = 2, .values = {}};

// Feeds scripted chunks; an empty chunk is a timeout.
class ChunkSource final : public ByteSource {
 public:
  explicit ChunkSource(std::deque<std::vector<std::uint8_t>> chunks)
      : m_chunks(std::move(chunks)) {}
  std::expected<std::size_t, DeviceError> readSome(std::span<std::uint8_t> buffer, int) override {
    if (m_chunks.empty() || m_chunks.front().empty()) {
      if (!m_chunks.empty()) {
        m_chunks.pop_front();
      }
      return 0;
    }
    auto& chunk = m_chunks.front();
    const std::size_t n = std::min(buffer.size(), chunk.size());
    std::copy_n(chunk.begin(), n, buffer.begin());
    chunk.erase(chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
    if (chunk.empty()) {
      m_chunks.pop_front();
    }
    return n;
  }

 private:
  std::deque<std::vector<std::uint8_t>> m_chunks;
};

TEST(RtuFrameTest, EncodesReadAndWriteRequests) {
  EXPECT_EQ(encodeRtuRequest({.unit = 1, .function = 0x03, .address = 0, .count = 1, .values = {}}),
            (std::vector<std::uint8_t>{0x01, 0x03, 0x00, 0x00, 0x00, 0x01, 0x84, 0x0A}));
  const auto write = encodeRtuRequest(
      {.unit = 2, .function = 0x10, .address = 0x0200, .count = 2, .values = {0x1234, 0xABCD}});
  EXPECT_EQ(write.size(), 13U);
  EXPECT_EQ(write[6], 4);
  EXPECT_TRUE(hasValidCrc16(write));
}

TEST(RtuFrameTest, ParsesAGoodReply) {
  const auto reply = withCrc({0x01, 0x03, 0x04, 0x12, 0x34, 0x56, 0x78});
  const auto regs = parseRtuReply(reply, ReadTwo);
  ASSERT_TRUE(regs.has_value());
  EXPECT_EQ(*regs, (std::vector<std::uint16_t>{0x1234, 0x5678}));
}

TEST(RtuFrameTest, ErrorsForEveryKindOfBadReply) {
  EXPECT_EQ(parseRtuReply(std::vector<std::uint8_t>{0x01, 0x03}, ReadTwo).error().kind,
            DeviceErrorKind::MalformedReply);
  auto badCrc = withCrc({0x01, 0x03, 0x04, 0x12, 0x34, 0x56, 0x78});
  badCrc.back() ^= 1;
  EXPECT_EQ(parseRtuReply(badCrc, ReadTwo).error().kind, DeviceErrorKind::Crc);
  EXPECT_EQ(
      parseRtuReply(withCrc({0x02, 0x03, 0x04, 0x12, 0x34, 0x56, 0x78}), ReadTwo).error().kind,
      DeviceErrorKind::WrongAddress);
  const auto exception = parseRtuReply(withCrc({0x01, 0x83, 0x02}), ReadTwo);
  EXPECT_EQ(exception.error().kind, DeviceErrorKind::ModbusException);
  EXPECT_EQ(exception.error().exceptionCode, 0x02);
  EXPECT_EQ(
      parseRtuReply(withCrc({0x01, 0x04, 0x04, 0x12, 0x34, 0x56, 0x78}), ReadTwo).error().kind,
      DeviceErrorKind::MalformedReply);  // other function
  EXPECT_EQ(parseRtuReply(withCrc({0x01, 0x03, 0x02, 0x12, 0x34}), ReadTwo).error().kind,
            DeviceErrorKind::MalformedReply);  // too few registers
  EXPECT_EQ(parseRtuReply(withCrc({0x01, 0x03, 0x06, 1, 2, 3, 4, 5, 6}), ReadTwo).error().kind,
            DeviceErrorKind::MalformedReply);  // too many
  const RtuRequest write{.unit = 1, .function = 0x10, .address = 5, .count = 1, .values = {9}};
  EXPECT_TRUE(parseRtuReply(withCrc({0x01, 0x10, 0x00, 0x05, 0x00, 0x01}), write).has_value());
  EXPECT_EQ(parseRtuReply(withCrc({0x01, 0x10, 0x00, 0x06, 0x00, 0x01}), write).error().kind,
            DeviceErrorKind::MalformedReply);  // wrong echo
  std::vector<std::uint8_t> huge(300, 0x01);
  EXPECT_EQ(parseRtuReply(huge, ReadTwo).error().kind, DeviceErrorKind::MalformedReply);
}

TEST(RtuFrameTest, ReplyLength) {
  EXPECT_EQ(rtuReplyLength(std::vector<std::uint8_t>{0x01}, ReadTwo), 0U);
  EXPECT_EQ(rtuReplyLength(std::vector<std::uint8_t>{0x01, 0x03}, ReadTwo), 0U);
  EXPECT_EQ(rtuReplyLength(std::vector<std::uint8_t>{0x01, 0x03, 0x04}, ReadTwo), 9U);
  EXPECT_EQ(rtuReplyLength(std::vector<std::uint8_t>{0x01, 0x83}, ReadTwo), 5U);
  EXPECT_FALSE(rtuReplyLength(std::vector<std::uint8_t>{0x01, 0x55}, ReadTwo).has_value());
  EXPECT_FALSE(rtuReplyLength(std::vector<std::uint8_t>{0x01, 0x03, 0xFF}, ReadTwo).has_value());
}

TEST(RtuFrameTest, ReaderAssemblesFragmentedReplies) {
  const auto reply = withCrc({0x01, 0x03, 0x04, 0x12, 0x34, 0x56, 0x78});
  ChunkSource source({{reply.begin(), reply.begin() + 1},
                      {reply.begin() + 1, reply.begin() + 4},
                      {reply.begin() + 4, reply.end()}});
  const auto frame = readRtuFrame(source, ReadTwo, 10, 10);
  ASSERT_TRUE(frame.has_value());
  EXPECT_EQ(*frame, reply);
}

TEST(RtuFrameTest, ReaderErrors) {
  ChunkSource silent({});
  EXPECT_EQ(readRtuFrame(silent, ReadTwo, 10, 10).error().kind, DeviceErrorKind::Timeout);
  ChunkSource partial({{0x01, 0x03, 0x04, 0x12}, {}});
  EXPECT_EQ(readRtuFrame(partial, ReadTwo, 10, 10).error().kind, DeviceErrorKind::MalformedReply);
  ChunkSource garbage({{0x01, 0x77, 0x00}});
  EXPECT_EQ(readRtuFrame(garbage, ReadTwo, 10, 10).error().kind, DeviceErrorKind::MalformedReply);
  auto reply = withCrc({0x01, 0x03, 0x04, 0x12, 0x34, 0x56, 0x78});
  reply.push_back(0x00);
  ChunkSource oversized({reply});
  EXPECT_EQ(readRtuFrame(oversized, ReadTwo, 10, 10).error().kind, DeviceErrorKind::MalformedReply);
}

}  // namespace
}  // namespace prepaid::devices
