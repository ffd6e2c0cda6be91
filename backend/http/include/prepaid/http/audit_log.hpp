#pragma once

// The audit log's hash chain. Every record's hash is SHA-256 over the previous record's hash and
// this record's fields (length-prefixed, so no two field sequences give the same input):
//   hash_n = SHA256( "prepaid-audit-v1" | previousHash | at | actor | action | target | before |
//                    after | client | outcome )
// Changing, inserting or deleting a record breaks the chain at that record (deleting the newest
// records is detected only against an externally kept head hash: see README.md).

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "prepaid/domain/time.hpp"
#include "prepaid/store/audit_repository.hpp"
#include "prepaid/store/store.hpp"

namespace prepaid::backend::http {

/// What a caller records; hashes and id are filled in by appendAudit.
struct AuditEntry {
  domain::Instant at{};
  std::string actor;
  std::string action;
  std::string target;
  std::string beforeJson = "null";
  std::string afterJson = "null";
  std::string client;
  std::string outcome = "ok";
};

/// The record hash of `record` given its previousHash (the record's own `hash` is ignored).
[[nodiscard]] std::string auditRecordHash(const store::AuditRecord& record);

/// Appends `entry` to the chain inside the caller's write transaction (so the record commits
/// with the change it describes, and the store's single writer keeps the chain linear).
[[nodiscard]] std::expected<store::AuditRecord, store::StoreError> appendAudit(
    store::WriteTransaction& tx, const AuditEntry& entry);

/// appendAudit in its own write transaction.
[[nodiscard]] std::expected<store::AuditRecord, store::StoreError> appendAudit(
    store::Store& store, const AuditEntry& entry);

struct AuditProblem {
  store::AuditId recordId = 0;
  std::string reason;  // "hash mismatch (record altered)", "previous hash does not match …"
};

struct AuditVerification {
  std::int64_t recordsChecked = 0;
  std::string headHash;                // hash of the newest record ("" when empty)
  std::vector<AuditProblem> problems;  // empty when the chain is intact
  [[nodiscard]] bool ok() const { return problems.empty(); }
};

/// Walks the whole chain (in pages, one read snapshot) and reports every record whose hash does
/// not recompute or whose previousHash is not its predecessor's hash. `expectedHead`, when
/// given, must equal the newest record's hash (detects truncation).
[[nodiscard]] std::expected<AuditVerification, store::StoreError> verifyAuditChain(
    store::Store& store, const std::optional<std::string>& expectedHead = std::nullopt);

}  // namespace prepaid::backend::http
