#pragma once

// The few cryptographic primitives the HTTP layer needs, all from OpenSSL: SHA-256, a CSPRNG,
// PBKDF2-HMAC-SHA256 and a constant-time comparison.

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace prepaid::backend::http {

/// Lower-case hex SHA-256 of `data`.
[[nodiscard]] std::string sha256Hex(std::string_view data);

/// `bytes` random bytes from OpenSSL's CSPRNG as lower-case hex (2 * bytes characters). Throws
/// nothing; an RNG failure (never seen in practice) aborts the process rather than hand out a
/// predictable token.
[[nodiscard]] std::string randomHex(std::size_t bytes);

/// PBKDF2-HMAC-SHA256 (RFC 8018) of `password` and `salt`, `iterations` rounds, `length` bytes.
/// Empty on an OpenSSL failure (iterations < 1, length 0).
[[nodiscard]] std::vector<std::uint8_t> pbkdf2Sha256(std::string_view password,
                                                     std::string_view salt, std::int64_t iterations,
                                                     std::size_t length);

/// Lower-case hex of bytes.
[[nodiscard]] std::string toHex(const std::vector<std::uint8_t>& bytes);

/// Compares two strings in time that depends only on their lengths.
[[nodiscard]] bool constantTimeEquals(std::string_view a, std::string_view b);

}  // namespace prepaid::backend::http
