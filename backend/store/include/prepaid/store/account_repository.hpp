#pragma once

// Tenants (商户) and their accounts (开户/销户). An account belongs to one tenant and holds one or
// many meters; a meter is on at most one account at a time.

#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "prepaid/domain/time.hpp"
#include "prepaid/store/ids.hpp"
#include "prepaid/store/store_error.hpp"

namespace prepaid::store {

struct Tenant {
  TenantId id = 0;
  std::string name;
  std::string phone;    // may be empty; never shown in full at a kiosk
  std::string pinHash;  // an encoded PIN hash (format owned by the HTTP layer); empty = no PIN
};

enum class AccountState {
  Open,
  Closed,
};

struct Account {
  AccountId id = 0;
  TenantId tenantId = 0;
  AccountState state = AccountState::Open;
  domain::Instant openedAt{};
  std::optional<domain::Instant> closedAt;
};

struct AccountMeter {
  AccountId accountId = 0;
  MeterId meterId = 0;
  domain::Instant addedAt{};
  std::optional<domain::Instant> removedAt;  // set when the account closes or the meter leaves
};

class AccountRepository {
 public:
  virtual ~AccountRepository() = default;

  /// Adds a tenant (tenant.id ignored). InvalidArgument for an empty name.
  [[nodiscard]] virtual std::expected<Tenant, StoreError> addTenant(const Tenant& tenant) = 0;
  /// Replaces name, phone and PIN hash; NotFound when absent.
  [[nodiscard]] virtual std::expected<void, StoreError> updateTenant(const Tenant& tenant) = 0;
  /// One tenant; NotFound when absent.
  [[nodiscard]] virtual std::expected<Tenant, StoreError> tenant(TenantId id) const = 0;

  /// Opens an account for a tenant with its first meters (may be empty). Duplicate when a meter
  /// is already on another open account. Meter status is the caller's (MeterRepository).
  [[nodiscard]] virtual std::expected<Account, StoreError> openAccount(
      TenantId tenant, const std::vector<MeterId>& meters, domain::Instant at) = 0;
  /// Adds a meter to an open account; InvalidTransition if the account is closed, Duplicate if
  /// the meter is on an open account.
  [[nodiscard]] virtual std::expected<void, StoreError> addMeter(AccountId account, MeterId meter,
                                                                 domain::Instant at) = 0;
  /// Removes a meter from an account (e.g. replaced meter); NotFound if it is not on it.
  [[nodiscard]] virtual std::expected<void, StoreError> removeMeter(AccountId account,
                                                                    MeterId meter,
                                                                    domain::Instant at) = 0;
  /// Closes an open account and releases its meters; InvalidTransition if already closed.
  [[nodiscard]] virtual std::expected<void, StoreError> closeAccount(AccountId account,
                                                                     domain::Instant at) = 0;
  /// One account; NotFound when absent.
  [[nodiscard]] virtual std::expected<Account, StoreError> account(AccountId id) const = 0;
  /// The open account a meter is on, or nullopt.
  [[nodiscard]] virtual std::expected<std::optional<Account>, StoreError> openAccountOfMeter(
      MeterId meter) const = 0;
  /// The accounts of a tenant, newest first.
  [[nodiscard]] virtual std::expected<std::vector<Account>, StoreError> accountsOfTenant(
      TenantId tenant) const = 0;
  /// The meters of an account (current ones only unless History::Include).
  enum class History { CurrentOnly, Include };
  [[nodiscard]] virtual std::expected<std::vector<AccountMeter>, StoreError> metersOf(
      AccountId account, History history) const = 0;
};

}  // namespace prepaid::store
