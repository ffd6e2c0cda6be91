#include "prepaid/secure/command_mac.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace prepaid::devices {
namespace {

std::vector<std::uint8_t> fromHex(std::string_view hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

template <std::size_t N>
std::string toHex(const std::array<std::uint8_t, N>& bytes) {
  static constexpr char Digits[] = "0123456789abcdef";
  std::string out;
  for (const auto b : bytes) {
    out.push_back(Digits[b >> 4]);
    out.push_back(Digits[b & 0x0f]);
  }
  return out;
}

// RFC 4493 section 4, key 2b7e1516 28aed2a6 abf71588 09cf4f3c.
const MacKey RfcKey = *parseMacKey("2b7e151628aed2a6abf7158809cf4f3c");
constexpr std::string_view RfcMessage =
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";

TEST(CommandMacTest, Rfc4493Example1EmptyMessage) {
  const auto tag = aesCmac(RfcKey, {});
  ASSERT_TRUE(tag.has_value());
  EXPECT_EQ(toHex(*tag), "bb1d6929e95937287fa37d129b756746");
}

TEST(CommandMacTest, Rfc4493Example2SixteenBytes) {
  const auto msg = fromHex(RfcMessage.substr(0, 32));
  const auto tag = aesCmac(RfcKey, msg);
  ASSERT_TRUE(tag.has_value());
  EXPECT_EQ(toHex(*tag), "070a16b46b4d4144f79bdd9dd04a287c");
}

TEST(CommandMacTest, Rfc4493Example3FortyBytes) {
  const auto msg = fromHex(RfcMessage.substr(0, 80));
  const auto tag = aesCmac(RfcKey, msg);
  ASSERT_TRUE(tag.has_value());
  EXPECT_EQ(toHex(*tag), "dfa66747de9ae63030ca32611497c827");
}

TEST(CommandMacTest, Rfc4493Example4SixtyFourBytes) {
  const auto msg = fromHex(RfcMessage);
  const auto tag = aesCmac(RfcKey, msg);
  ASSERT_TRUE(tag.has_value());
  EXPECT_EQ(toHex(*tag), "51f0bebf7e3b9d92fc49741779363cfe");
}

// ISO/IEC 9797-1 algorithm 3 example: key 0123456789ABCDEF FEDCBA9876543210 over
// "Now is the time for all " with padding method 2 (one whole 0x80 00.. block appended).
// Expected value computed independently with the openssl CLI (legacy provider, see README).
TEST(CommandMacTest, RetailMacKnownVector) {
  const auto key = *parseMacKey("0123456789abcdeffedcba9876543210");
  const std::string_view text = "Now is the time for all ";
  const std::vector<std::uint8_t> msg(text.begin(), text.end());
  const auto tag = tripleDesRetailMac(key, msg);
  ASSERT_TRUE(tag.has_value());
  EXPECT_EQ(toHex(*tag), "e9086230ca3be796");
}

TEST(CommandMacTest, MacInputLayoutIsTheDocumentedContract) {
  const MacFields fields{.meterAddress = 123456789012,
                         .kind = CommandKind::Recharge,
                         .purchaseCount = 7,
                         .amountFenOrCode = 10000,
                         .timeUnixSeconds = 0x01020304};
  const auto input = macInput(fields);
  ASSERT_TRUE(input.has_value());
  EXPECT_EQ(toHex(*input), "12345678901201000000070000271001020304");
}

TEST(CommandMacTest, AddressBeyondTwelveDigitsIsRejected) {
  MacFields fields;
  fields.meterAddress = MaxMeterAddress + 1;
  EXPECT_EQ(macInput(fields).error(), MacError::BadAddress);
  EXPECT_EQ(computeCommandMac(MacAlgorithm::AesCmac, RfcKey, fields).error(), MacError::BadAddress);
}

TEST(CommandMacTest, VerifyAcceptsOwnMacAndRejectsAnyChange) {
  for (const auto algorithm : {MacAlgorithm::AesCmac, MacAlgorithm::TripleDesRetail}) {
    MacFields fields{.meterAddress = 17,
                     .kind = CommandKind::Recharge,
                     .purchaseCount = 3,
                     .amountFenOrCode = 5000,
                     .timeUnixSeconds = 1700000000};
    const auto mac = computeCommandMac(algorithm, RfcKey, fields);
    ASSERT_TRUE(mac.has_value());
    EXPECT_TRUE(verifyCommandMac(algorithm, RfcKey, fields, *mac));
    auto other = fields;
    other.amountFenOrCode = 5001;
    EXPECT_FALSE(verifyCommandMac(algorithm, RfcKey, other, *mac));
    other = fields;
    other.kind = CommandKind::Control;
    EXPECT_FALSE(verifyCommandMac(algorithm, RfcKey, other, *mac));
    auto tampered = *mac;
    tampered[0] ^= 0x01;
    EXPECT_FALSE(verifyCommandMac(algorithm, RfcKey, fields, tampered));
    auto otherKey = RfcKey;
    otherKey[15] ^= 0x80;
    EXPECT_FALSE(verifyCommandMac(algorithm, otherKey, fields, *mac));
  }
}

TEST(CommandMacTest, RetailMacFillsOnlyTheFirstEightBytes) {
  const MacFields fields{.meterAddress = 1, .kind = CommandKind::Control};
  const auto mac = computeCommandMac(MacAlgorithm::TripleDesRetail, RfcKey, fields);
  ASSERT_TRUE(mac.has_value());
  for (std::size_t i = 8; i < CommandMacSize; ++i) {
    EXPECT_EQ((*mac)[i], 0) << i;
  }
}

TEST(CommandMacTest, KeyAndAlgorithmParsing) {
  EXPECT_EQ(parseMacKey("00").error(), MacError::BadKey);
  EXPECT_EQ(parseMacKey("zz7e151628aed2a6abf7158809cf4f3c").error(), MacError::BadKey);
  EXPECT_TRUE(parseMacKey("2B7E151628AED2A6ABF7158809CF4F3C").has_value());
  EXPECT_EQ(parseMacAlgorithm("aes-cmac").value(), MacAlgorithm::AesCmac);
  EXPECT_EQ(parseMacAlgorithm("3des-retail").value(), MacAlgorithm::TripleDesRetail);
  EXPECT_EQ(parseMacAlgorithm("des").error(), MacError::UnknownAlgorithm);
}

}  // namespace
}  // namespace prepaid::devices
