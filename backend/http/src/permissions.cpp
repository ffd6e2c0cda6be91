#include "prepaid/http/permissions.hpp"

namespace prepaid::backend::http {

namespace {

constexpr std::array<PermissionInfo, 12> Permissions = {{
    {Permission::OperatorsManage, "operators.manage", "login", "operators and roles"},
    {Permission::AuditRead, "audit.read", "login", "operation log and its verification"},
    {Permission::SiteConfigure, "site.configure", "settings",
     "buildings, floors, shops, gateways, meters, import, defaults, kiosks"},
    {Permission::TariffsManage, "tariffs.manage", "settings",
     "tariffs: create, price changes (调价)"},
    {Permission::AccountsManage, "accounts.manage", "accounts",
     "open and close accounts, add meters, balance transfer, QR cards"},
    {Permission::AccountsRead, "accounts.read", "accounts",
     "account queries, meter status list, reading history"},
    {Permission::BatchControl, "batch.control", "accounts",
     "price, settings, keep power, resume prepaid, trip, close, read now"},
    {Permission::SalesSell, "sales.sell", "sales", "sell electricity (售电)"},
    {Permission::SalesRefund, "sales.refund", "sales", "refund (退电)"},
    {Permission::SalesCorrect, "sales.correct", "sales", "correction (冲正)"},
    {Permission::SalesRead, "sales.read", "sales", "sales and refund queries, receipts"},
    {Permission::ReportsRead, "reports.read", "reports", "realtime alarms and reports"},
}};

}  // namespace

std::span<const PermissionInfo> allPermissions() {
  return Permissions;
}

std::string_view toString(Permission permission) {
  for (const auto& info : Permissions) {
    if (info.permission == permission) {
      return info.name;
    }
  }
  return "unknown";
}

std::optional<Permission> parsePermission(std::string_view name) {
  for (const auto& info : Permissions) {
    if (info.name == name) {
      return info.permission;
    }
  }
  return std::nullopt;
}

std::span<const BuiltinRole> builtinRoles() {
  static const std::vector<BuiltinRole> roles = [] {
    std::vector<Permission> everything;
    for (const auto& info : Permissions) {
      everything.push_back(info.permission);
    }
    return std::vector<BuiltinRole>{
        {"admin", everything},
        {"cashier",
         {Permission::SalesSell, Permission::SalesRefund, Permission::SalesRead,
          Permission::AccountsRead, Permission::ReportsRead}},
        {"technician",
         {Permission::SiteConfigure, Permission::BatchControl, Permission::AccountsRead,
          Permission::ReportsRead}},
        {"viewer", {Permission::AccountsRead, Permission::SalesRead, Permission::ReportsRead}},
    };
  }();
  return roles;
}

}  // namespace prepaid::backend::http
