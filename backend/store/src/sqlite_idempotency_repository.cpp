#include "codec.hpp"
#include "sqlite_repositories.hpp"

namespace prepaid::store::detail {

std::expected<std::optional<IdempotencyRecord>, StoreError> SqliteIdempotencyRepository::find(
    const std::string& key) const {
  return guard([&]() -> std::optional<IdempotencyRecord> {
    auto row = m_ctx.db().prepare(
        "SELECT idempotency_key, request_hash, response_status, response_body, created_at "
        "FROM idempotency_records WHERE idempotency_key = ?1");
    row.bindAll(key);
    if (!row.step()) {
      return std::nullopt;
    }
    return IdempotencyRecord{row.text(0), row.text(1), row.int64(2), row.text(3),
                             fromEpoch(row.int64(4))};
  });
}

std::expected<SaveResult, StoreError> SqliteIdempotencyRepository::save(
    const IdempotencyRecord& record) {
  return guard([&] {
    if (record.key.empty() || record.requestHash.empty()) {
      fail(StoreErrorCode::InvalidArgument, "an idempotency record needs a key and a request hash");
    }
    auto existing = find(record.key);
    if (!existing) {
      throw SqliteError(existing.error().code, existing.error().message);
    }
    if (*existing) {
      if ((*existing)->requestHash != record.requestHash) {
        fail(StoreErrorCode::IdempotencyConflict,
             "idempotency key '" + record.key + "' was used for a different request");
      }
      return SaveResult{**existing, SaveOutcome::Replayed};
    }
    m_ctx.db().run(
        "INSERT INTO idempotency_records (idempotency_key, request_hash, response_status, "
        "response_body, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        record.key, record.requestHash, record.responseStatus, record.responseBody,
        toEpoch(record.createdAt));
    return SaveResult{record, SaveOutcome::Saved};
  });
}

std::expected<std::int64_t, StoreError> SqliteIdempotencyRepository::purgeBefore(
    domain::Instant before) {
  return guard([&] {
    return m_ctx.db().run("DELETE FROM idempotency_records WHERE created_at < ?1", toEpoch(before));
  });
}

}  // namespace prepaid::store::detail
