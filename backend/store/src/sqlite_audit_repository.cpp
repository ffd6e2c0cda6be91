#include "codec.hpp"
#include "sqlite_access_repositories.hpp"
#include "sqlite_repositories.hpp"

namespace prepaid::store::detail {

namespace {

constexpr std::string_view AuditColumns =
    "SELECT id, at, actor, action, target, before_json, after_json, client, outcome, "
    "previous_hash, hash FROM audit_log ";

AuditRecord recordFromRow(const Statement& row) {
  AuditRecord record;
  record.id = row.int64(0);
  record.at = fromEpoch(row.int64(1));
  record.actor = row.text(2);
  record.action = row.text(3);
  record.target = row.text(4);
  record.beforeJson = row.text(5);
  record.afterJson = row.text(6);
  record.client = row.text(7);
  record.outcome = row.text(8);
  record.previousHash = row.text(9);
  record.hash = row.text(10);
  return record;
}

}  // namespace

std::expected<AuditRecord, StoreError> SqliteAuditRepository::append(const AuditRecord& record) {
  return guard([&] {
    if (record.actor.empty() || record.action.empty() || record.hash.empty()) {
      fail(StoreErrorCode::InvalidArgument, "an audit record needs an actor, action and hash");
    }
    m_ctx.db().run(
        "INSERT INTO audit_log (at, actor, action, target, before_json, after_json, client, "
        "outcome, previous_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        toEpoch(record.at), record.actor, record.action, record.target, record.beforeJson,
        record.afterJson, record.client, record.outcome, record.previousHash, record.hash);
    AuditRecord added = record;
    added.id = m_ctx.db().lastInsertRowId();
    return added;
  });
}

std::expected<std::optional<AuditRecord>, StoreError> SqliteAuditRepository::last() const {
  return guard([&]() -> std::optional<AuditRecord> {
    auto row = m_ctx.db().prepare(std::string(AuditColumns) + "ORDER BY id DESC LIMIT 1");
    if (!row.step()) {
      return std::nullopt;
    }
    return recordFromRow(row);
  });
}

std::expected<std::vector<AuditRecord>, StoreError> SqliteAuditRepository::range(
    AuditId afterId, std::int64_t limit) const {
  return guard([&] {
    auto row = m_ctx.db().prepare(std::string(AuditColumns) + "WHERE id > ?1 ORDER BY id LIMIT ?2");
    row.bindAll(afterId, limit);
    std::vector<AuditRecord> records;
    while (row.step()) {
      records.push_back(recordFromRow(row));
    }
    return records;
  });
}

std::expected<std::vector<AuditRecord>, StoreError> SqliteAuditRepository::find(
    const AuditQuery& query) const {
  return guard([&] {
    // One statement with optional filters (NULL / '' disables a filter) keeps the cache small.
    auto row = m_ctx.db().prepare(
        std::string(AuditColumns) +
        "WHERE (?1 IS NULL OR at >= ?1) AND (?2 IS NULL OR at < ?2) AND (?3 = '' OR actor = ?3) "
        "AND (?4 = '' OR action = ?4) AND (?5 IS NULL OR id < ?5) ORDER BY id DESC LIMIT ?6");
    row.bindAll(toEpoch(query.from), toEpoch(query.to), query.actor, query.action, query.beforeId,
                query.limit);
    std::vector<AuditRecord> records;
    while (row.step()) {
      records.push_back(recordFromRow(row));
    }
    return records;
  });
}

}  // namespace prepaid::store::detail
