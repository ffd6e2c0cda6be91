#include "prepaid/http/crypto.hpp"

#include <set>

#include <gtest/gtest.h>

namespace prepaid::backend::http {
namespace {

TEST(CryptoTest, Sha256KnownVectors) {
  // FIPS 180-2 examples.
  EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(CryptoTest, Pbkdf2HmacSha256KnownVectors) {
  // Published PBKDF2-HMAC-SHA256 vectors (RFC 6070 inputs, SHA-256), and RFC 7914 section 11.
  EXPECT_EQ(toHex(pbkdf2Sha256("password", "salt", 1, 32)),
            "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b");
  EXPECT_EQ(toHex(pbkdf2Sha256("password", "salt", 4096, 32)),
            "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a");
  EXPECT_EQ(toHex(pbkdf2Sha256("passwd", "salt", 1, 64)),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
            "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
  EXPECT_TRUE(pbkdf2Sha256("x", "y", 0, 32).empty());
}

TEST(CryptoTest, RandomHexIsFreshAndConstantTimeCompareWorks) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const auto token = randomHex(16);
    EXPECT_EQ(token.size(), 32u);
    EXPECT_TRUE(seen.insert(token).second);
  }
  EXPECT_TRUE(constantTimeEquals("abc", "abc"));
  EXPECT_FALSE(constantTimeEquals("abc", "abd"));
  EXPECT_FALSE(constantTimeEquals("abc", "abcd"));
}

}  // namespace
}  // namespace prepaid::backend::http
