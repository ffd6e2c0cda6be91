#include <algorithm>
#include <sstream>

#include "codec.hpp"
#include "sqlite_access_repositories.hpp"
#include "sqlite_repositories.hpp"

namespace prepaid::store::detail {

namespace {

// Permissions are stored as one space-separated, sorted list: names are identifiers without
// spaces (checked here), and the set of a role is always read and written as a whole.
std::string joinPermissions(std::vector<std::string> permissions) {
  std::ranges::sort(permissions);
  const auto [first, last] = std::ranges::unique(permissions);
  permissions.erase(first, last);
  std::string joined;
  for (const auto& permission : permissions) {
    if (permission.empty() || permission.find_first_of(" \t\r\n") != std::string::npos) {
      fail(StoreErrorCode::InvalidArgument, "invalid permission name '" + permission + "'");
    }
    if (!joined.empty()) {
      joined += ' ';
    }
    joined += permission;
  }
  return joined;
}

std::vector<std::string> splitPermissions(const std::string& joined) {
  std::vector<std::string> permissions;
  std::istringstream stream(joined);
  std::string permission;
  while (stream >> permission) {
    permissions.push_back(permission);
  }
  return permissions;
}

std::string_view stateName(OperatorState state) {
  return state == OperatorState::Active ? "active" : "disabled";
}

OperatorState parseState(std::string_view text) {
  return text == "disabled" ? OperatorState::Disabled : OperatorState::Active;
}

constexpr std::string_view OperatorColumns =
    "SELECT id, username, display_name, password_hash, role_id, state, created_at, "
    "password_changed_at FROM operators ";

Operator operatorFromRow(const Statement& row) {
  Operator op;
  op.id = row.int64(0);
  op.username = row.text(1);
  op.displayName = row.text(2);
  op.passwordHash = row.text(3);
  op.roleId = row.int64(4);
  op.state = parseState(row.text(5));
  op.createdAt = fromEpoch(row.int64(6));
  op.passwordChangedAt = fromEpoch(row.int64(7));
  return op;
}

}  // namespace

std::expected<Role, StoreError> SqliteOperatorRepository::addRole(const Role& role) {
  return guard([&] {
    if (role.name.empty()) {
      fail(StoreErrorCode::InvalidArgument, "a role needs a name");
    }
    const auto joined = joinPermissions(role.permissions);
    m_ctx.db().run("INSERT INTO roles (name, permissions) VALUES (?1, ?2)", role.name, joined);
    Role added{m_ctx.db().lastInsertRowId(), role.name, splitPermissions(joined)};
    return added;
  });
}

std::expected<void, StoreError> SqliteOperatorRepository::updateRole(const Role& role) {
  return guard([&] {
    if (role.name.empty()) {
      fail(StoreErrorCode::InvalidArgument, "a role needs a name");
    }
    if (m_ctx.db().run("UPDATE roles SET name = ?2, permissions = ?3 WHERE id = ?1", role.id,
                       role.name, joinPermissions(role.permissions)) == 0) {
      fail(StoreErrorCode::NotFound, "no role " + std::to_string(role.id));
    }
  });
}

std::expected<Role, StoreError> SqliteOperatorRepository::role(RoleId id) const {
  return guard([&] {
    auto row = m_ctx.db().prepare("SELECT id, name, permissions FROM roles WHERE id = ?1");
    row.bindAll(id);
    if (!row.step()) {
      fail(StoreErrorCode::NotFound, "no role " + std::to_string(id));
    }
    return Role{row.int64(0), row.text(1), splitPermissions(row.text(2))};
  });
}

std::expected<std::vector<Role>, StoreError> SqliteOperatorRepository::roles() const {
  return guard([&] {
    auto row = m_ctx.db().prepare("SELECT id, name, permissions FROM roles ORDER BY name");
    std::vector<Role> roles;
    while (row.step()) {
      roles.push_back(Role{row.int64(0), row.text(1), splitPermissions(row.text(2))});
    }
    return roles;
  });
}

std::expected<Operator, StoreError> SqliteOperatorRepository::addOperator(const Operator& op) {
  return guard([&] {
    if (op.username.empty() || op.passwordHash.empty()) {
      fail(StoreErrorCode::InvalidArgument, "an operator needs a username and a password hash");
    }
    m_ctx.db().run(
        "INSERT INTO operators (username, display_name, password_hash, role_id, state, "
        "created_at, password_changed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        op.username, op.displayName, op.passwordHash, op.roleId, stateName(op.state),
        toEpoch(op.createdAt), toEpoch(op.passwordChangedAt));
    Operator added = op;
    added.id = m_ctx.db().lastInsertRowId();
    return added;
  });
}

std::expected<void, StoreError> SqliteOperatorRepository::updateOperator(const Operator& op) {
  return guard([&] {
    if (m_ctx.db().run(
            "UPDATE operators SET display_name = ?2, role_id = ?3, state = ?4 WHERE id = ?1", op.id,
            op.displayName, op.roleId, stateName(op.state)) == 0) {
      fail(StoreErrorCode::NotFound, "no operator " + std::to_string(op.id));
    }
  });
}

std::expected<void, StoreError> SqliteOperatorRepository::setPasswordHash(
    OperatorId id, const std::string& passwordHash, domain::Instant at) {
  return guard([&] {
    if (passwordHash.empty()) {
      fail(StoreErrorCode::InvalidArgument, "empty password hash");
    }
    if (m_ctx.db().run(
            "UPDATE operators SET password_hash = ?2, password_changed_at = ?3 WHERE id = ?1", id,
            passwordHash, toEpoch(at)) == 0) {
      fail(StoreErrorCode::NotFound, "no operator " + std::to_string(id));
    }
  });
}

std::expected<Operator, StoreError> SqliteOperatorRepository::operatorById(OperatorId id) const {
  return guard([&] {
    auto row = m_ctx.db().prepare(std::string(OperatorColumns) + "WHERE id = ?1");
    row.bindAll(id);
    if (!row.step()) {
      fail(StoreErrorCode::NotFound, "no operator " + std::to_string(id));
    }
    return operatorFromRow(row);
  });
}

std::expected<Operator, StoreError> SqliteOperatorRepository::operatorByName(
    const std::string& username) const {
  return guard([&] {
    auto row = m_ctx.db().prepare(std::string(OperatorColumns) + "WHERE username = ?1");
    row.bindAll(username);
    if (!row.step()) {
      fail(StoreErrorCode::NotFound, "no operator '" + username + "'");
    }
    return operatorFromRow(row);
  });
}

std::expected<std::vector<Operator>, StoreError> SqliteOperatorRepository::operators() const {
  return guard([&] {
    auto row = m_ctx.db().prepare(std::string(OperatorColumns) + "ORDER BY username");
    std::vector<Operator> all;
    while (row.step()) {
      all.push_back(operatorFromRow(row));
    }
    return all;
  });
}

std::expected<void, StoreError> SqliteOperatorRepository::addSession(const Session& session) {
  return guard([&] {
    m_ctx.db().run(
        "INSERT INTO sessions (token_hash, operator_id, created_at, expires_at, last_seen_at, "
        "client) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        session.tokenHash, session.operatorId, toEpoch(session.createdAt),
        toEpoch(session.expiresAt), toEpoch(session.lastSeenAt), session.client);
  });
}

std::expected<std::optional<Session>, StoreError> SqliteOperatorRepository::session(
    const std::string& tokenHash) const {
  return guard([&]() -> std::optional<Session> {
    auto row = m_ctx.db().prepare(
        "SELECT token_hash, operator_id, created_at, expires_at, last_seen_at, client "
        "FROM sessions WHERE token_hash = ?1");
    row.bindAll(tokenHash);
    if (!row.step()) {
      return std::nullopt;
    }
    return Session{row.text(0),
                   row.int64(1),
                   fromEpoch(row.int64(2)),
                   fromEpoch(row.int64(3)),
                   fromEpoch(row.int64(4)),
                   row.text(5)};
  });
}

std::expected<void, StoreError> SqliteOperatorRepository::touchSession(const std::string& tokenHash,
                                                                       domain::Instant lastSeenAt,
                                                                       domain::Instant expiresAt) {
  return guard([&] {
    if (m_ctx.db().run(
            "UPDATE sessions SET last_seen_at = ?2, expires_at = ?3 WHERE token_hash = ?1",
            tokenHash, toEpoch(lastSeenAt), toEpoch(expiresAt)) == 0) {
      fail(StoreErrorCode::NotFound, "no such session");
    }
  });
}

std::expected<bool, StoreError> SqliteOperatorRepository::deleteSession(
    const std::string& tokenHash) {
  return guard(
      [&] { return m_ctx.db().run("DELETE FROM sessions WHERE token_hash = ?1", tokenHash) > 0; });
}

std::expected<std::int64_t, StoreError> SqliteOperatorRepository::deleteSessionsOf(OperatorId id) {
  return guard([&] { return m_ctx.db().run("DELETE FROM sessions WHERE operator_id = ?1", id); });
}

std::expected<std::int64_t, StoreError> SqliteOperatorRepository::purgeExpiredSessions(
    domain::Instant now) {
  return guard(
      [&] { return m_ctx.db().run("DELETE FROM sessions WHERE expires_at <= ?1", toEpoch(now)); });
}

}  // namespace prepaid::store::detail
