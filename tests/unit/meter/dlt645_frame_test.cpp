#include "prepaid/meter/dlt645_frame.hpp"

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

namespace prepaid::devices {
namespace {

// The published example: read voltage (DI 02010100) at the broadcast address.
const std::vector<std::uint8_t> PublishedFrame{0x68, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0x68,
                                               0x11, 0x04, 0x33, 0x34, 0x34, 0x35, 0xB1, 0x16};

TEST(Dlt645FrameTest, EncodesThePublishedReadVoltageFrame) {
  const auto bytes =
      encodeDlt645(dlt645ReadRequest(Dlt645Address::broadcast(), dlt645::DiVoltageA), 0);
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ(*bytes, PublishedFrame);
}

TEST(Dlt645FrameTest, EncodesWithFePreamble) {
  const auto bytes =
      encodeDlt645(dlt645ReadRequest(Dlt645Address::broadcast(), dlt645::DiVoltageA), 4);
  ASSERT_TRUE(bytes.has_value());
  ASSERT_EQ(bytes->size(), PublishedFrame.size() + 4);
  EXPECT_EQ(std::vector(bytes->begin(), bytes->begin() + 4), std::vector<std::uint8_t>(4, 0xFE));
}

TEST(Dlt645FrameTest, DecodesThePublishedFrame) {
  const auto result = decodeDlt645(PublishedFrame);
  ASSERT_EQ(result.status, Dlt645DecodeStatus::Frame);
  EXPECT_EQ(result.consumed, PublishedFrame.size());
  EXPECT_TRUE(result.frame.address.isBroadcast());
  EXPECT_EQ(result.frame.control, dlt645::ReadData);
  EXPECT_EQ(result.frame.data, std::vector<std::uint8_t>({0x00, 0x01, 0x01, 0x02}));
}

TEST(Dlt645FrameTest, ToleratesPreambleAndLeadingGarbage) {
  for (std::size_t fe = 0; fe <= 4; ++fe) {
    std::vector<std::uint8_t> bytes(fe, 0xFE);
    bytes.insert(bytes.end(), PublishedFrame.begin(), PublishedFrame.end());
    const auto result = decodeDlt645(bytes);
    ASSERT_EQ(result.status, Dlt645DecodeStatus::Frame) << fe;
    EXPECT_EQ(result.consumed, bytes.size());
  }
  // Garbage including a stray 68 that does not start a frame.
  std::vector<std::uint8_t> bytes{0x00, 0x68, 0x13, 0xFF, 0xFE, 0xFE};
  bytes.insert(bytes.end(), PublishedFrame.begin(), PublishedFrame.end());
  const auto result = decodeDlt645(bytes);
  ASSERT_EQ(result.status, Dlt645DecodeStatus::Frame);
  EXPECT_EQ(result.frame.control, dlt645::ReadData);
}

TEST(Dlt645FrameTest, IncompleteFramesNeedMore) {
  for (std::size_t n = 0; n < PublishedFrame.size(); ++n) {
    const auto result = decodeDlt645(std::span(PublishedFrame).first(n));
    EXPECT_EQ(result.status, Dlt645DecodeStatus::NeedMore) << n;
  }
}

TEST(Dlt645FrameTest, BadChecksumAndBadEnd) {
  auto bad = PublishedFrame;
  bad[14] ^= 0x01;
  EXPECT_EQ(decodeDlt645(bad).status, Dlt645DecodeStatus::BadChecksum);
  bad = PublishedFrame;
  bad[15] = 0x17;
  EXPECT_EQ(decodeDlt645(bad).status, Dlt645DecodeStatus::BadEnd);
  EXPECT_EQ(decodeDlt645(bad).consumed, bad.size());
}

TEST(Dlt645FrameTest, AddressIsBcdLowByteFirst) {
  const auto address = Dlt645Address::parse("123456789012");
  ASSERT_TRUE(address.has_value());
  EXPECT_EQ(address->wire, (std::array<std::uint8_t, 6>{0x12, 0x90, 0x78, 0x56, 0x34, 0x12}));
  EXPECT_EQ(address->toString(), "123456789012");
  EXPECT_FALSE(Dlt645Address::parse("12345678901").has_value());
  EXPECT_FALSE(Dlt645Address::parse("12345678901x").has_value());
  EXPECT_FALSE(Dlt645Address::fromNumber(1'000'000'000'000ULL).has_value());
  EXPECT_EQ(Dlt645Address::parse("AAAAAAAAAAAA")->toString(), "AAAAAAAAAAAA");
}

TEST(Dlt645FrameTest, RoundTripWithData) {
  Dlt645Frame frame;
  frame.address = *Dlt645Address::fromNumber(17);
  frame.control = dlt645::ReadData | dlt645::ReplyBit;
  frame.data = {0x00, 0x01, 0x01, 0x02, 0x00, 0x22, 0xCD, 0xFF};
  const auto bytes = encodeDlt645(frame);
  ASSERT_TRUE(bytes.has_value());
  const auto result = decodeDlt645(*bytes);
  ASSERT_EQ(result.status, Dlt645DecodeStatus::Frame);
  EXPECT_EQ(result.frame.address, frame.address);
  EXPECT_EQ(result.frame.control, frame.control);
  EXPECT_EQ(result.frame.data, frame.data);
}

TEST(Dlt645FrameTest, OversizedDataCannotBeEncoded) {
  Dlt645Frame frame;
  frame.data.assign(256, 0);
  EXPECT_FALSE(encodeDlt645(frame).has_value());
}

TEST(Dlt645FrameTest, Bcd) {
  const std::vector<std::uint8_t> voltage{0x00, 0x22};  // 220.0 V as XXX.X
  EXPECT_EQ(decodeBcd(voltage), 2200);
  EXPECT_FALSE(decodeBcd(std::vector<std::uint8_t>{0x0A}).has_value());
  EXPECT_FALSE(decodeBcd({}).has_value());
  const std::vector<std::uint8_t> negative{0x00, 0x50, 0x81};  // -1.5000 kW with sign bit
  EXPECT_EQ(decodeBcd(negative, BcdSign::SignBit), -15000);
  EXPECT_EQ(encodeBcd(-15000, 3, BcdSign::SignBit), negative);
  EXPECT_EQ(encodeBcd(12345678, 4), (std::vector<std::uint8_t>{0x78, 0x56, 0x34, 0x12}));
  EXPECT_FALSE(encodeBcd(100000000, 4).has_value());
  EXPECT_FALSE(encodeBcd(-1, 4).has_value());
  EXPECT_FALSE(encodeBcd(800000, 3, BcdSign::SignBit).has_value());
}

}  // namespace
}  // namespace prepaid::devices
