#pragma once

// The audit log (操作日志): one record per staff action, chained by hashes. The store keeps the
// records append-only (database triggers refuse UPDATE and DELETE); computing and verifying the
// SHA-256 chain is the HTTP layer's (prepaid::backend::http::AuditLog).

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "prepaid/domain/time.hpp"
#include "prepaid/store/store_error.hpp"

namespace prepaid::store {

using AuditId = std::int64_t;

struct AuditRecord {
  AuditId id = 0;            // 1, 2, 3, … in append order (assigned by the store)
  domain::Instant at{};      // when the action happened (UTC)
  std::string actor;         // operator username, "kiosk:<name>" or a service name
  std::string action;        // e.g. "meter.create", "sale", "login.failed"
  std::string target;        // what was acted on, e.g. "meter:12"; may be empty
  std::string beforeJson;    // state before (JSON text, "null" when none)
  std::string afterJson;     // state after (JSON text, "null" when none)
  std::string client;        // remote address and user agent
  std::string outcome;       // "ok" or an error code
  std::string previousHash;  // hex SHA-256 of the previous record ("" for the first)
  std::string hash;          // hex SHA-256 over previousHash and this record's fields
};

struct AuditQuery {
  std::optional<domain::Instant> from;  // at >= from
  std::optional<domain::Instant> to;    // at < to
  std::string actor;                    // exact match when not empty
  std::string action;                   // exact match when not empty
  std::int64_t limit = 100;             // newest first, at most this many
  std::optional<AuditId> beforeId;      // id < beforeId (paging)
};

class AuditRepository {
 public:
  virtual ~AuditRepository() = default;

  /// Appends a record (id ignored, assigned next); InvalidArgument for an empty actor, action
  /// or hash. Call in the same write transaction that read last(), so the chain cannot fork.
  [[nodiscard]] virtual std::expected<AuditRecord, StoreError> append(
      const AuditRecord& record) = 0;
  /// The newest record, or nullopt for an empty log.
  [[nodiscard]] virtual std::expected<std::optional<AuditRecord>, StoreError> last() const = 0;
  /// Records with id > afterId in id order, at most `limit` (for the verifier).
  [[nodiscard]] virtual std::expected<std::vector<AuditRecord>, StoreError> range(
      AuditId afterId, std::int64_t limit) const = 0;
  /// Records matching a query, newest first.
  [[nodiscard]] virtual std::expected<std::vector<AuditRecord>, StoreError> find(
      const AuditQuery& query) const = 0;
};

}  // namespace prepaid::store
