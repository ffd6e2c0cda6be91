// Staff login/logout/password, operators, roles, permissions, kiosks and the audit log.

#include <algorithm>
#include <array>

#include "server_core.hpp"

#include "prepaid/api/json_fields.hpp"
#include "prepaid/api/time_format.hpp"
#include "prepaid/http/access_admin.hpp"
#include "prepaid/http/crypto.hpp"

namespace prepaid::backend::http {

namespace {

Json operatorJson(const store::Operator& op, const std::string& roleName) {
  return {{"operator_id", op.id},
          {"username", op.username},
          {"display_name", op.displayName},
          {"role_id", op.roleId},
          {"role", roleName},
          {"state", op.state == store::OperatorState::Active ? "active" : "disabled"}};
}

Json roleJson(const store::Role& role) {
  return {{"role_id", role.id}, {"name", role.name}, {"permissions", role.permissions}};
}

std::expected<std::vector<std::string>, ApiError> readPermissions(const api::FieldReader& fields) {
  if (!fields.has("permissions")) {
    return std::unexpected(apiError(ErrorCode::MissingField, "field 'permissions' is required"));
  }
  const auto& raw = fields.raw("permissions");
  if (!raw.is_array() || raw.size() > 64) {
    return std::unexpected(apiError(ErrorCode::InvalidField,
                                    "field 'permissions' must be an array of permission names"));
  }
  std::vector<std::string> names;
  for (const auto& item : raw) {
    if (!item.is_string() || !parsePermission(item.get<std::string>())) {
      return std::unexpected(
          apiError(ErrorCode::InvalidField,
                   "field 'permissions' holds an unknown permission: " + item.dump()));
    }
    names.push_back(item.get<std::string>());
  }
  return names;
}

std::expected<std::string, ApiError> readPassword(const api::FieldReader& fields,
                                                  std::string_view name) {
  if (!fields.has(name)) {
    return std::unexpected(
        apiError(ErrorCode::MissingField, "field '" + std::string(name) + "' is required"));
  }
  const auto& raw = fields.raw(name);
  if (!raw.is_string()) {
    return std::unexpected(
        apiError(ErrorCode::InvalidField, "field '" + std::string(name) + "' must be a string"));
  }
  auto text = raw.get<std::string>();
  if (text.size() < MinPasswordBytes || text.size() > MaxPasswordBytes) {
    return std::unexpected(apiError(
        ErrorCode::InvalidField, "field '" + std::string(name) + "' must be 8 to 128 bytes long"));
  }
  return text;
}

// A client-reported staff action: "<client>.<what>[.<more>]", lower case, where the client is
// one of ClientEventSources. It is recorded as "client.<action>", a namespace no server action
// uses, so a client cannot write records that look like the server's own ("sale", "login",
// "kiosk.create", …).
constexpr std::array<std::string_view, 2> ClientEventSources = {"kiosk", "console"};
constexpr api::LengthRange ClientActionLength{3, 64};
constexpr std::string_view ClientActionPrefix = "client.";
constexpr api::LengthRange ClientDetailLength{0, 1000};

bool validClientAction(std::string_view action) {
  const auto dot = action.find('.');
  if (dot == std::string_view::npos || dot + 1 >= action.size() || action.back() == '.') {
    return false;
  }
  if (std::ranges::find(ClientEventSources, action.substr(0, dot)) == ClientEventSources.end()) {
    return false;
  }
  char previous = '.';
  for (const char c : action) {
    const bool word = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!word && !(c == '.' && previous != '.')) {
      return false;
    }
    previous = c;
  }
  return true;
}

/// Throttle subject of an operator's logins (and current-password checks).
std::string loginSubject(store::OperatorId id) {
  return "login:" + std::to_string(id);
}

/// Where failed logins with unknown usernames are counted (never checked; see the login route).
constexpr const char* UnknownUserSubject = "login:unknown-user";

}  // namespace

void registerAuthRoutes(ServerCore& core) {
  core.add(
      route("POST", "/api/v1/auth/login", Access::Public, "auth",
            "Log in with username and password; returns a session token (Authorization: Bearer)",
            [&core](Request& request) -> Result {
              api::FieldReader fields(request.body);
              PREPAID_TRY(known, fields.onlyKnown({"username", "password"}));
              PREPAID_TRY(username, fields.requiredString("username", api::LengthRange{1, 64}));
              if (!fields.has("password") || !fields.raw("password").is_string()) {
                return std::unexpected(
                    apiError(ErrorCode::MissingField, "field 'password' is required (a string)"));
              }
              const auto password = fields.raw("password").get<std::string>();
              if (password.size() > MaxPasswordBytes) {
                return std::unexpected(
                    apiError(ErrorCode::InvalidCredentials, "wrong username or password"));
              }
              const auto now = core.now();
              std::optional<store::Operator> op;
              std::optional<domain::Instant> locked;
              AuditEntry entry;
              entry.at = now;
              entry.actor = *username;
              entry.client = request.client;
              entry.action = "login";
              request.audited = true;
              // Check the lock and count this attempt in one transaction, before the slow
              // password check: parallel guesses cannot all pass the check before the lock is
              // set. A success forgets the count again.
              auto admitted = writeStore(
                  core.store(), [&](store::WriteTransaction& tx) -> std::expected<void, ApiError> {
                    auto found = tx.operators().operatorByName(*username);
                    if (!found) {
                      if (found.error().code != store::StoreErrorCode::NotFound) {
                        return std::unexpected(fromStore(found.error()));
                      }
                      // The same writes as for a known name (a subject nobody checks), so the
                      // transaction's cost does not tell which names exist either.
                      PREPAID_TRY_STORE(counted, core.recordFailure(tx, UnknownUserSubject,
                                                                    core.options().maxLoginFailures,
                                                                    core.options().loginWindow));
                      return {};
                    }
                    op = *found;
                    PREPAID_TRY_STORE(until, core.admitAttempt(tx, loginSubject(op->id),
                                                               core.options().maxLoginFailures,
                                                               core.options().loginWindow));
                    locked = *until;
                    if (locked) {
                      entry.outcome = "account_locked";
                      PREPAID_TRY_STORE(audited, appendAudit(tx, entry));
                    }
                    return {};
                  });
              if (!admitted) {
                return std::unexpected(admitted.error());
              }
              if (locked) {
                return std::unexpected(apiError(
                    ErrorCode::AccountLocked,
                    "too many failed logins; locked until " + api::formatRfc3339(*locked, {})));
              }
              // Unknown users cost the same PBKDF2 work as known ones (a dummy hash with the
              // configured iteration count), so timing does not reveal which usernames exist.
              const bool matches = core.hasher().verify(password, op ? op->passwordHash
                                                                     : core.dummyPasswordHash()) &&
                                   op;
              if (!matches || op->state != store::OperatorState::Active) {
                // Already counted by admitAttempt.
                entry.outcome = "invalid_credentials";
                auto recorded =
                    writeStore(core.store(),
                               [&](store::WriteTransaction& tx) -> std::expected<void, ApiError> {
                                 PREPAID_TRY_STORE(audited, appendAudit(tx, entry));
                                 return {};
                               });
                if (!recorded) {
                  return std::unexpected(recorded.error());
                }
                return std::unexpected(
                    apiError(ErrorCode::InvalidCredentials, "wrong username or password"));
              }
              const auto token = randomHex(32);
              store::Session session;
              session.tokenHash = sha256Hex(token);
              session.operatorId = op->id;
              session.createdAt = now;
              session.lastSeenAt = now;
              session.expiresAt =
                  now + std::min(core.options().sessionIdleTimeout, core.options().sessionMaxAge);
              session.client = request.client;
              std::string rehash;
              if (core.hasher().needsRehash(op->passwordHash)) {
                rehash = core.hasher().hash(password);
              }
              std::string roleName;
              std::vector<std::string> permissions;
              auto written = writeStore(
                  core.store(), [&](store::WriteTransaction& tx) -> std::expected<void, ApiError> {
                    PREPAID_TRY_STORE(cleared, core.clearFailures(tx, loginSubject(op->id),
                                                                  core.options().maxLoginFailures));
                    PREPAID_TRY_STORE(purged, tx.operators().purgeExpiredSessions(now));
                    PREPAID_TRY_STORE(added, tx.operators().addSession(session));
                    if (!rehash.empty()) {
                      PREPAID_TRY_STORE(updated, tx.operators().setPasswordHash(
                                                     op->id, rehash, op->passwordChangedAt));
                    }
                    PREPAID_TRY_STORE(role, tx.operators().role(op->roleId));
                    roleName = role->name;
                    permissions = role->permissions;
                    entry.target = "operator:" + std::to_string(op->id);
                    PREPAID_TRY_STORE(audited, appendAudit(tx, entry));
                    return {};
                  });
              if (!written) {
                return std::unexpected(written.error());
              }
              domain::SiteTimeZone zone;
              auto zoneRead =
                  readStore(core.store(),
                            [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
                              PREPAID_TRY_STORE(site, tx.site().site());
                              zone = site->timeZone;
                              return {};
                            });
              if (!zoneRead) {
                return std::unexpected(zoneRead.error());
              }
              return jsonReply(Json{{"token", token},
                                    {"expires_at", api::formatRfc3339(session.expiresAt, zone)},
                                    {"idle_timeout_s", core.options().sessionIdleTimeout.count()},
                                    {"operator", operatorJson(*op, roleName)},
                                    {"permissions", permissions}});
            })
          .jsonBody());

  core.add(route(
      "POST", "/api/v1/auth/logout", Access::Staff, "auth", "End this session",
      [&core](Request& request) -> Result {
        auto written = writeStore(
            core.store(), [&](store::WriteTransaction& tx) -> std::expected<void, ApiError> {
              PREPAID_TRY_STORE(deleted, tx.operators().deleteSession(request.staff->tokenHash));
              PREPAID_TRY_STORE(
                  audited,
                  core.audit(tx, request, "logout",
                             "operator:" + std::to_string(request.staff->op.id), nullptr, nullptr));
              return {};
            });
        if (!written) {
          return std::unexpected(written.error());
        }
        return jsonReply(Json{{"logged_out", true}});
      }));

  core.add(route(
      "GET", "/api/v1/auth/me", Access::Staff, "auth",
      "The logged-in operator and their permissions", [&core](Request& request) -> Result {
        std::vector<std::string> permissions;
        for (const auto permission : request.staff->permissions) {
          permissions.emplace_back(toString(permission));
        }
        std::string roleName;
        auto read = readStore(
            core.store(), [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
              PREPAID_TRY_STORE(role, tx.operators().role(request.staff->op.roleId));
              roleName = role->name;
              return {};
            });
        if (!read) {
          return std::unexpected(read.error());
        }
        return jsonReply(Json{{"operator", operatorJson(request.staff->op, roleName)},
                              {"permissions", permissions}});
      }));

  core.add(
      route("POST", "/api/v1/auth/password", Access::Staff, "auth",
            "Change your own password (current password required); ends your other sessions",
            [&core](Request& request) -> Result {
              api::FieldReader fields(request.body);
              PREPAID_TRY(known, fields.onlyKnown({"current_password", "new_password"}));
              if (!fields.has("current_password") || !fields.raw("current_password").is_string()) {
                return std::unexpected(apiError(ErrorCode::MissingField,
                                                "field 'current_password' is required (a string)"));
              }
              PREPAID_TRY(fresh, readPassword(fields, "new_password"));
              const auto opId = request.staff->op.id;
              // Wrong current passwords count against the same throttle as logins: a stolen
              // session must not allow unlimited guesses.
              std::optional<domain::Instant> locked;
              auto admitted = writeStore(
                  core.store(), [&](store::WriteTransaction& tx) -> std::expected<void, ApiError> {
                    PREPAID_TRY_STORE(until, core.admitAttempt(tx, loginSubject(opId),
                                                               core.options().maxLoginFailures,
                                                               core.options().loginWindow));
                    locked = *until;
                    return {};
                  });
              if (!admitted) {
                return std::unexpected(admitted.error());
              }
              if (locked) {
                core.auditAfter(request, "password.change", "operator:" + std::to_string(opId),
                                nullptr, nullptr, "account_locked");
                return std::unexpected(apiError(
                    ErrorCode::AccountLocked,
                    "too many wrong passwords; locked until " + api::formatRfc3339(*locked, {})));
              }
              if (!core.hasher().verify(fields.raw("current_password").get<std::string>(),
                                        request.staff->op.passwordHash)) {
                core.auditAfter(request, "password.change", "operator:" + std::to_string(opId),
                                nullptr, nullptr, "invalid_credentials");
                return std::unexpected(
                    apiError(ErrorCode::InvalidCredentials, "the current password is wrong"));
              }
              const auto hash = core.hasher().hash(*fresh);
              const auto now = core.now();
              auto written = writeStore(
                  core.store(), [&](store::WriteTransaction& tx) -> std::expected<void, ApiError> {
                    PREPAID_TRY_STORE(cleared, core.clearFailures(tx, loginSubject(opId),
                                                                  core.options().maxLoginFailures));
                    PREPAID_TRY_STORE(set, tx.operators().setPasswordHash(opId, hash, now));
                    PREPAID_TRY_STORE(ended, tx.operators().deleteSessionsOf(opId));
                    // Keep the session that changed the password, so the console stays logged
                    // in, with its original start: its maximum age is not extended.
                    store::Session session;
                    session.tokenHash = request.staff->tokenHash;
                    session.operatorId = opId;
                    session.createdAt = request.staff->sessionCreatedAt;
                    session.lastSeenAt = now;
                    session.expiresAt = std::min(now + core.options().sessionIdleTimeout,
                                                 session.createdAt + core.options().sessionMaxAge);
                    session.client = request.client;
                    PREPAID_TRY_STORE(kept, tx.operators().addSession(session));
                    PREPAID_TRY_STORE(
                        audited, core.audit(tx, request, "password.change",
                                            "operator:" + std::to_string(opId), nullptr, nullptr));
                    return {};
                  });
              if (!written) {
                return std::unexpected(written.error());
              }
              return jsonReply(Json{{"changed", true}});
            })
          .jsonBody());

  core.add(route("GET", "/api/v1/permissions", Access::Staff, "operators",
                 "Every permission with its function group",
                 [](Request&) -> Result {
                   Json items = Json::array();
                   for (const auto& info : allPermissions()) {
                     items.push_back({{"name", info.name},
                                      {"group", info.group},
                                      {"description", info.description}});
                   }
                   return jsonReply(Json{{"permissions", items}});
                 })
               .needs(Permission::OperatorsManage));

  core.add(route("GET", "/api/v1/roles", Access::Staff, "operators", "Every role",
                 [&core](Request&) -> Result {
                   Json items = Json::array();
                   auto read = readStore(
                       core.store(),
                       [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
                         PREPAID_TRY_STORE(roles, tx.operators().roles());
                         for (const auto& role : *roles) {
                           items.push_back(roleJson(role));
                         }
                         return {};
                       });
                   if (!read) {
                     return std::unexpected(read.error());
                   }
                   return jsonReply(Json{{"roles", items}});
                 })
               .needs(Permission::OperatorsManage));

  core.add(route("POST", "/api/v1/roles", Access::Staff, "operators",
                 "Create a role {name, permissions[]}",
                 [&core](Request& request) -> Result {
                   api::FieldReader fields(request.body);
                   PREPAID_TRY(known, fields.onlyKnown({"name", "permissions"}));
                   PREPAID_TRY(name, fields.requiredString("name", api::LengthRange{1, 64}));
                   PREPAID_TRY(permissions, readPermissions(fields));
                   store::Role created;
                   auto written = writeStore(
                       core.store(),
                       [&](store::WriteTransaction& tx) -> std::expected<void, ApiError> {
                         store::Role role;
                         role.name = *name;
                         role.permissions = *permissions;
                         PREPAID_TRY_STORE(added, tx.operators().addRole(role));
                         created = *added;
                         PREPAID_TRY_STORE(audited, core.audit(tx, request, "role.create",
                                                               "role:" + std::to_string(created.id),
                                                               nullptr, roleJson(created)));
                         return {};
                       });
                   if (!written) {
                     return std::unexpected(written.error());
                   }
                   return jsonReply(roleJson(created), 201);
                 })
               .needs(Permission::OperatorsManage)
               .jsonBody());

  core.add(route("PUT", "/api/v1/roles/{role_id}", Access::Staff, "operators",
                 "Replace a role's name and permissions",
                 [&core](Request& request) -> Result {
                   PREPAID_TRY(roleId, pathId(request, "role_id"));
                   api::FieldReader fields(request.body);
                   PREPAID_TRY(known, fields.onlyKnown({"name", "permissions"}));
                   PREPAID_TRY(name, fields.requiredString("name", api::LengthRange{1, 64}));
                   PREPAID_TRY(permissions, readPermissions(fields));
                   Json after;
                   auto written = writeStore(
                       core.store(),
                       [&](store::WriteTransaction& tx) -> std::expected<void, ApiError> {
                         PREPAID_TRY_STORE(before, tx.operators().role(*roleId));
                         store::Role role{*roleId, *name, *permissions};
                         PREPAID_TRY_STORE(updated, tx.operators().updateRole(role));
                         PREPAID_TRY_STORE(reread, tx.operators().role(*roleId));
                         after = roleJson(*reread);
                         PREPAID_TRY_STORE(audited, core.audit(tx, request, "role.update",
                                                               "role:" + std::to_string(*roleId),
                                                               roleJson(*before), after));
                         return {};
                       });
                   if (!written) {
                     return std::unexpected(written.error());
                   }
                   return jsonReply(after);
                 })
               .needs(Permission::OperatorsManage)
               .jsonBody());

  core.add(route("GET", "/api/v1/operators", Access::Staff, "operators", "Every operator",
                 [&core](Request&) -> Result {
                   Json items = Json::array();
                   auto read = readStore(
                       core.store(),
                       [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
                         PREPAID_TRY_STORE(roles, tx.operators().roles());
                         PREPAID_TRY_STORE(ops, tx.operators().operators());
                         for (const auto& op : *ops) {
                           std::string roleName;
                           for (const auto& role : *roles) {
                             if (role.id == op.roleId) {
                               roleName = role.name;
                             }
                           }
                           items.push_back(operatorJson(op, roleName));
                         }
                         return {};
                       });
                   if (!read) {
                     return std::unexpected(read.error());
                   }
                   return jsonReply(Json{{"operators", items}});
                 })
               .needs(Permission::OperatorsManage));

  core.add(
      route("POST", "/api/v1/operators", Access::Staff, "operators",
            "Create an operator {username, display_name, password, role_id}",
            [&core](Request& request) -> Result {
              api::FieldReader fields(request.body);
              PREPAID_TRY(known,
                          fields.onlyKnown({"username", "display_name", "password", "role_id"}));
              PREPAID_TRY(username, fields.requiredString("username", api::LengthRange{1, 64}));
              PREPAID_TRY(display, fields.optionalString("display_name", api::LengthRange{0, 64}));
              PREPAID_TRY(password, readPassword(fields, "password"));
              PREPAID_TRY(roleId, fields.requiredInt("role_id", api::IntRange{1, INT64_MAX}));
              const auto hash = core.hasher().hash(*password);
              const auto now = core.now();
              Json created;
              auto written = writeStore(
                  core.store(), [&](store::WriteTransaction& tx) -> std::expected<void, ApiError> {
                    auto role = tx.operators().role(*roleId);
                    if (!role) {
                      return std::unexpected(
                          apiError(ErrorCode::InvalidField, "field 'role_id' names no role"));
                    }
                    store::Operator op;
                    op.username = *username;
                    op.displayName = display->value_or(*username);
                    op.passwordHash = hash;
                    op.roleId = *roleId;
                    op.createdAt = now;
                    op.passwordChangedAt = now;
                    PREPAID_TRY_STORE(added, tx.operators().addOperator(op));
                    created = operatorJson(*added, role->name);
                    PREPAID_TRY_STORE(audited, core.audit(tx, request, "operator.create",
                                                          "operator:" + std::to_string(added->id),
                                                          nullptr, created));
                    return {};
                  });
              if (!written) {
                return std::unexpected(written.error());
              }
              return jsonReply(created, 201);
            })
          .needs(Permission::OperatorsManage)
          .jsonBody());

  core.add(
      route(
          "PATCH", "/api/v1/operators/{operator_id}", Access::Staff, "operators",
          "Change an operator's display name, role, state, or reset the password",
          [&core](Request& request) -> Result {
            PREPAID_TRY(operatorId, pathId(request, "operator_id"));
            api::FieldReader fields(request.body);
            PREPAID_TRY(known, fields.onlyKnown({"display_name", "role_id", "state", "password"}));
            PREPAID_TRY(display, fields.optionalString("display_name", api::LengthRange{0, 64}));
            PREPAID_TRY(roleId, fields.optionalInt("role_id", api::IntRange{1, INT64_MAX}));
            PREPAID_TRY(state, fields.optionalEnum("state", {"active", "disabled"}));
            std::string hash;
            if (fields.has("password")) {
              PREPAID_TRY(password, readPassword(fields, "password"));
              hash = core.hasher().hash(*password);
            }
            Json after;
            auto written = writeStore(
                core.store(), [&](store::WriteTransaction& tx) -> std::expected<void, ApiError> {
                  PREPAID_TRY_STORE(before, tx.operators().operatorById(*operatorId));
                  auto op = *before;
                  if (*display) {
                    op.displayName = **display;
                  }
                  if (*roleId) {
                    if (!tx.operators().role(**roleId)) {
                      return std::unexpected(
                          apiError(ErrorCode::InvalidField, "field 'role_id' names no role"));
                    }
                    op.roleId = **roleId;
                  }
                  if (*state) {
                    op.state = **state == "active" ? store::OperatorState::Active
                                                   : store::OperatorState::Disabled;
                  }
                  PREPAID_TRY_STORE(updated, tx.operators().updateOperator(op));
                  if (!hash.empty()) {
                    PREPAID_TRY_STORE(set, tx.operators().setPasswordHash(op.id, hash, core.now()));
                  }
                  if (!hash.empty() || op.state == store::OperatorState::Disabled) {
                    PREPAID_TRY_STORE(ended, tx.operators().deleteSessionsOf(op.id));
                    PREPAID_TRY_STORE(unlocked,
                                      core.clearFailures(tx, loginSubject(op.id),
                                                         core.options().maxLoginFailures));
                  }
                  PREPAID_TRY_STORE(role, tx.operators().role(op.roleId));
                  after = operatorJson(op, role->name);
                  Json afterAudit = after;
                  afterAudit["password_reset"] = !hash.empty();
                  PREPAID_TRY_STORE(audited, core.audit(tx, request, "operator.update",
                                                        "operator:" + std::to_string(op.id),
                                                        operatorJson(*before, ""), afterAudit));
                  return {};
                });
            if (!written) {
              return std::unexpected(written.error());
            }
            return jsonReply(after);
          })
          .needs(Permission::OperatorsManage)
          .jsonBody());

  core.add(route("GET", "/api/v1/kiosks", Access::Staff, "operators", "Registered kiosks",
                 [&core](Request&) -> Result {
                   Json items = Json::array();
                   auto read = readStore(
                       core.store(),
                       [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
                         PREPAID_TRY_STORE(kiosks, tx.access().kiosks());
                         for (const auto& kiosk : *kiosks) {
                           items.push_back(
                               {{"kiosk_id", kiosk.id},
                                {"name", kiosk.name},
                                {"enabled", kiosk.enabled == store::KioskEnabled::Enabled}});
                         }
                         return {};
                       });
                   if (!read) {
                     return std::unexpected(read.error());
                   }
                   return jsonReply(Json{{"kiosks", items}});
                 })
               .needs(Permission::SiteConfigure));

  core.add(route("POST", "/api/v1/kiosks", Access::Staff, "operators",
                 "Register a kiosk {name}; the key is returned once",
                 [&core](Request& request) -> Result {
                   api::FieldReader fields(request.body);
                   PREPAID_TRY(known, fields.onlyKnown({"name"}));
                   PREPAID_TRY(name, fields.requiredString("name", api::LengthRange{1, 64}));
                   auto issued = createKiosk(core.store(), *name, core.now(), request.actor());
                   if (!issued) {
                     return std::unexpected(fromStore(issued.error()));
                   }
                   request.audited = true;
                   return jsonReply(Json{{"kiosk_id", issued->kiosk.id},
                                         {"name", issued->kiosk.name},
                                         {"key", issued->key}},
                                    201);
                 })
               .needs(Permission::SiteConfigure)
               .jsonBody());

  core.add(route("GET", "/api/v1/audit", Access::Staff, "audit",
                 "The operation log, newest first (from, to, actor, action, before_id, limit)",
                 [&core](Request& request) -> Result {
                   store::AuditQuery query;
                   PREPAID_TRY(from, queryTime(request, "from"));
                   PREPAID_TRY(to, queryTime(request, "to"));
                   PREPAID_TRY(limit, queryInt(request, "limit", 1, 1000));
                   PREPAID_TRY(beforeId, queryInt(request, "before_id", 1, INT64_MAX));
                   query.from = *from;
                   query.to = *to;
                   query.limit = limit->value_or(100);
                   query.beforeId = *beforeId;
                   query.actor = request.query("actor").value_or("");
                   query.action = request.query("action").value_or("");
                   Json items = Json::array();
                   auto read = readStore(
                       core.store(),
                       [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
                         PREPAID_TRY_STORE(site, tx.site().site());
                         PREPAID_TRY_STORE(records, tx.audit().find(query));
                         for (const auto& record : *records) {
                           items.push_back(
                               {{"audit_id", record.id},
                                {"at", api::formatRfc3339(record.at, site->timeZone)},
                                {"actor", record.actor},
                                {"action", record.action},
                                {"target", record.target},
                                {"before", Json::parse(record.beforeJson, nullptr, false)},
                                {"after", Json::parse(record.afterJson, nullptr, false)},
                                {"client", record.client},
                                {"outcome", record.outcome},
                                {"hash", record.hash}});
                         }
                         return {};
                       });
                   if (!read) {
                     return std::unexpected(read.error());
                   }
                   return jsonReply(Json{{"records", items}});
                 })
               .needs(Permission::AuditRead));

  core.add(
      route(
          "POST", "/api/v1/audit/events", Access::Staff, "audit",
          "Record a staff action taken at a client {action: kiosk.*|console.*, detail} "
          "(kiosk maintenance mode), recorded as client.<action>; who, when and from which "
          "client are added by the server",
          [&core](Request& request) -> Result {
            api::FieldReader fields(request.body);
            PREPAID_TRY(known, fields.onlyKnown({"action", "detail"}));
            PREPAID_TRY(action, fields.requiredString("action", ClientActionLength));
            if (!validClientAction(*action)) {
              return std::unexpected(apiError(
                  ErrorCode::InvalidField,
                  "field 'action' must look like 'kiosk.printer.test': 'kiosk.' or 'console.' "
                  "then lower-case words (a-z, 0-9, _) separated by single dots"));
            }
            PREPAID_TRY(detail, fields.requiredString("detail", ClientDetailLength));
            // The kiosk also sends its key: name the kiosk in the record when the key is known.
            // The staff session authenticates the request; an unknown key is recorded as such
            // (provenance, not access).
            const auto kioskKey = request.header("X-Kiosk-Key");
            const auto now = core.now();
            Json body;
            auto written = writeStore(
                core.store(), [&](store::WriteTransaction& tx) -> std::expected<void, ApiError> {
                  Json kiosk = nullptr;
                  std::string target = "client";
                  if (!kioskKey.empty() && kioskKey.size() <= 256) {
                    PREPAID_TRY_STORE(found, tx.access().kioskByKeyHash(sha256Hex(kioskKey)));
                    if (*found) {
                      kiosk = (*found)->name;
                      target = "kiosk:" + (*found)->name;
                    } else {
                      target = "kiosk:unknown-key";
                    }
                  }
                  AuditEntry entry;
                  entry.at = now;
                  entry.actor = request.actor();
                  entry.action = std::string(ClientActionPrefix) + *action;
                  entry.target = target;
                  entry.afterJson =
                      Json{{"detail", *detail}, {"kiosk", kiosk}, {"reported_by", "client"}}.dump();
                  entry.client = request.client;
                  PREPAID_TRY_STORE(record, appendAudit(tx, entry));
                  PREPAID_TRY_STORE(site, tx.site().site());
                  body = Json{{"audit_id", record->id},
                              {"at", api::formatRfc3339(record->at, site->timeZone)},
                              {"actor", record->actor},
                              {"action", record->action},
                              {"target", record->target}};
                  return {};
                });
            if (!written) {
              return std::unexpected(written.error());
            }
            request.audited = true;
            return jsonReply(body, 201);
          })
          .jsonBody());

  core.add(
      route("GET", "/api/v1/audit/verify", Access::Staff, "audit",
            "Recompute the audit hash chain and report every broken record",
            [&core](Request&) -> Result {
              auto verification = verifyAuditChain(core.store());
              if (!verification) {
                return std::unexpected(fromStore(verification.error()));
              }
              Json problems = Json::array();
              for (const auto& problem : verification->problems) {
                problems.push_back({{"audit_id", problem.recordId}, {"reason", problem.reason}});
              }
              return jsonReply(Json{{"ok", verification->ok()},
                                    {"records_checked", verification->recordsChecked},
                                    {"head_hash", verification->headHash},
                                    {"problems", problems}});
            })
          .needs(Permission::AuditRead));
}

}  // namespace prepaid::backend::http
