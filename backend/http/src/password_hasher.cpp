#include "prepaid/http/password_hasher.hpp"

#include <charconv>
#include <optional>
#include <vector>

#include "prepaid/http/crypto.hpp"

namespace prepaid::backend::http {

namespace {

constexpr std::string_view Scheme = "pbkdf2-sha256";
constexpr std::size_t SaltBytes = 16;
constexpr std::size_t HashBytes = 32;

struct Encoded {
  std::int64_t iterations = 0;
  std::string salt;  // hex, used verbatim as the salt bytes' text form
  std::string hash;  // hex
};

std::optional<Encoded> decode(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const auto end = text.find('$', start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) {
      break;
    }
    start = end + 1;
  }
  if (parts.size() != 4 || parts[0] != Scheme || parts[2].empty() ||
      parts[3].size() != HashBytes * 2) {
    return std::nullopt;
  }
  Encoded encoded;
  const auto [ptr, ec] =
      std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), encoded.iterations);
  if (ec != std::errc{} || ptr != parts[1].data() + parts[1].size() || encoded.iterations < 1) {
    return std::nullopt;
  }
  encoded.salt = parts[2];
  encoded.hash = parts[3];
  return encoded;
}

}  // namespace

std::string PasswordHasher::hash(std::string_view password) const {
  const auto salt = randomHex(SaltBytes);
  const auto derived = pbkdf2Sha256(password, salt, m_iterations, HashBytes);
  return std::string(Scheme) + "$" + std::to_string(m_iterations) + "$" + salt + "$" +
         toHex(derived);
}

bool PasswordHasher::verify(std::string_view password, std::string_view encoded) const {
  const auto parsed = decode(encoded);
  if (!parsed) {
    return false;
  }
  const auto derived = pbkdf2Sha256(password, parsed->salt, parsed->iterations, HashBytes);
  if (derived.empty()) {
    return false;
  }
  return constantTimeEquals(toHex(derived), parsed->hash);
}

bool PasswordHasher::needsRehash(std::string_view encoded) const {
  const auto parsed = decode(encoded);
  return !parsed || parsed->iterations < m_iterations;
}

}  // namespace prepaid::backend::http
