#pragma once

// The cryptography both payment providers need, over OpenSSL 3 (EVP): SHA256withRSA (PKCS#1
// v1.5) signatures, AEAD_AES_256_GCM, Base64, X.509 certificates, random nonces. Also key and
// self-signed certificate generation, which prepaid-pay-sim uses to mint its keys at first start.
//
// Thread safety: every function is reentrant; key objects are immutable after loading and may be
// shared between threads.

#include <cstdint>
#include <expected>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace prepaid::backend::payments {

struct CryptoError {
  std::string message;  // one line, names the operation and OpenSSL's reason
};

/// Standard Base64 (RFC 4648 with padding).
[[nodiscard]] std::string base64Encode(std::string_view bytes);
/// Decodes standard Base64; refuses characters outside the alphabet and bad padding.
[[nodiscard]] std::expected<std::string, CryptoError> base64Decode(std::string_view text);

/// `length` random characters from [0-9A-Za-z] (CSPRNG), for nonces and order numbers.
[[nodiscard]] std::string randomAlnum(std::size_t length);
/// `length` random decimal digits (CSPRNG).
[[nodiscard]] std::string randomDigits(std::size_t length);
/// Lower-case hex SHA-256 of `bytes`.
[[nodiscard]] std::string sha256Hex(std::string_view bytes);
/// Constant-time comparison of two strings.
[[nodiscard]] bool constantTimeEquals(std::string_view a, std::string_view b);

class RsaPublicKey;

/// An RSA private key (PKCS#8 or traditional PEM).
class RsaPrivateKey {
 public:
  /// Loads a PEM private key; error when the text is not an RSA private key.
  [[nodiscard]] static std::expected<RsaPrivateKey, CryptoError> fromPem(std::string_view pem);
  /// A new key of `bits` bits (2048 for the providers).
  [[nodiscard]] static std::expected<RsaPrivateKey, CryptoError> generate(int bits);

  /// SHA256withRSA (RSASSA-PKCS1-v1_5) over `message`, Base64-encoded.
  [[nodiscard]] std::expected<std::string, CryptoError> signBase64(std::string_view message) const;
  /// The key as PKCS#8 PEM.
  [[nodiscard]] std::string toPem() const;
  /// The matching public key.
  [[nodiscard]] RsaPublicKey publicKey() const;

  struct Handle;

 private:
  explicit RsaPrivateKey(std::shared_ptr<Handle> handle) : m_handle(std::move(handle)) {}
  std::shared_ptr<Handle> m_handle;
  friend class Certificate;
};

/// An RSA public key.
class RsaPublicKey {
 public:
  /// Loads a SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY").
  [[nodiscard]] static std::expected<RsaPublicKey, CryptoError> fromPem(std::string_view pem);
  /// Loads Base64 DER SubjectPublicKeyInfo (Alipay's "alipay public key" as shown in its console).
  [[nodiscard]] static std::expected<RsaPublicKey, CryptoError> fromBase64Der(std::string_view b64);

  /// True when `signatureBase64` is a valid SHA256withRSA signature of `message`. Malformed
  /// Base64 or a wrong signature both give false.
  [[nodiscard]] bool verifyBase64(std::string_view message, std::string_view signatureBase64) const;
  /// SubjectPublicKeyInfo PEM.
  [[nodiscard]] std::string toPem() const;
  /// SubjectPublicKeyInfo DER as Base64 (one line).
  [[nodiscard]] std::string toBase64Der() const;

  struct Handle;

 private:
  explicit RsaPublicKey(std::shared_ptr<Handle> handle) : m_handle(std::move(handle)) {}
  std::shared_ptr<Handle> m_handle;
  friend class RsaPrivateKey;
  friend class Certificate;
};

/// An X.509 certificate (the WeChat Pay platform certificate, or a merchant certificate).
class Certificate {
 public:
  [[nodiscard]] static std::expected<Certificate, CryptoError> fromPem(std::string_view pem);
  /// A self-signed certificate for `key`, valid from now for `validDays`, subject CN=`commonName`,
  /// with a random 64-bit serial (prepaid-pay-sim's platform certificate).
  [[nodiscard]] static std::expected<Certificate, CryptoError> selfSigned(
      const RsaPrivateKey& key, const std::string& commonName, int validDays);

  /// The serial number as upper-case hex without leading zeros (the form in Wechatpay-Serial).
  [[nodiscard]] std::string serialHex() const;
  [[nodiscard]] RsaPublicKey publicKey() const;
  [[nodiscard]] std::string toPem() const;

  struct Handle;

 private:
  explicit Certificate(std::shared_ptr<Handle> handle) : m_handle(std::move(handle)) {}
  std::shared_ptr<Handle> m_handle;
};

/// AEAD_AES_256_GCM decryption as WeChat Pay APIv3 uses it: `key` 32 bytes (the APIv3 key),
/// `nonce` (12 bytes as sent), `associatedData`, `ciphertextBase64` = Base64(ciphertext || 16-byte
/// tag). Error on a wrong key length, bad Base64, or when the tag does not verify.
[[nodiscard]] std::expected<std::string, CryptoError> aes256GcmDecrypt(
    std::string_view key, std::string_view nonce, std::string_view associatedData,
    std::string_view ciphertextBase64);
/// The inverse: Base64(ciphertext || tag).
[[nodiscard]] std::expected<std::string, CryptoError> aes256GcmEncrypt(
    std::string_view key, std::string_view nonce, std::string_view associatedData,
    std::string_view plaintext);

}  // namespace prepaid::backend::payments
