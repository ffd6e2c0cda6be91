#include "prepaid/http/password_hasher.hpp"

#include <gtest/gtest.h>

#include "prepaid/http/crypto.hpp"

namespace prepaid::backend::http {
namespace {

TEST(PasswordHasherTest, DefaultIsAtLeast600000Iterations) {
  EXPECT_GE(DefaultPbkdf2Iterations, 600'000);
  const PasswordHasher hasher;
  const auto encoded = hasher.hash("correct horse battery");
  EXPECT_TRUE(encoded.starts_with("pbkdf2-sha256$600000$"));
  EXPECT_TRUE(hasher.verify("correct horse battery", encoded));
  EXPECT_FALSE(hasher.verify("correct horse batterY", encoded));
}

TEST(PasswordHasherTest, EncodingIsTheStandardDerivation) {
  const PasswordHasher hasher(1000);
  const auto encoded = hasher.hash("secret-pass");
  // pbkdf2-sha256$1000$<salt>$<hash>: recompute independently.
  const auto salt = encoded.substr(19, 32);
  EXPECT_EQ(encoded.substr(0, 19), "pbkdf2-sha256$1000$");
  EXPECT_EQ(encoded.substr(52), toHex(pbkdf2Sha256("secret-pass", salt, 1000, 32)));
}

TEST(PasswordHasherTest, SaltsDifferAndMalformedHashesNeverVerify) {
  const PasswordHasher hasher(100);
  EXPECT_NE(hasher.hash("same-password"), hasher.hash("same-password"));
  EXPECT_FALSE(hasher.verify("x", ""));
  EXPECT_FALSE(hasher.verify("x", "pbkdf2-sha256$abc$00$00"));
  EXPECT_FALSE(hasher.verify("x", "md5$1$00$" + std::string(64, '0')));
  EXPECT_FALSE(hasher.verify("x", "pbkdf2-sha256$0$00$" + std::string(64, '0')));
}

TEST(PasswordHasherTest, WeakerHashesNeedARehash) {
  const PasswordHasher weak(100);
  const PasswordHasher strong(1000);
  const auto encoded = weak.hash("password1");
  EXPECT_TRUE(strong.needsRehash(encoded));
  EXPECT_FALSE(weak.needsRehash(encoded));
  EXPECT_TRUE(strong.verify("password1", encoded));  // old hashes still verify
}

}  // namespace
}  // namespace prepaid::backend::http
