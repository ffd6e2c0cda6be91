#include "prepaid/payments/crypto.hpp"

#include "test_support.hpp"
#include <gtest/gtest.h>

namespace prepaid::backend::payments {
namespace {

TEST(Crypto, AesGcmDecryptsTheWechatPaySdkVector) {
  // Official WeChat Pay Java SDK test vector (AesUtilTest).
  auto plain = aes256GcmDecrypt("a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb", "uluk4a9R25RW",
                                "associatedData", "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=");
  ASSERT_TRUE(plain.has_value()) << plain.error().message;
  EXPECT_EQ(*plain, "message");
}

TEST(Crypto, AesGcmEncryptReproducesTheVector) {
  auto sealed = aes256GcmEncrypt("a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb", "uluk4a9R25RW",
                                 "associatedData", "message");
  ASSERT_TRUE(sealed.has_value());
  EXPECT_EQ(*sealed, "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=");
}

TEST(Crypto, AesGcmRefusesTamperingWrongKeyAndWrongAad) {
  const std::string key = "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb";
  EXPECT_FALSE(
      aes256GcmDecrypt(key, "uluk4a9R25RW", "associatedDatX", "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI="));
  EXPECT_FALSE(aes256GcmDecrypt("b7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb", "uluk4a9R25RW",
                                "associatedData", "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI="));
  EXPECT_FALSE(
      aes256GcmDecrypt(key, "uluk4a9R25RW", "associatedData", "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwA="));
  EXPECT_FALSE(aes256GcmDecrypt("short", "uluk4a9R25RW", "associatedData",
                                "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI="));
  EXPECT_FALSE(aes256GcmDecrypt(key, "uluk4a9R25RW", "associatedData", "not base64!"));
  EXPECT_FALSE(aes256GcmDecrypt(key, "uluk4a9R25RW", "associatedData", "AAAA"));  // < tag
}

TEST(Crypto, Base64RoundTripAndStrictness) {
  EXPECT_EQ(base64Encode("message"), "bWVzc2FnZQ==");
  EXPECT_EQ(base64Decode("bWVzc2FnZQ==").value(), "message");
  EXPECT_EQ(base64Decode("bWVzc2FnZQ=").has_value(), false);
  EXPECT_EQ(base64Decode("bW=zc2FnZQ==").has_value(), false);
  EXPECT_EQ(base64Decode("").value(), "");
  const std::string binary("\x00\xff\x10\x80", 4);
  EXPECT_EQ(base64Decode(base64Encode(binary)).value(), binary);
}

TEST(Crypto, SignatureMatchesTheOpensslCommandLineVector) {
  auto key = RsaPrivateKey::fromPem(test::fixture("merchant_key.pem"));
  ASSERT_TRUE(key.has_value()) << key.error().message;
  const std::string message = test::fixture("wechat_request_message.txt");
  auto signature = key->signBase64(message);
  ASSERT_TRUE(signature.has_value());
  EXPECT_EQ(*signature, test::fixture("wechat_request_signature.b64"));
  auto publicKey = RsaPublicKey::fromPem(test::fixture("merchant_public.pem"));
  ASSERT_TRUE(publicKey.has_value());
  EXPECT_TRUE(publicKey->verifyBase64(message, *signature));
  EXPECT_FALSE(publicKey->verifyBase64(message + " ", *signature));
}

TEST(Crypto, GeneratedKeysRoundTripThroughPemAndDer) {
  auto key = RsaPrivateKey::generate(2048);
  ASSERT_TRUE(key.has_value());
  auto reloaded = RsaPrivateKey::fromPem(key->toPem());
  ASSERT_TRUE(reloaded.has_value());
  auto signature = reloaded->signBase64("hello");
  ASSERT_TRUE(signature.has_value());
  auto fromDer = RsaPublicKey::fromBase64Der(key->publicKey().toBase64Der());
  ASSERT_TRUE(fromDer.has_value());
  EXPECT_TRUE(fromDer->verifyBase64("hello", *signature));
  auto other = RsaPrivateKey::generate(2048);
  EXPECT_FALSE(other->publicKey().verifyBase64("hello", *signature));
  EXPECT_FALSE(fromDer->verifyBase64("hello", "garbage"));
}

TEST(Crypto, SelfSignedCertificateCarriesKeyAndSerial) {
  auto key = RsaPrivateKey::generate(2048);
  auto cert = Certificate::selfSigned(*key, "test platform", 1);
  ASSERT_TRUE(cert.has_value());
  auto reloaded = Certificate::fromPem(cert->toPem());
  ASSERT_TRUE(reloaded.has_value());
  EXPECT_EQ(reloaded->serialHex(), cert->serialHex());
  EXPECT_FALSE(cert->serialHex().empty());
  auto signature = key->signBase64("x");
  EXPECT_TRUE(reloaded->publicKey().verifyBase64("x", *signature));
  EXPECT_FALSE(Certificate::fromPem("not a certificate").has_value());
  EXPECT_FALSE(
      RsaPrivateKey::fromPem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
          .has_value());
}

TEST(Crypto, RandomTokensUseTheirAlphabet) {
  const std::string digits = randomDigits(40);
  EXPECT_EQ(digits.size(), 40U);
  EXPECT_EQ(digits.find_first_not_of("0123456789"), std::string::npos);
  EXPECT_NE(randomAlnum(32), randomAlnum(32));
}

}  // namespace
}  // namespace prepaid::backend::payments
