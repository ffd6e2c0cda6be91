#include "codec.hpp"
#include "sqlite_repositories.hpp"

namespace prepaid::store::detail {

namespace {

using domain::EntryKind;

constexpr std::string_view EntryColumns =
    "SELECT id, meter_id, account_id, kind, amount_fen, idempotency_key, referenced_entry_id, "
    "purchase_count, source, note, usage_at, created_at FROM ledger_entries";

LedgerEntry entryFrom(const Statement& row) {
  LedgerEntry e;
  e.id = row.int64(0);
  e.meterId = row.int64(1);
  e.accountId = row.optInt64(2);
  e.kind = parseEntryKindColumn(row.text(3));
  e.amountFen = row.int64(4);
  e.idempotencyKey = row.text(5);
  e.referencedEntryId = row.optInt64(6);
  e.purchaseCount = row.optInt64(7);
  e.source = row.text(8);
  e.note = row.text(9);
  e.usageAt = fromEpoch(row.optInt64(10));
  e.createdAt = fromEpoch(row.int64(11));
  return e;
}

std::optional<LedgerEntry> findByKey(Connection& db, const std::string& key) {
  auto row = db.prepare(std::string(EntryColumns) + " WHERE idempotency_key = ?1");
  row.bindAll(key);
  if (!row.step()) {
    return std::nullopt;
  }
  return entryFrom(row);
}

std::optional<LedgerEntry> findById(Connection& db, LedgerEntryId id) {
  auto row = db.prepare(std::string(EntryColumns) + " WHERE id = ?1");
  row.bindAll(id);
  if (!row.step()) {
    return std::nullopt;
  }
  return entryFrom(row);
}

void validateSign(const LedgerEntry& entry) {
  const auto kind = entry.kind;
  const auto amount = entry.amountFen;
  const bool ok = [&] {
    switch (kind) {
      case EntryKind::Recharge:
      case EntryKind::TransferIn:
        return amount > 0;
      case EntryKind::Refund:
        return amount < 0;
      case EntryKind::Charge:
      case EntryKind::Allocation:
      case EntryKind::TransferOut:
        return amount <= 0;
      case EntryKind::Correction:
      case EntryKind::CloseSettlement:
        return true;
    }
    return false;
  }();
  if (!ok) {
    fail(StoreErrorCode::InvalidArgument, "amount " + std::to_string(amount) +
                                              " fen has the wrong sign for a " +
                                              std::string(domain::toString(kind)) + " entry");
  }
}

void validateCorrection(Connection& db, const LedgerEntry& entry) {
  if (entry.kind != EntryKind::Correction) {
    return;
  }
  if (!entry.referencedEntryId) {
    fail(StoreErrorCode::InvalidArgument, "a correction must reference the entry it reverses");
  }
  const auto original = findById(db, *entry.referencedEntryId);
  if (!original) {
    fail(StoreErrorCode::NotFound,
         "corrected entry " + std::to_string(*entry.referencedEntryId) + " not found");
  }
  if (original->kind != EntryKind::Recharge && original->kind != EntryKind::Refund) {
    fail(StoreErrorCode::InvalidArgument, "only a recharge or a refund can be corrected");
  }
  if (original->meterId != entry.meterId || original->amountFen == INT64_MIN ||
      entry.amountFen != -original->amountFen) {
    fail(StoreErrorCode::InvalidArgument,
         "a correction must exactly reverse entry " + std::to_string(original->id) +
             " on the same meter (amount " + std::to_string(-original->amountFen) + " fen)");
  }
  if (db.queryInt("SELECT COUNT(*) FROM ledger_entries WHERE referenced_entry_id = ?1 AND "
                  "kind = 'correction'",
                  original->id) > 0) {
    fail(StoreErrorCode::InvalidArgument,
         "entry " + std::to_string(original->id) + " is already corrected");
  }
}

}  // namespace

std::expected<AppendResult, StoreError> SqliteLedgerRepository::append(const LedgerEntry& entry) {
  return guard([&] {
    auto& db = m_ctx.db();
    if (entry.idempotencyKey.empty() || entry.source.empty()) {
      fail(StoreErrorCode::InvalidArgument, "a ledger entry needs an idempotency key and a source");
    }
    if (auto existing = findByKey(db, entry.idempotencyKey)) {
      if (existing->meterId == entry.meterId && existing->kind == entry.kind &&
          existing->amountFen == entry.amountFen) {
        return AppendResult{*existing, AppendOutcome::Replayed};
      }
      fail(StoreErrorCode::IdempotencyConflict,
           "idempotency key '" + entry.idempotencyKey + "' already used by entry " +
               std::to_string(existing->id) + " with different meter, kind or amount");
    }
    validateSign(entry);
    validateCorrection(db, entry);

    // The new balance is computed here with an overflow check: SQLite would silently turn an
    // overflowing integer sum into a floating-point value.
    std::int64_t balance = 0;
    std::int64_t count = 0;
    {
      auto row =
          db.prepare("SELECT balance_fen, entry_count FROM meter_balances WHERE meter_id = ?1");
      row.bindAll(entry.meterId);
      if (row.step()) {
        balance = row.int64(0);
        count = row.int64(1);
      }
    }
    std::int64_t newBalance = 0;
    if (__builtin_add_overflow(balance, entry.amountFen, &newBalance)) {
      fail(StoreErrorCode::InvalidArgument,
           "balance of meter " + std::to_string(entry.meterId) + " would overflow");
    }

    db.run(
        "INSERT INTO ledger_entries (meter_id, account_id, kind, amount_fen, idempotency_key, "
        "referenced_entry_id, purchase_count, source, note, usage_at, created_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        entry.meterId, entry.accountId, domain::toString(entry.kind), entry.amountFen,
        entry.idempotencyKey, entry.referencedEntryId, entry.purchaseCount, entry.source,
        entry.note, toEpoch(entry.usageAt), toEpoch(entry.createdAt));
    LedgerEntry stored = entry;
    stored.id = db.lastInsertRowId();

    db.run(
        "INSERT INTO meter_balances (meter_id, balance_fen, entry_count, last_entry_id) "
        "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (meter_id) DO UPDATE SET "
        "balance_fen = excluded.balance_fen, entry_count = excluded.entry_count, "
        "last_entry_id = excluded.last_entry_id",
        entry.meterId, newBalance, count + 1, stored.id);

    if (entry.kind == EntryKind::Charge || entry.kind == EntryKind::Allocation) {
      RollupDelta delta;
      (entry.kind == EntryKind::Charge ? delta.chargedFen : delta.allocatedFen) = -entry.amountFen;
      addToRollups(m_ctx, m_ctx.siteTimeZone(), entry.meterId,
                   entry.usageAt.value_or(entry.createdAt), delta);
    }
    return AppendResult{stored, AppendOutcome::Appended};
  });
}

std::expected<LedgerEntry, StoreError> SqliteLedgerRepository::entry(LedgerEntryId id) const {
  return guard([&] {
    auto found = findById(m_ctx.db(), id);
    if (!found) {
      fail(StoreErrorCode::NotFound, "ledger entry " + std::to_string(id) + " not found");
    }
    return *found;
  });
}

std::expected<std::optional<LedgerEntry>, StoreError> SqliteLedgerRepository::entryByKey(
    const std::string& idempotencyKey) const {
  return guard([&] { return findByKey(m_ctx.db(), idempotencyKey); });
}

std::expected<std::vector<LedgerEntry>, StoreError> SqliteLedgerRepository::entries(
    MeterId meter, domain::Instant from, domain::Instant to, std::int64_t limit) const {
  return guard([&] {
    std::vector<LedgerEntry> result;
    auto row = m_ctx.db().prepare(std::string(EntryColumns) +
                                  " WHERE meter_id = ?1 AND created_at >= ?2 AND created_at < ?3 "
                                  "ORDER BY created_at, id LIMIT ?4");
    row.bindAll(meter, toEpoch(from), toEpoch(to), limit);
    while (row.step()) {
      result.push_back(entryFrom(row));
    }
    return result;
  });
}

std::expected<std::vector<LedgerEntry>, StoreError> SqliteLedgerRepository::correctionsOf(
    LedgerEntryId id) const {
  return guard([&] {
    std::vector<LedgerEntry> result;
    auto row = m_ctx.db().prepare(std::string(EntryColumns) +
                                  " WHERE referenced_entry_id = ?1 AND kind = 'correction' "
                                  "ORDER BY id");
    row.bindAll(id);
    while (row.step()) {
      result.push_back(entryFrom(row));
    }
    return result;
  });
}

std::expected<std::int64_t, StoreError> SqliteLedgerRepository::balanceFen(MeterId meter) const {
  return guard([&]() -> std::int64_t {
    auto row = m_ctx.db().prepare("SELECT balance_fen FROM meter_balances WHERE meter_id = ?1");
    row.bindAll(meter);
    return row.step() ? row.int64(0) : 0;
  });
}

std::expected<BalanceCheck, StoreError> SqliteLedgerRepository::checkBalance(MeterId meter) const {
  return guard([&] {
    BalanceCheck check;
    check.meterId = meter;
    {
      auto row = m_ctx.db().prepare(
          "SELECT balance_fen, entry_count FROM meter_balances WHERE meter_id = ?1");
      row.bindAll(meter);
      if (row.step()) {
        check.cachedFen = row.int64(0);
        check.cachedEntryCount = row.int64(1);
      }
    }
    // COALESCE keeps the sum an integer for a meter without entries; SUM raises "integer
    // overflow" rather than rounding, which surfaces as an error here.
    auto row = m_ctx.db().prepare(
        "SELECT COALESCE(SUM(amount_fen), 0), COUNT(*) FROM ledger_entries WHERE meter_id = ?1");
    row.bindAll(meter);
    row.step();
    check.sumFen = row.int64(0);
    check.entryCount = row.int64(1);
    return check;
  });
}

std::expected<std::int64_t, StoreError> SqliteLedgerRepository::balanceThroughEntryFen(
    MeterId meter, LedgerEntryId id) const {
  return guard([&] {
    auto& db = m_ctx.db();
    if (db.queryInt("SELECT COUNT(*) FROM ledger_entries WHERE id = ?1 AND meter_id = ?2", id,
                    meter) == 0) {
      fail(StoreErrorCode::NotFound, "ledger entry " + std::to_string(id) + " of meter " +
                                         std::to_string(meter) + " not found");
    }
    // Ids grow with every append (INTEGER PRIMARY KEY on an append-only table), so "id <= X" is
    // exactly the entries that existed when X was posted.
    return db.queryInt(
        "SELECT COALESCE(SUM(amount_fen), 0) FROM ledger_entries WHERE meter_id = ?1 AND id <= ?2",
        meter, id);
  });
}

std::expected<LedgerVerification, StoreError> SqliteLedgerRepository::verifyAll() const {
  return guard([&] {
    LedgerVerification result;
    // Every meter with entries or with a cache row; a FULL JOIN written portably as a UNION.
    auto row = m_ctx.db().prepare(
        "SELECT m.meter_id, COALESCE(b.balance_fen, 0), COALESCE(b.entry_count, 0), "
        "COALESCE(s.total, 0), COALESCE(s.n, 0) FROM "
        "(SELECT meter_id FROM ledger_entries UNION SELECT meter_id FROM meter_balances) m "
        "LEFT JOIN meter_balances b ON b.meter_id = m.meter_id "
        "LEFT JOIN (SELECT meter_id, SUM(amount_fen) AS total, COUNT(*) AS n FROM ledger_entries "
        "GROUP BY meter_id) s ON s.meter_id = m.meter_id ORDER BY m.meter_id");
    while (row.step()) {
      BalanceCheck check{row.int64(0), row.int64(1), row.int64(3), row.int64(2), row.int64(4)};
      ++result.metersChecked;
      result.entriesChecked += check.entryCount;
      if (!check.consistent()) {
        result.mismatches.push_back(check);
      }
    }
    return result;
  });
}

}  // namespace prepaid::store::detail
