#include "prepaid/http/crypto.hpp"

#include <cstdlib>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

namespace prepaid::backend::http {

std::string toHex(const std::vector<std::uint8_t>& bytes) {
  static constexpr char Digits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (const auto byte : bytes) {
    hex += Digits[byte >> 4];
    hex += Digits[byte & 0x0f];
  }
  return hex;
}

std::string sha256Hex(std::string_view data) {
  std::vector<std::uint8_t> digest(SHA256_DIGEST_LENGTH);
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data());
  return toHex(digest);
}

std::string randomHex(std::size_t bytes) {
  std::vector<std::uint8_t> buffer(bytes);
  if (RAND_bytes(buffer.data(), static_cast<int>(buffer.size())) != 1) {
    // A token from a failed RNG would be guessable: stopping is the only safe answer.
    std::abort();
  }
  return toHex(buffer);
}

std::vector<std::uint8_t> pbkdf2Sha256(std::string_view password, std::string_view salt,
                                       std::int64_t iterations, std::size_t length) {
  if (iterations < 1 || iterations > 100'000'000 || length == 0) {
    return {};
  }
  std::vector<std::uint8_t> out(length);
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha256(),
                        static_cast<int>(length), out.data()) != 1) {
    return {};
  }
  return out;
}

bool constantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace prepaid::backend::http
