#include "prepaid/secure/command_mac.hpp"

#include <algorithm>
#include <memory>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

namespace prepaid::devices {

namespace {

struct MacDeleter {
  void operator()(EVP_MAC* mac) const { EVP_MAC_free(mac); }
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
  void operator()(EVP_CIPHER* cipher) const { EVP_CIPHER_free(cipher); }
};

void putU32(std::uint8_t* out, std::uint32_t value) {
  out[0] = static_cast<std::uint8_t>(value >> 24);
  out[1] = static_cast<std::uint8_t>(value >> 16);
  out[2] = static_cast<std::uint8_t>(value >> 8);
  out[3] = static_cast<std::uint8_t>(value);
}

// One ECB block operation with a 3DES key schedule. Single DES is E_K1 = EDE3(K1,K1,K1), which
// keeps us in OpenSSL 3's default provider (plain DES lives only in the legacy provider).
bool ecbEncrypt(const char* cipherName, std::span<const std::uint8_t> key,
                const std::array<std::uint8_t, 8>& in, std::array<std::uint8_t, 8>& out) {
  std::unique_ptr<EVP_CIPHER, MacDeleter> cipher(EVP_CIPHER_fetch(nullptr, cipherName, nullptr));
  std::unique_ptr<EVP_CIPHER_CTX, MacDeleter> ctx(EVP_CIPHER_CTX_new());
  if (!cipher || !ctx) {
    return false;
  }
  if (EVP_EncryptInit_ex2(ctx.get(), cipher.get(), key.data(), nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1) {
    return false;
  }
  int outLen = 0;
  if (EVP_EncryptUpdate(ctx.get(), out.data(), &outLen, in.data(), 8) != 1 || outLen != 8) {
    return false;
  }
  int finalLen = 0;
  return EVP_EncryptFinal_ex(ctx.get(), out.data() + outLen, &finalLen) == 1 && finalLen == 0;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

}  // namespace

std::expected<std::array<std::uint8_t, MacInputSize>, MacError> macInput(const MacFields& fields) {
  if (fields.meterAddress > MaxMeterAddress) {
    return std::unexpected(MacError::BadAddress);
  }
  std::array<std::uint8_t, MacInputSize> out{};
  std::uint64_t rest = fields.meterAddress;
  for (int i = 5; i >= 0; --i) {
    const auto low = static_cast<std::uint8_t>(rest % 10);
    rest /= 10;
    const auto high = static_cast<std::uint8_t>(rest % 10);
    rest /= 10;
    out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>((high << 4) | low);
  }
  out[6] = static_cast<std::uint8_t>(fields.kind);
  putU32(&out[7], fields.purchaseCount);
  putU32(&out[11], fields.amountFenOrCode);
  putU32(&out[15], fields.timeUnixSeconds);
  return out;
}

std::expected<std::array<std::uint8_t, 16>, MacError> aesCmac(
    const MacKey& key, std::span<const std::uint8_t> message) {
  std::unique_ptr<EVP_MAC, MacDeleter> mac(EVP_MAC_fetch(nullptr, "CMAC", nullptr));
  if (!mac) {
    return std::unexpected(MacError::Crypto);
  }
  std::unique_ptr<EVP_MAC_CTX, MacDeleter> ctx(EVP_MAC_CTX_new(mac.get()));
  if (!ctx) {
    return std::unexpected(MacError::Crypto);
  }
  char cipherName[] = "AES-128-CBC";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipherName, 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(ctx.get(), key.data(), key.size(), params) != 1 ||
      EVP_MAC_update(ctx.get(), message.data(), message.size()) != 1) {
    return std::unexpected(MacError::Crypto);
  }
  std::array<std::uint8_t, 16> out{};
  std::size_t outLen = 0;
  if (EVP_MAC_final(ctx.get(), out.data(), &outLen, out.size()) != 1 || outLen != out.size()) {
    return std::unexpected(MacError::Crypto);
  }
  return out;
}

std::expected<std::array<std::uint8_t, 8>, MacError> tripleDesRetailMac(
    const MacKey& key, std::span<const std::uint8_t> message) {
  // ISO/IEC 9797-1 padding method 2: always append 0x80, then zeros to a block boundary.
  std::vector<std::uint8_t> padded(message.begin(), message.end());
  padded.push_back(0x80);
  while (padded.size() % 8 != 0) {
    padded.push_back(0x00);
  }
  std::array<std::uint8_t, 24> singleKey{};  // K1 K1 K1
  for (std::size_t i = 0; i < 24; ++i) {
    singleKey[i] = key[i % 8];
  }
  std::array<std::uint8_t, 8> chain{};
  const std::size_t blocks = padded.size() / 8;
  for (std::size_t b = 0; b < blocks; ++b) {
    std::array<std::uint8_t, 8> in{};
    for (std::size_t i = 0; i < 8; ++i) {
      in[i] = static_cast<std::uint8_t>(chain[i] ^ padded[b * 8 + i]);
    }
    // Every block but the last with single DES under K1; the last with 2-key EDE (K1,K2,K1),
    // which equals the standard's final "decrypt with K2, encrypt with K1".
    const bool last = (b + 1 == blocks);
    const bool ok = last ? ecbEncrypt("DES-EDE-ECB", std::span(key), in, chain)
                         : ecbEncrypt("DES-EDE3-ECB", std::span(singleKey), in, chain);
    if (!ok) {
      return std::unexpected(MacError::Crypto);
    }
  }
  return chain;
}

std::expected<CommandMac, MacError> computeCommandMac(MacAlgorithm algorithm, const MacKey& key,
                                                      const MacFields& fields) {
  const auto input = macInput(fields);
  if (!input) {
    return std::unexpected(input.error());
  }
  CommandMac out{};
  if (algorithm == MacAlgorithm::AesCmac) {
    const auto tag = aesCmac(key, *input);
    if (!tag) {
      return std::unexpected(tag.error());
    }
    std::copy(tag->begin(), tag->end(), out.begin());
  } else {
    const auto tag = tripleDesRetailMac(key, *input);
    if (!tag) {
      return std::unexpected(tag.error());
    }
    std::copy(tag->begin(), tag->end(), out.begin());  // bytes 8..15 stay zero
  }
  return out;
}

bool verifyCommandMac(MacAlgorithm algorithm, const MacKey& key, const MacFields& fields,
                      const CommandMac& received) {
  const auto expected = computeCommandMac(algorithm, key, fields);
  if (!expected) {
    return false;
  }
  return CRYPTO_memcmp(expected->data(), received.data(), received.size()) == 0;
}

std::expected<MacKey, MacError> parseMacKey(std::string_view hex) {
  MacKey key{};
  if (hex.size() != key.size() * 2) {
    return std::unexpected(MacError::BadKey);
  }
  for (std::size_t i = 0; i < key.size(); ++i) {
    const int high = hexValue(hex[2 * i]);
    const int low = hexValue(hex[2 * i + 1]);
    if (high < 0 || low < 0) {
      return std::unexpected(MacError::BadKey);
    }
    key[i] = static_cast<std::uint8_t>((high << 4) | low);
  }
  return key;
}

std::string_view toString(MacAlgorithm algorithm) {
  switch (algorithm) {
    case MacAlgorithm::AesCmac:
      return "aes-cmac";
    case MacAlgorithm::TripleDesRetail:
      return "3des-retail";
  }
  return "unknown";
}

std::expected<MacAlgorithm, MacError> parseMacAlgorithm(std::string_view name) {
  for (const auto algorithm : {MacAlgorithm::AesCmac, MacAlgorithm::TripleDesRetail}) {
    if (toString(algorithm) == name) {
      return algorithm;
    }
  }
  return std::unexpected(MacError::UnknownAlgorithm);
}

std::string_view toString(MacError error) {
  switch (error) {
    case MacError::BadAddress:
      return "meter address has more than 12 decimal digits";
    case MacError::BadKey:
      return "key must be 32 hex digits (16 bytes)";
    case MacError::Crypto:
      return "OpenSSL MAC computation failed";
    case MacError::UnknownAlgorithm:
      return "unknown MAC algorithm (expected aes-cmac or 3des-retail)";
  }
  return "unknown error";
}

}  // namespace prepaid::devices
