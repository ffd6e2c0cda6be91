#include "prepaid/http/access_admin.hpp"

#include <algorithm>

#include "temp_store.hpp"
#include <gtest/gtest.h>

#include "prepaid/http/audit_log.hpp"
#include "prepaid/http/permissions.hpp"

namespace prepaid::backend::http {
namespace {

const domain::Instant T0{std::chrono::seconds(1'700'000'000)};

std::vector<store::Role> roles(store::Store& db) {
  std::vector<store::Role> result;
  EXPECT_TRUE(
      db.read([&](const store::ReadTransaction& tx) -> std::expected<void, store::StoreError> {
        auto found = tx.operators().roles();
        if (!found) {
          return std::unexpected(found.error());
        }
        result = *found;
        return {};
      }));
  return result;
}

TEST(AccessAdminTest, BuiltinRolesAreCreatedOnceWithTheirPermissions) {
  testing::TempStore temp;
  EXPECT_EQ(ensureBuiltinRoles(temp.store(), T0, "test").value(), 4);
  EXPECT_EQ(ensureBuiltinRoles(temp.store(), T0, "test").value(), 0);
  const auto all = roles(temp.store());
  const auto admin = std::ranges::find(all, "admin", &store::Role::name);
  ASSERT_NE(admin, all.end());
  EXPECT_EQ(admin->permissions.size(), allPermissions().size());
  const auto cashier = std::ranges::find(all, "cashier", &store::Role::name);
  ASSERT_NE(cashier, all.end());
  EXPECT_EQ(std::ranges::count(cashier->permissions, "tariffs.manage"), 0);
}

TEST(AccessAdminTest, AnExistingAdminRoleGetsPermissionsAddedLaterAudited) {
  testing::TempStore temp;
  auto& db = temp.store();
  // A site created before tariffs.manage existed: its admin role lacks it.
  ASSERT_TRUE(db.write([](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
    store::Role admin{0, "admin", {}};
    for (const auto& info : allPermissions()) {
      if (info.permission != Permission::TariffsManage) {
        admin.permissions.emplace_back(info.name);
      }
    }
    auto added = tx.operators().addRole(admin);
    if (!added) {
      return std::unexpected(added.error());
    }
    return {};
  }));
  EXPECT_EQ(ensureBuiltinRoles(db, T0, "prepaid-backend").value(), 3);  // the other three
  const auto all = roles(db);
  const auto admin = std::ranges::find(all, "admin", &store::Role::name);
  ASSERT_NE(admin, all.end());
  EXPECT_EQ(std::ranges::count(admin->permissions, "tariffs.manage"), 1);
  EXPECT_EQ(admin->permissions.size(), allPermissions().size());

  std::vector<store::AuditRecord> updates;
  ASSERT_TRUE(
      db.read([&](const store::ReadTransaction& tx) -> std::expected<void, store::StoreError> {
        store::AuditQuery query;
        query.action = "role.update";
        auto found = tx.audit().find(query);
        if (!found) {
          return std::unexpected(found.error());
        }
        updates = *found;
        return {};
      }));
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].actor, "prepaid-backend");
  EXPECT_EQ(updates[0].beforeJson.find("tariffs.manage"), std::string::npos);
  EXPECT_NE(updates[0].afterJson.find("tariffs.manage"), std::string::npos);
  EXPECT_TRUE(verifyAuditChain(db).value().ok());

  // Nothing left to add: no further record.
  EXPECT_EQ(ensureBuiltinRoles(db, T0, "prepaid-backend").value(), 0);
  EXPECT_TRUE(verifyAuditChain(db).value().recordsChecked > 0);
}

}  // namespace
}  // namespace prepaid::backend::http
