#include "codec.hpp"
#include "sqlite_access_repositories.hpp"
#include "sqlite_repositories.hpp"

namespace prepaid::store::detail {

std::expected<Kiosk, StoreError> SqliteAccessRepository::addKiosk(const Kiosk& kiosk) {
  return guard([&] {
    if (kiosk.name.empty() || kiosk.keyHash.empty()) {
      fail(StoreErrorCode::InvalidArgument, "a kiosk needs a name and a key hash");
    }
    m_ctx.db().run(
        "INSERT INTO kiosks (name, key_hash, enabled, created_at) VALUES (?1, ?2, ?3, ?4)",
        kiosk.name, kiosk.keyHash, kiosk.enabled == KioskEnabled::Enabled ? 1 : 0,
        toEpoch(kiosk.createdAt));
    Kiosk added = kiosk;
    added.id = m_ctx.db().lastInsertRowId();
    return added;
  });
}

std::expected<void, StoreError> SqliteAccessRepository::setKioskEnabled(KioskId id,
                                                                        KioskEnabled enabled) {
  return guard([&] {
    if (m_ctx.db().run("UPDATE kiosks SET enabled = ?2 WHERE id = ?1", id,
                       enabled == KioskEnabled::Enabled ? 1 : 0) == 0) {
      fail(StoreErrorCode::NotFound, "no kiosk " + std::to_string(id));
    }
  });
}

namespace {

Kiosk kioskFromRow(const Statement& row) {
  Kiosk kiosk;
  kiosk.id = row.int64(0);
  kiosk.name = row.text(1);
  kiosk.keyHash = row.text(2);
  kiosk.enabled = row.int64(3) != 0 ? KioskEnabled::Enabled : KioskEnabled::Disabled;
  kiosk.createdAt = fromEpoch(row.int64(4));
  return kiosk;
}

}  // namespace

std::expected<std::optional<Kiosk>, StoreError> SqliteAccessRepository::kioskByKeyHash(
    const std::string& keyHash) const {
  return guard([&]() -> std::optional<Kiosk> {
    auto row = m_ctx.db().prepare(
        "SELECT id, name, key_hash, enabled, created_at FROM kiosks WHERE key_hash = ?1");
    row.bindAll(keyHash);
    if (!row.step()) {
      return std::nullopt;
    }
    return kioskFromRow(row);
  });
}

std::expected<std::vector<Kiosk>, StoreError> SqliteAccessRepository::kiosks() const {
  return guard([&] {
    auto row = m_ctx.db().prepare(
        "SELECT id, name, key_hash, enabled, created_at FROM kiosks ORDER BY name");
    std::vector<Kiosk> all;
    while (row.step()) {
      all.push_back(kioskFromRow(row));
    }
    return all;
  });
}

std::expected<void, StoreError> SqliteAccessRepository::setAccountCard(const AccountCard& card) {
  return guard([&] {
    if (card.tokenHash.empty()) {
      fail(StoreErrorCode::InvalidArgument, "an account card needs a token hash");
    }
    m_ctx.db().run(
        "INSERT INTO account_cards (account_id, token_hash, issued_at) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (account_id) DO UPDATE SET token_hash = excluded.token_hash, "
        "issued_at = excluded.issued_at",
        card.accountId, card.tokenHash, toEpoch(card.issuedAt));
  });
}

std::expected<std::optional<AccountCard>, StoreError> SqliteAccessRepository::cardByTokenHash(
    const std::string& tokenHash) const {
  return guard([&]() -> std::optional<AccountCard> {
    auto row = m_ctx.db().prepare(
        "SELECT account_id, token_hash, issued_at FROM account_cards WHERE token_hash = ?1");
    row.bindAll(tokenHash);
    if (!row.step()) {
      return std::nullopt;
    }
    return AccountCard{row.int64(0), row.text(1), fromEpoch(row.int64(2))};
  });
}

std::expected<std::optional<Throttle>, StoreError> SqliteAccessRepository::throttle(
    const std::string& subject) const {
  return guard([&]() -> std::optional<Throttle> {
    auto row = m_ctx.db().prepare(
        "SELECT subject, failures, window_start, locked_until FROM throttles WHERE subject = ?1");
    row.bindAll(subject);
    if (!row.step()) {
      return std::nullopt;
    }
    return Throttle{row.text(0), row.int64(1), fromEpoch(row.int64(2)), fromEpoch(row.optInt64(3))};
  });
}

std::expected<void, StoreError> SqliteAccessRepository::putThrottle(const Throttle& throttle) {
  return guard([&] {
    if (throttle.subject.empty() || throttle.failures < 0) {
      fail(StoreErrorCode::InvalidArgument, "a throttle needs a subject and failures >= 0");
    }
    m_ctx.db().run(
        "INSERT INTO throttles (subject, failures, window_start, locked_until) "
        "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (subject) DO UPDATE SET failures = excluded.failures, "
        "window_start = excluded.window_start, locked_until = excluded.locked_until",
        throttle.subject, throttle.failures, toEpoch(throttle.windowStart),
        toEpoch(throttle.lockedUntil));
  });
}

std::expected<void, StoreError> SqliteAccessRepository::clearThrottle(const std::string& subject) {
  return guard([&] { m_ctx.db().run("DELETE FROM throttles WHERE subject = ?1", subject); });
}

}  // namespace prepaid::store::detail
