#include "prepaid/http/permissions.hpp"

#include <algorithm>
#include <set>

#include <gtest/gtest.h>

namespace prepaid::backend::http {
namespace {

TEST(PermissionsTest, NamesAreUniqueAndCoverTheFunctionGroups) {
  std::set<std::string_view> names;
  std::set<std::string_view> groups;
  for (const auto& info : allPermissions()) {
    EXPECT_TRUE(names.insert(info.name).second);
    groups.insert(info.group);
    EXPECT_EQ(parsePermission(info.name), info.permission);
    EXPECT_EQ(toString(info.permission), info.name);
  }
  EXPECT_EQ(groups,
            (std::set<std::string_view>{"login", "settings", "accounts", "sales", "reports"}));
  EXPECT_FALSE(parsePermission("sales.sell; DROP TABLE roles"));
  EXPECT_EQ(parsePermission("tariffs.manage"), Permission::TariffsManage);
}

TEST(PermissionsTest, OnlyAdminChangesPricesByDefault) {
  for (const auto& role : builtinRoles()) {
    EXPECT_EQ(std::ranges::count(role.permissions, Permission::TariffsManage),
              role.name == "admin" ? 1 : 0)
        << role.name;
  }
}

TEST(PermissionsTest, AdminHasEverythingCashierCannotConfigure) {
  const auto roles = builtinRoles();
  ASSERT_EQ(roles[0].name, "admin");
  EXPECT_EQ(roles[0].permissions.size(), allPermissions().size());
  for (const auto& role : roles) {
    if (role.name == "cashier") {
      EXPECT_TRUE(std::ranges::count(role.permissions, Permission::SalesSell) == 1);
      EXPECT_TRUE(std::ranges::count(role.permissions, Permission::SiteConfigure) == 0);
      EXPECT_TRUE(std::ranges::count(role.permissions, Permission::SalesCorrect) == 0);
    }
  }
}

}  // namespace
}  // namespace prepaid::backend::http
