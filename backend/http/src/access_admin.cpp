#include "prepaid/http/access_admin.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "prepaid/http/audit_log.hpp"
#include "prepaid/http/crypto.hpp"
#include "prepaid/http/permissions.hpp"

namespace prepaid::backend::http {

std::expected<std::int64_t, store::StoreError> ensureBuiltinRoles(store::Store& store,
                                                                  domain::Instant now,
                                                                  const std::string& actor) {
  std::int64_t created = 0;
  auto written = store.write([&](store::WriteTransaction& tx)
                                 -> std::expected<void, store::StoreError> {
    auto existing = tx.operators().roles();
    if (!existing) {
      return std::unexpected(existing.error());
    }
    for (const auto& builtin : builtinRoles()) {
      const store::Role* found = nullptr;
      for (const auto& role : *existing) {
        found = role.name == builtin.name ? &role : found;
      }
      if (found != nullptr && builtin.name == "admin") {
        // The admin role is "every permission": one added by a later version (tariffs.manage)
        // is granted to an existing site's admin here, audited, instead of leaving nobody
        // able to use the new function.
        store::Role upgraded = *found;
        for (const auto permission : builtin.permissions) {
          const std::string name(toString(permission));
          if (std::ranges::find(upgraded.permissions, name) == upgraded.permissions.end()) {
            upgraded.permissions.push_back(name);
          }
        }
        if (upgraded.permissions.size() != found->permissions.size()) {
          if (auto updated = tx.operators().updateRole(upgraded); !updated) {
            return std::unexpected(updated.error());
          }
          AuditEntry entry;
          entry.at = now;
          entry.actor = actor;
          entry.action = "role.update";
          entry.target = "role:" + std::to_string(found->id);
          entry.beforeJson =
              nlohmann::json{{"name", found->name}, {"permissions", found->permissions}}.dump();
          entry.afterJson =
              nlohmann::json{{"name", upgraded.name}, {"permissions", upgraded.permissions}}.dump();
          if (auto audited = appendAudit(tx, entry); !audited) {
            return std::unexpected(audited.error());
          }
        }
        continue;
      }
      if (found != nullptr) {
        continue;
      }
      store::Role role;
      role.name = std::string(builtin.name);
      for (const auto permission : builtin.permissions) {
        role.permissions.emplace_back(toString(permission));
      }
      auto added = tx.operators().addRole(role);
      if (!added) {
        return std::unexpected(added.error());
      }
      AuditEntry entry;
      entry.at = now;
      entry.actor = actor;
      entry.action = "role.create";
      entry.target = "role:" + std::to_string(added->id);
      entry.afterJson =
          nlohmann::json{{"name", added->name}, {"permissions", added->permissions}}.dump();
      if (auto audited = appendAudit(tx, entry); !audited) {
        return std::unexpected(audited.error());
      }
      ++created;
    }
    return {};
  });
  if (!written) {
    return std::unexpected(written.error());
  }
  return created;
}

std::expected<store::Operator, store::StoreError> createOperator(
    store::Store& store, const PasswordHasher& hasher, const std::string& username,
    const std::string& displayName, const std::string& password, const std::string& roleName,
    domain::Instant now, const std::string& actor) {
  if (password.size() < MinPasswordBytes || password.size() > MaxPasswordBytes) {
    return std::unexpected(store::StoreError{store::StoreErrorCode::InvalidArgument,
                                             "a password must be 8 to 128 bytes long"});
  }
  const auto hash = hasher.hash(password);  // slow: outside the write lock
  store::Operator created;
  auto written =
      store.write([&](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
        auto roles = tx.operators().roles();
        if (!roles) {
          return std::unexpected(roles.error());
        }
        std::optional<store::RoleId> roleId;
        for (const auto& role : *roles) {
          if (role.name == roleName) {
            roleId = role.id;
          }
        }
        if (!roleId) {
          return std::unexpected(
              store::StoreError{store::StoreErrorCode::NotFound, "no role '" + roleName + "'"});
        }
        store::Operator op;
        op.username = username;
        op.displayName = displayName;
        op.passwordHash = hash;
        op.roleId = *roleId;
        op.createdAt = now;
        op.passwordChangedAt = now;
        auto added = tx.operators().addOperator(op);
        if (!added) {
          return std::unexpected(added.error());
        }
        created = *added;
        AuditEntry entry;
        entry.at = now;
        entry.actor = actor;
        entry.action = "operator.create";
        entry.target = "operator:" + std::to_string(created.id);
        entry.afterJson = nlohmann::json{
            {"username", username},
            {"display_name", displayName},
            {"role",
             roleName}}.dump();
        if (auto audited = appendAudit(tx, entry); !audited) {
          return std::unexpected(audited.error());
        }
        return {};
      });
  if (!written) {
    return std::unexpected(written.error());
  }
  return created;
}

std::expected<IssuedKiosk, store::StoreError> createKiosk(store::Store& store,
                                                          const std::string& name,
                                                          domain::Instant now,
                                                          const std::string& actor) {
  IssuedKiosk issued;
  issued.key = "pk_" + randomHex(24);
  auto written =
      store.write([&](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
        store::Kiosk kiosk;
        kiosk.name = name;
        kiosk.keyHash = sha256Hex(issued.key);
        kiosk.createdAt = now;
        auto added = tx.access().addKiosk(kiosk);
        if (!added) {
          return std::unexpected(added.error());
        }
        issued.kiosk = *added;
        AuditEntry entry;
        entry.at = now;
        entry.actor = actor;
        entry.action = "kiosk.create";
        entry.target = "kiosk:" + std::to_string(added->id);
        entry.afterJson = nlohmann::json{{"name", name}}.dump();
        if (auto audited = appendAudit(tx, entry); !audited) {
          return std::unexpected(audited.error());
        }
        return {};
      });
  if (!written) {
    return std::unexpected(written.error());
  }
  return issued;
}

}  // namespace prepaid::backend::http
