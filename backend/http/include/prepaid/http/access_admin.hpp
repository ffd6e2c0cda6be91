#pragma once

// Administration of staff access outside HTTP (prepaidctl init / operator add, tests, the demo):
// built-in roles, operators, kiosk keys. Every change is written to the audit log with the given
// actor ("prepaidctl", …).

#include <cstdint>
#include <expected>
#include <string>

#include "prepaid/http/password_hasher.hpp"
#include "prepaid/store/operator_repository.hpp"
#include "prepaid/store/store.hpp"

namespace prepaid::backend::http {

/// Creates the built-in roles that do not exist yet (by name); returns how many were created.
/// An existing `admin` role is given any permission it lacks (one added by a later version, e.g.
/// tariffs.manage), audited as role.update: admin means every permission.
[[nodiscard]] std::expected<std::int64_t, store::StoreError> ensureBuiltinRoles(
    store::Store& store, domain::Instant now, const std::string& actor);

/// Creates an operator with role `roleName`. Passwords must be 8..128 bytes (InvalidArgument);
/// Duplicate for a username taken; NotFound for an unknown role.
[[nodiscard]] std::expected<store::Operator, store::StoreError> createOperator(
    store::Store& store, const PasswordHasher& hasher, const std::string& username,
    const std::string& displayName, const std::string& password, const std::string& roleName,
    domain::Instant now, const std::string& actor);

struct IssuedKiosk {
  store::Kiosk kiosk;
  std::string key;  // shown once; only its hash is stored
};

/// Registers a kiosk and returns its new key.
[[nodiscard]] std::expected<IssuedKiosk, store::StoreError> createKiosk(store::Store& store,
                                                                        const std::string& name,
                                                                        domain::Instant now,
                                                                        const std::string& actor);

/// Minimum and maximum password length (bytes).
inline constexpr std::size_t MinPasswordBytes = 8;
inline constexpr std::size_t MaxPasswordBytes = 128;

}  // namespace prepaid::backend::http
