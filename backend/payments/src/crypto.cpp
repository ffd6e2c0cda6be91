#include "prepaid/payments/crypto.hpp"

#include <array>
#include <climits>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

namespace prepaid::backend::payments {

struct RsaPrivateKey::Handle {
  EVP_PKEY* key = nullptr;
  ~Handle() { EVP_PKEY_free(key); }
};
struct RsaPublicKey::Handle {
  EVP_PKEY* key = nullptr;
  ~Handle() { EVP_PKEY_free(key); }
};
struct Certificate::Handle {
  X509* cert = nullptr;
  ~Handle() { X509_free(cert); }
};

namespace {

std::string opensslReason(std::string_view what) {
  std::string message(what);
  const unsigned long code = ERR_get_error();
  if (code != 0) {
    std::array<char, 256> buffer{};
    ERR_error_string_n(code, buffer.data(), buffer.size());
    message += ": ";
    message += buffer.data();
  }
  ERR_clear_error();
  return message;
}

std::unexpected<CryptoError> failure(std::string_view what) {
  return std::unexpected(CryptoError{opensslReason(what)});
}

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

BioPtr memoryBio(std::string_view text) {
  if (text.size() > static_cast<std::size_t>(INT_MAX)) {
    return nullptr;
  }
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string drain(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

const unsigned char* bytes(std::string_view text) {
  // OpenSSL takes unsigned char buffers; the bytes are the same.
  return reinterpret_cast<const unsigned char*>(text.data());
}

bool isRsa(EVP_PKEY* key) {
  return key != nullptr && EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA;
}

}  // namespace

std::string base64Encode(std::string_view input) {
  if (input.empty()) {
    return {};
  }
  std::string out(4 * ((input.size() + 2) / 3) + 1, '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes(input),
                                      static_cast<int>(input.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

std::expected<std::string, CryptoError> base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return std::unexpected(CryptoError{"base64: length is not a multiple of 4"});
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool alphabet = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                          (c >= '0' && c <= '9') || c == '+' || c == '/';
    const bool padding =
        c == '=' && i + 2 >= text.size() && (i + 1 == text.size() || text[i + 1] == '=');
    if (!alphabet && !padding) {
      return std::unexpected(CryptoError{"base64: invalid character"});
    }
  }
  if (text.empty()) {
    return std::string();
  }
  std::string out(text.size() / 4 * 3, '\0');
  const int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes(text),
                                      static_cast<int>(text.size()));
  if (written < 0) {
    return std::unexpected(CryptoError{"base64: malformed input"});
  }
  // EVP_DecodeBlock counts padding as zero bytes; drop them.
  std::size_t size = static_cast<std::size_t>(written);
  if (text.ends_with("==")) {
    size -= 2;
  } else if (text.ends_with("=")) {
    size -= 1;
  }
  out.resize(size);
  return out;
}

namespace {

std::string randomFrom(std::string_view alphabet, std::size_t length) {
  std::string out;
  out.reserve(length);
  // Rejection sampling keeps the distribution uniform.
  const auto limit = static_cast<unsigned char>(256 - 256 % alphabet.size());
  while (out.size() < length) {
    std::array<unsigned char, 64> buffer{};
    if (RAND_bytes(buffer.data(), static_cast<int>(buffer.size())) != 1) {
      continue;
    }
    for (const unsigned char b : buffer) {
      if (b < limit && out.size() < length) {
        out.push_back(alphabet[b % alphabet.size()]);
      }
    }
  }
  return out;
}

}  // namespace

std::string randomAlnum(std::size_t length) {
  return randomFrom("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", length);
}

std::string randomDigits(std::size_t length) {
  return randomFrom("0123456789", length);
}

std::string sha256Hex(std::string_view input) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_Digest(input.data(), input.size(), digest.data(), &size, EVP_sha256(), nullptr);
  static constexpr std::string_view Hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out.push_back(Hex[digest[i] >> 4U]);
    out.push_back(Hex[digest[i] & 0x0FU]);
  }
  return out;
}

bool constantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// [SECTION] RSA

std::expected<RsaPrivateKey, CryptoError> RsaPrivateKey::fromPem(std::string_view pem) {
  auto bio = memoryBio(pem);
  if (!bio) {
    return failure("private key: too large");
  }
  auto handle = std::make_shared<Handle>();
  handle->key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (!isRsa(handle->key)) {
    return failure("private key: not an RSA private key in PEM");
  }
  return RsaPrivateKey(std::move(handle));
}

std::expected<RsaPrivateKey, CryptoError> RsaPrivateKey::generate(int bits) {
  auto handle = std::make_shared<Handle>();
  handle->key = EVP_RSA_gen(static_cast<unsigned int>(bits));
  if (handle->key == nullptr) {
    return failure("RSA key generation");
  }
  return RsaPrivateKey(std::move(handle));
}

std::expected<std::string, CryptoError> RsaPrivateKey::signBase64(std::string_view message) const {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, m_handle->key) != 1 ||
      EVP_DigestSignUpdate(ctx.get(), message.data(), message.size()) != 1) {
    return failure("RSA sign: init");
  }
  std::size_t size = 0;
  if (EVP_DigestSignFinal(ctx.get(), nullptr, &size) != 1) {
    return failure("RSA sign: size");
  }
  std::string signature(size, '\0');
  if (EVP_DigestSignFinal(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size) !=
      1) {
    return failure("RSA sign");
  }
  signature.resize(size);
  return base64Encode(signature);
}

std::string RsaPrivateKey::toPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), m_handle->key, nullptr, nullptr, 0, nullptr, nullptr);
  return drain(bio.get());
}

RsaPublicKey RsaPrivateKey::publicKey() const {
  // Round trip through DER so the public object holds no private material.
  unsigned char* der = nullptr;
  const int size = i2d_PUBKEY(m_handle->key, &der);
  auto handle = std::make_shared<RsaPublicKey::Handle>();
  const unsigned char* cursor = der;
  handle->key = d2i_PUBKEY(nullptr, &cursor, size);
  OPENSSL_free(der);
  return RsaPublicKey(std::move(handle));
}

std::expected<RsaPublicKey, CryptoError> RsaPublicKey::fromPem(std::string_view pem) {
  auto bio = memoryBio(pem);
  if (!bio) {
    return failure("public key: too large");
  }
  auto handle = std::make_shared<Handle>();
  handle->key = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (!isRsa(handle->key)) {
    return failure("public key: not an RSA public key in PEM");
  }
  return RsaPublicKey(std::move(handle));
}

std::expected<RsaPublicKey, CryptoError> RsaPublicKey::fromBase64Der(std::string_view b64) {
  auto der = base64Decode(b64);
  if (!der) {
    return std::unexpected(der.error());
  }
  auto handle = std::make_shared<Handle>();
  const unsigned char* cursor = bytes(*der);
  handle->key = d2i_PUBKEY(nullptr, &cursor, static_cast<long>(der->size()));
  if (!isRsa(handle->key)) {
    return failure("public key: not an RSA SubjectPublicKeyInfo");
  }
  return RsaPublicKey(std::move(handle));
}

bool RsaPublicKey::verifyBase64(std::string_view message, std::string_view signatureBase64) const {
  auto signature = base64Decode(signatureBase64);
  if (!signature || signature->empty()) {
    return false;
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  const bool ok =
      ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, m_handle->key) == 1 &&
      EVP_DigestVerifyUpdate(ctx.get(), message.data(), message.size()) == 1 &&
      EVP_DigestVerifyFinal(ctx.get(), bytes(*signature), signature->size()) == 1;
  ERR_clear_error();
  return ok;
}

std::string RsaPublicKey::toPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), m_handle->key);
  return drain(bio.get());
}

std::string RsaPublicKey::toBase64Der() const {
  unsigned char* der = nullptr;
  const int size = i2d_PUBKEY(m_handle->key, &der);
  std::string out = size > 0 ? base64Encode(std::string_view(reinterpret_cast<const char*>(der),
                                                             static_cast<std::size_t>(size)))
                             : std::string();
  OPENSSL_free(der);
  return out;
}

// [SECTION] certificates

std::expected<Certificate, CryptoError> Certificate::fromPem(std::string_view pem) {
  auto bio = memoryBio(pem);
  if (!bio) {
    return failure("certificate: too large");
  }
  auto handle = std::make_shared<Handle>();
  handle->cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
  if (handle->cert == nullptr) {
    return failure("certificate: not an X.509 certificate in PEM");
  }
  return Certificate(std::move(handle));
}

std::expected<Certificate, CryptoError> Certificate::selfSigned(const RsaPrivateKey& key,
                                                                const std::string& commonName,
                                                                int validDays) {
  auto handle = std::make_shared<Handle>();
  handle->cert = X509_new();
  X509* cert = handle->cert;
  if (cert == nullptr) {
    return failure("certificate: allocation");
  }
  X509_set_version(cert, 2);
  std::unique_ptr<BIGNUM, decltype(&BN_free)> serial(BN_new(), BN_free);
  if (!serial || BN_rand(serial.get(), 63, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert)) == nullptr) {
    return failure("certificate: serial");
  }
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), static_cast<long>(validDays) * 86400L);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(commonName.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  if (X509_set_pubkey(cert, key.m_handle->key) != 1 ||
      X509_sign(cert, key.m_handle->key, EVP_sha256()) == 0) {
    return failure("certificate: sign");
  }
  return Certificate(std::move(handle));
}

std::string Certificate::serialHex() const {
  std::unique_ptr<BIGNUM, decltype(&BN_free)> serial(
      ASN1_INTEGER_to_BN(X509_get0_serialNumber(m_handle->cert), nullptr), BN_free);
  if (!serial) {
    return {};
  }
  char* hex = BN_bn2hex(serial.get());
  std::string out = hex != nullptr ? hex : "";
  OPENSSL_free(hex);
  return out;
}

RsaPublicKey Certificate::publicKey() const {
  auto handle = std::make_shared<RsaPublicKey::Handle>();
  handle->key = X509_get_pubkey(m_handle->cert);
  return RsaPublicKey(std::move(handle));
}

std::string Certificate::toPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), m_handle->cert);
  return drain(bio.get());
}

// [SECTION] AES-256-GCM

namespace {

constexpr std::size_t GcmTagBytes = 16;

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

std::expected<CipherCtx, CryptoError> gcmContext(std::string_view key, std::string_view nonce,
                                                 int encrypt) {
  if (key.size() != 32) {
    return std::unexpected(CryptoError{"AES-256-GCM: the key must be 32 bytes"});
  }
  if (nonce.empty() || nonce.size() > 64) {
    return std::unexpected(CryptoError{"AES-256-GCM: nonce must be 1..64 bytes"});
  }
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  if (!ctx ||
      EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr, encrypt) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()),
                          nullptr) != 1 ||
      EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, bytes(key), bytes(nonce), encrypt) != 1) {
    return failure("AES-256-GCM: init");
  }
  return ctx;
}

bool addAad(EVP_CIPHER_CTX* ctx, std::string_view aad) {
  int ignored = 0;
  return aad.empty() ||
         EVP_CipherUpdate(ctx, nullptr, &ignored, bytes(aad), static_cast<int>(aad.size())) == 1;
}

}  // namespace

std::expected<std::string, CryptoError> aes256GcmDecrypt(std::string_view key,
                                                         std::string_view nonce,
                                                         std::string_view associatedData,
                                                         std::string_view ciphertextBase64) {
  auto sealed = base64Decode(ciphertextBase64);
  if (!sealed) {
    return std::unexpected(CryptoError{"AES-256-GCM: ciphertext " + sealed.error().message});
  }
  if (sealed->size() < GcmTagBytes) {
    return std::unexpected(CryptoError{"AES-256-GCM: ciphertext shorter than the tag"});
  }
  auto ctx = gcmContext(key, nonce, 0);
  if (!ctx) {
    return std::unexpected(ctx.error());
  }
  const std::size_t bodySize = sealed->size() - GcmTagBytes;
  std::string plain(bodySize + GcmTagBytes, '\0');
  int written = 0;
  if (!addAad(ctx->get(), associatedData) ||
      EVP_CipherUpdate(ctx->get(), reinterpret_cast<unsigned char*>(plain.data()), &written,
                       bytes(*sealed), static_cast<int>(bodySize)) != 1) {
    return failure("AES-256-GCM: decrypt");
  }
  std::string tag = sealed->substr(bodySize);
  int tail = 0;
  if (EVP_CIPHER_CTX_ctrl(ctx->get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(GcmTagBytes),
                          tag.data()) != 1 ||
      EVP_CipherFinal_ex(ctx->get(), reinterpret_cast<unsigned char*>(plain.data()) + written,
                         &tail) != 1) {
    ERR_clear_error();
    return std::unexpected(CryptoError{"AES-256-GCM: authentication tag does not verify"});
  }
  plain.resize(static_cast<std::size_t>(written + tail));
  return plain;
}

std::expected<std::string, CryptoError> aes256GcmEncrypt(std::string_view key,
                                                         std::string_view nonce,
                                                         std::string_view associatedData,
                                                         std::string_view plaintext) {
  auto ctx = gcmContext(key, nonce, 1);
  if (!ctx) {
    return std::unexpected(ctx.error());
  }
  std::string sealed(plaintext.size() + GcmTagBytes, '\0');
  int written = 0;
  int tail = 0;
  if (!addAad(ctx->get(), associatedData) ||
      EVP_CipherUpdate(ctx->get(), reinterpret_cast<unsigned char*>(sealed.data()), &written,
                       bytes(plaintext), static_cast<int>(plaintext.size())) != 1 ||
      EVP_CipherFinal_ex(ctx->get(), reinterpret_cast<unsigned char*>(sealed.data()) + written,
                         &tail) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx->get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(GcmTagBytes),
                          sealed.data() + written + tail) != 1) {
    return failure("AES-256-GCM: encrypt");
  }
  sealed.resize(static_cast<std::size_t>(written + tail) + GcmTagBytes);
  return base64Encode(sealed);
}

}  // namespace prepaid::backend::payments
