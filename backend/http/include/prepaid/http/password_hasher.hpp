#pragma once

// Password (and PIN) hashing: PBKDF2-HMAC-SHA256 with a 16-byte random salt, encoded as
//   pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>
// so the iteration count can be raised later without invalidating stored hashes (a login with
// an older count re-hashes; see needsRehash()).

#include <cstdint>
#include <string>
#include <string_view>

namespace prepaid::backend::http {

/// OWASP 2023 recommendation for PBKDF2-HMAC-SHA256.
inline constexpr std::int64_t DefaultPbkdf2Iterations = 600'000;

class PasswordHasher {
 public:
  /// `iterations` >= 1 (tests use small counts; production uses the default).
  explicit PasswordHasher(std::int64_t iterations = DefaultPbkdf2Iterations)
      : m_iterations(iterations) {}

  /// A new encoded hash of `password` with a fresh salt.
  [[nodiscard]] std::string hash(std::string_view password) const;
  /// True when `password` matches `encoded` (constant-time compare); false for a malformed
  /// encoding.
  [[nodiscard]] bool verify(std::string_view password, std::string_view encoded) const;
  /// True when `encoded` uses fewer iterations than this hasher (re-hash after a good login).
  [[nodiscard]] bool needsRehash(std::string_view encoded) const;
  [[nodiscard]] std::int64_t iterations() const { return m_iterations; }

 private:
  std::int64_t m_iterations;
};

}  // namespace prepaid::backend::http
