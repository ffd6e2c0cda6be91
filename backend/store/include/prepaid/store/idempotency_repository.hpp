#pragma once

// Stored API responses by Idempotency-Key, so that a replayed POST returns the first response.

#include <cstdint>
#include <expected>
#include <optional>
#include <string>

#include "prepaid/domain/time.hpp"
#include "prepaid/store/store_error.hpp"

namespace prepaid::store {

struct IdempotencyRecord {
  std::string key;          // the client's Idempotency-Key (scoped by the caller if needed)
  std::string requestHash;  // hash of method + path + body, computed by the HTTP layer
  std::int64_t responseStatus = 0;
  std::string responseBody;
  domain::Instant createdAt{};
};

enum class SaveOutcome {
  Saved,     // the record was stored
  Replayed,  // the key existed with the same request hash: that record is returned
};

struct SaveResult {
  IdempotencyRecord record;
  SaveOutcome outcome = SaveOutcome::Saved;
};

class IdempotencyRepository {
 public:
  virtual ~IdempotencyRepository() = default;

  /// The record for a key, or nullopt.
  [[nodiscard]] virtual std::expected<std::optional<IdempotencyRecord>, StoreError> find(
      const std::string& key) const = 0;
  /// Stores a record. Same key and same request hash: Replayed with the stored record; same key
  /// and another hash: IdempotencyConflict. InvalidArgument for an empty key or hash.
  [[nodiscard]] virtual std::expected<SaveResult, StoreError> save(
      const IdempotencyRecord& record) = 0;
  /// Deletes records created before `before`; returns how many.
  [[nodiscard]] virtual std::expected<std::int64_t, StoreError> purgeBefore(
      domain::Instant before) = 0;
};

}  // namespace prepaid::store
