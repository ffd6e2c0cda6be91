#pragma once

// Staff permissions, one per function of DOMAIN.md "Staff functions", grouped as there. A role is
// a named set of permissions; an operator has one role. Built-in roles are created on first start
// (ensureBuiltinRoles) and may be edited like any other.

#include <array>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace prepaid::backend::http {

enum class Permission {
  // 1. Login management
  OperatorsManage,  // operators and roles (权限)
  AuditRead,        // operation log (操作日志) and its verification
  // 2. System settings
  SiteConfigure,  // buildings/floors, shops, gateways, meters (+ import), defaults, kiosks
  TariffsManage,  // tariffs (电价): create, price changes (调价)
  // 3. Accounts
  AccountsManage,  // open/close accounts, add meters, transfers, QR cards
  AccountsRead,    // open-account and close queries, meter status list, reading history
  BatchControl,    // batch operations: price, settings, keep power, resume, trip, close, read
  // 4. Sales
  SalesSell,     // 售电
  SalesRefund,   // 退电
  SalesCorrect,  // 冲正
  SalesRead,     // sales and refund queries, receipts
  // 5. Reports
  ReportsRead,  // realtime alarms, alarm history, reports
};

struct PermissionInfo {
  Permission permission;
  std::string_view name;   // stable wire/storage name, e.g. "sales.sell"
  std::string_view group;  // DOMAIN.md group: "login", "settings", "accounts", "sales", "reports"
  std::string_view description;
};

/// Every permission with its name, group and description.
[[nodiscard]] std::span<const PermissionInfo> allPermissions();
[[nodiscard]] std::string_view toString(Permission permission);
[[nodiscard]] std::optional<Permission> parsePermission(std::string_view name);

struct BuiltinRole {
  std::string_view name;
  std::vector<Permission> permissions;
};

/// admin (everything), cashier (sales + account reads), technician (settings, batch control,
/// reads), viewer (reads and reports).
[[nodiscard]] std::span<const BuiltinRole> builtinRoles();

}  // namespace prepaid::backend::http
