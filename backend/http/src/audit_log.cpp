#include "prepaid/http/audit_log.hpp"

#include "prepaid/http/crypto.hpp"

namespace prepaid::backend::http {

namespace {

void field(std::string& out, std::string_view value) {
  out += std::to_string(value.size());
  out += ':';
  out += value;
  out += ';';
}

}  // namespace

std::string auditRecordHash(const store::AuditRecord& record) {
  std::string input;
  input.reserve(256 + record.beforeJson.size() + record.afterJson.size());
  field(input, "prepaid-audit-v1");
  field(input, record.previousHash);
  field(input, std::to_string(record.at.time_since_epoch().count()));
  field(input, record.actor);
  field(input, record.action);
  field(input, record.target);
  field(input, record.beforeJson);
  field(input, record.afterJson);
  field(input, record.client);
  field(input, record.outcome);
  return sha256Hex(input);
}

std::expected<store::AuditRecord, store::StoreError> appendAudit(store::WriteTransaction& tx,
                                                                 const AuditEntry& entry) {
  auto last = tx.audit().last();
  if (!last) {
    return std::unexpected(last.error());
  }
  store::AuditRecord record;
  record.at = entry.at;
  record.actor = entry.actor.empty() ? "unknown" : entry.actor;
  record.action = entry.action;
  record.target = entry.target;
  record.beforeJson = entry.beforeJson;
  record.afterJson = entry.afterJson;
  record.client = entry.client;
  record.outcome = entry.outcome;
  record.previousHash = *last ? (*last)->hash : std::string();
  record.hash = auditRecordHash(record);
  return tx.audit().append(record);
}

std::expected<store::AuditRecord, store::StoreError> appendAudit(store::Store& store,
                                                                 const AuditEntry& entry) {
  store::AuditRecord appended;
  auto written =
      store.write([&](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
        auto record = appendAudit(tx, entry);
        if (!record) {
          return std::unexpected(record.error());
        }
        appended = *record;
        return {};
      });
  if (!written) {
    return std::unexpected(written.error());
  }
  return appended;
}

std::expected<AuditVerification, store::StoreError> verifyAuditChain(
    store::Store& store, const std::optional<std::string>& expectedHead) {
  AuditVerification verification;
  auto read =
      store.read([&](const store::ReadTransaction& tx) -> std::expected<void, store::StoreError> {
        constexpr std::int64_t Page = 1000;
        store::AuditId after = 0;
        std::string previousHash;
        while (true) {
          auto page = tx.audit().range(after, Page);
          if (!page) {
            return std::unexpected(page.error());
          }
          for (const auto& record : *page) {
            if (record.previousHash != previousHash) {
              verification.problems.push_back(
                  {record.id,
                   "previous hash does not match the hash of the record before it "
                   "(a record was removed, inserted or altered before this one)"});
            }
            if (auditRecordHash(record) != record.hash) {
              verification.problems.push_back(
                  {record.id, "hash mismatch: the record's content was altered"});
            }
            previousHash = record.hash;
            after = record.id;
            ++verification.recordsChecked;
          }
          if (static_cast<std::int64_t>(page->size()) < Page) {
            break;
          }
        }
        verification.headHash = previousHash;
        return {};
      });
  if (!read) {
    return std::unexpected(read.error());
  }
  if (expectedHead && *expectedHead != verification.headHash) {
    verification.problems.push_back(
        {0,
         "the newest record's hash is not the expected head hash (records were removed "
         "from the end of the log)"});
  }
  return verification;
}

}  // namespace prepaid::backend::http
