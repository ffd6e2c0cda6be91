#include "codec.hpp"
#include "sqlite_repositories.hpp"

namespace prepaid::store::detail {

namespace {

constexpr std::string_view AccountColumns =
    "SELECT id, tenant_id, state, opened_at, closed_at FROM accounts";

Account accountFrom(const Statement& row) {
  return Account{row.int64(0), row.int64(1),
                 parseIn(AccountStateNames, row.text(2), "account state"), fromEpoch(row.int64(3)),
                 fromEpoch(row.optInt64(4))};
}

Account loadAccount(Connection& db, AccountId id) {
  auto row = db.prepare(std::string(AccountColumns) + " WHERE id = ?1");
  row.bindAll(id);
  if (!row.step()) {
    fail(StoreErrorCode::NotFound, "account " + std::to_string(id) + " not found");
  }
  return accountFrom(row);
}

void attachMeter(Connection& db, AccountId account, MeterId meter, domain::Instant at) {
  auto current = db.prepare(
      "SELECT account_id FROM account_meters WHERE meter_id = ?1 AND removed_at IS NULL");
  current.bindAll(meter);
  if (current.step()) {
    fail(StoreErrorCode::Duplicate, "meter " + std::to_string(meter) + " is already on account " +
                                        std::to_string(current.int64(0)));
  }
  // Re-adding a meter that once left this account reopens its row.
  db.run(
      "INSERT INTO account_meters (account_id, meter_id, added_at, removed_at) "
      "VALUES (?1, ?2, ?3, NULL) ON CONFLICT (account_id, meter_id) DO UPDATE SET "
      "added_at = excluded.added_at, removed_at = NULL",
      account, meter, toEpoch(at));
}

}  // namespace

std::expected<Tenant, StoreError> SqliteAccountRepository::addTenant(const Tenant& tenant) {
  return guard([&] {
    if (tenant.name.empty()) {
      fail(StoreErrorCode::InvalidArgument, "a tenant needs a name");
    }
    m_ctx.db().run("INSERT INTO tenants (name, phone, pin_hash) VALUES (?1, ?2, ?3)", tenant.name,
                   tenant.phone, tenant.pinHash);
    Tenant stored = tenant;
    stored.id = m_ctx.db().lastInsertRowId();
    return stored;
  });
}

std::expected<void, StoreError> SqliteAccountRepository::updateTenant(const Tenant& tenant) {
  return guard([&] {
    if (m_ctx.db().run("UPDATE tenants SET name = ?2, phone = ?3, pin_hash = ?4 WHERE id = ?1",
                       tenant.id, tenant.name, tenant.phone, tenant.pinHash) == 0) {
      fail(StoreErrorCode::NotFound, "tenant " + std::to_string(tenant.id) + " not found");
    }
  });
}

std::expected<Tenant, StoreError> SqliteAccountRepository::tenant(TenantId id) const {
  return guard([&] {
    auto row = m_ctx.db().prepare("SELECT id, name, phone, pin_hash FROM tenants WHERE id = ?1");
    row.bindAll(id);
    if (!row.step()) {
      fail(StoreErrorCode::NotFound, "tenant " + std::to_string(id) + " not found");
    }
    return Tenant{row.int64(0), row.text(1), row.text(2), row.text(3)};
  });
}

std::expected<Account, StoreError> SqliteAccountRepository::openAccount(
    TenantId tenant, const std::vector<MeterId>& meters, domain::Instant at) {
  return guard([&] {
    auto& db = m_ctx.db();
    db.run(
        "INSERT INTO accounts (tenant_id, state, opened_at, closed_at) VALUES (?1, 'open', ?2, "
        "NULL)",
        tenant, toEpoch(at));
    const AccountId id = db.lastInsertRowId();
    for (const MeterId meter : meters) {
      attachMeter(db, id, meter, at);
    }
    return Account{id, tenant, AccountState::Open, at, std::nullopt};
  });
}

std::expected<void, StoreError> SqliteAccountRepository::addMeter(AccountId account, MeterId meter,
                                                                  domain::Instant at) {
  return guard([&] {
    if (loadAccount(m_ctx.db(), account).state != AccountState::Open) {
      fail(StoreErrorCode::InvalidTransition,
           "account " + std::to_string(account) + " is closed: cannot add a meter");
    }
    attachMeter(m_ctx.db(), account, meter, at);
  });
}

std::expected<void, StoreError> SqliteAccountRepository::removeMeter(AccountId account,
                                                                     MeterId meter,
                                                                     domain::Instant at) {
  return guard([&] {
    if (m_ctx.db().run("UPDATE account_meters SET removed_at = ?3 WHERE account_id = ?1 AND "
                       "meter_id = ?2 AND removed_at IS NULL",
                       account, meter, toEpoch(at)) == 0) {
      fail(StoreErrorCode::NotFound,
           "meter " + std::to_string(meter) + " is not on account " + std::to_string(account));
    }
  });
}

std::expected<void, StoreError> SqliteAccountRepository::closeAccount(AccountId account,
                                                                      domain::Instant at) {
  return guard([&] {
    auto& db = m_ctx.db();
    if (loadAccount(db, account).state != AccountState::Open) {
      fail(StoreErrorCode::InvalidTransition,
           "account " + std::to_string(account) + " is already closed");
    }
    db.run("UPDATE accounts SET state = 'closed', closed_at = ?2 WHERE id = ?1", account,
           toEpoch(at));
    db.run("UPDATE account_meters SET removed_at = ?2 WHERE account_id = ?1 AND removed_at IS NULL",
           account, toEpoch(at));
  });
}

std::expected<Account, StoreError> SqliteAccountRepository::account(AccountId id) const {
  return guard([&] { return loadAccount(m_ctx.db(), id); });
}

std::expected<std::optional<Account>, StoreError> SqliteAccountRepository::openAccountOfMeter(
    MeterId meter) const {
  return guard([&]() -> std::optional<Account> {
    auto row = m_ctx.db().prepare(
        "SELECT a.id, a.tenant_id, a.state, a.opened_at, a.closed_at FROM accounts a "
        "JOIN account_meters am ON am.account_id = a.id "
        "WHERE am.meter_id = ?1 AND am.removed_at IS NULL AND a.state = 'open'");
    row.bindAll(meter);
    if (!row.step()) {
      return std::nullopt;
    }
    return accountFrom(row);
  });
}

std::expected<std::vector<Account>, StoreError> SqliteAccountRepository::accountsOfTenant(
    TenantId tenant) const {
  return guard([&] {
    std::vector<Account> result;
    auto row = m_ctx.db().prepare(std::string(AccountColumns) +
                                  " WHERE tenant_id = ?1 ORDER BY opened_at DESC, id DESC");
    row.bindAll(tenant);
    while (row.step()) {
      result.push_back(accountFrom(row));
    }
    return result;
  });
}

std::expected<std::vector<AccountMeter>, StoreError> SqliteAccountRepository::metersOf(
    AccountId account, History history) const {
  return guard([&] {
    std::vector<AccountMeter> result;
    auto row = m_ctx.db().prepare(
        "SELECT account_id, meter_id, added_at, removed_at FROM account_meters "
        "WHERE account_id = ?1 AND (?2 = 1 OR removed_at IS NULL) ORDER BY added_at, meter_id");
    row.bindAll(account, history == History::Include ? 1 : 0);
    while (row.step()) {
      result.push_back(AccountMeter{row.int64(0), row.int64(1), fromEpoch(row.int64(2)),
                                    fromEpoch(row.optInt64(3))});
    }
    return result;
  });
}

}  // namespace prepaid::store::detail
