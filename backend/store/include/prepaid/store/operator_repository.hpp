#pragma once

// Staff accounts (操作员), their roles (权限) and login sessions. Password hashes and session
// tokens are produced by the HTTP layer; the store keeps them opaque (tokens only as hashes).

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "prepaid/domain/time.hpp"
#include "prepaid/store/store_error.hpp"

namespace prepaid::store {

using RoleId = std::int64_t;
using OperatorId = std::int64_t;

struct Role {
  RoleId id = 0;
  std::string name;                      // unique
  std::vector<std::string> permissions;  // permission names (owned by the HTTP layer), sorted
};

enum class OperatorState {
  Active,
  Disabled,  // may not log in; existing sessions are refused
};

struct Operator {
  OperatorId id = 0;
  std::string username;  // unique, case-sensitive
  std::string displayName;
  std::string passwordHash;  // encoded hash (format owned by the HTTP layer)
  RoleId roleId = 0;
  OperatorState state = OperatorState::Active;
  domain::Instant createdAt{};
  domain::Instant passwordChangedAt{};
};

struct Session {
  std::string tokenHash;  // hex SHA-256 of the bearer token; the token itself is never stored
  OperatorId operatorId = 0;
  domain::Instant createdAt{};
  domain::Instant expiresAt{};  // absolute expiry
  domain::Instant lastSeenAt{};
  std::string client;  // remote address / user agent at login
};

class OperatorRepository {
 public:
  virtual ~OperatorRepository() = default;

  /// Adds a role (id ignored); Duplicate for a name taken, InvalidArgument for an empty name.
  [[nodiscard]] virtual std::expected<Role, StoreError> addRole(const Role& role) = 0;
  /// Replaces the name and permissions of a role; NotFound when absent.
  [[nodiscard]] virtual std::expected<void, StoreError> updateRole(const Role& role) = 0;
  /// One role; NotFound when absent.
  [[nodiscard]] virtual std::expected<Role, StoreError> role(RoleId id) const = 0;
  /// Every role by name.
  [[nodiscard]] virtual std::expected<std::vector<Role>, StoreError> roles() const = 0;

  /// Adds an operator (id ignored); Duplicate for a username taken, Constraint for an unknown
  /// role, InvalidArgument for an empty username or hash.
  [[nodiscard]] virtual std::expected<Operator, StoreError> addOperator(const Operator& op) = 0;
  /// Replaces display name, role and state (not the password); NotFound when absent.
  [[nodiscard]] virtual std::expected<void, StoreError> updateOperator(const Operator& op) = 0;
  /// Sets a new password hash and its change time; NotFound when absent.
  [[nodiscard]] virtual std::expected<void, StoreError> setPasswordHash(
      OperatorId id, const std::string& passwordHash, domain::Instant at) = 0;
  /// One operator; NotFound when absent.
  [[nodiscard]] virtual std::expected<Operator, StoreError> operatorById(OperatorId id) const = 0;
  /// The operator with this username; NotFound when absent.
  [[nodiscard]] virtual std::expected<Operator, StoreError> operatorByName(
      const std::string& username) const = 0;
  /// Every operator by username.
  [[nodiscard]] virtual std::expected<std::vector<Operator>, StoreError> operators() const = 0;

  /// Stores a new session; Duplicate if the token hash exists, Constraint for an unknown
  /// operator.
  [[nodiscard]] virtual std::expected<void, StoreError> addSession(const Session& session) = 0;
  /// The session with this token hash, or nullopt (expired ones included: the caller checks).
  [[nodiscard]] virtual std::expected<std::optional<Session>, StoreError> session(
      const std::string& tokenHash) const = 0;
  /// Updates lastSeenAt and expiresAt of a session; NotFound when absent.
  [[nodiscard]] virtual std::expected<void, StoreError> touchSession(const std::string& tokenHash,
                                                                     domain::Instant lastSeenAt,
                                                                     domain::Instant expiresAt) = 0;
  /// Deletes one session (logout); returns whether it existed.
  [[nodiscard]] virtual std::expected<bool, StoreError> deleteSession(
      const std::string& tokenHash) = 0;
  /// Deletes every session of an operator (password change, disable); returns how many.
  [[nodiscard]] virtual std::expected<std::int64_t, StoreError> deleteSessionsOf(OperatorId id) = 0;
  /// Deletes sessions with expiresAt <= now; returns how many.
  [[nodiscard]] virtual std::expected<std::int64_t, StoreError> purgeExpiredSessions(
      domain::Instant now) = 0;
};

}  // namespace prepaid::store
