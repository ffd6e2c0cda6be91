#pragma once

// Audit records of prepaidctl: the same hash-chained log (prepaid/http/audit_log.hpp) the HTTP
// layer appends to, with actor "prepaidctl:<OS user>" and client "prepaidctl" (README.md
// "Audit"). Header-only: every prepaidctl command file includes it.

#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <pwd.h>
#include <unistd.h>

#include "prepaid/http/audit_log.hpp"
#include "prepaid/store/store.hpp"

namespace prepaid::backend::ctl {

/// The client name of every prepaidctl audit record.
inline constexpr const char* AuditClient = "prepaidctl";

/// "prepaidctl:<login name of the effective user>" ("prepaidctl:uid<N>" when the user has no
/// passwd entry, as in some containers).
inline std::string auditActor() {
  const uid_t uid = ::geteuid();
  // getpwuid_r: the name comes from the password database, not from $USER, which the caller
  // can set to anything.
  std::vector<char> buffer(16384);
  struct passwd entry {};
  struct passwd* found = nullptr;
  if (::getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr &&
      found->pw_name != nullptr && found->pw_name[0] != '\0') {
    return std::string("prepaidctl:") + found->pw_name;
  }
  return "prepaidctl:uid" + std::to_string(uid);
}

/// An entry stamped with auditActor(), AuditClient and the current second.
inline http::AuditEntry auditEntry(std::string action, std::string target,
                                   const nlohmann::json& before, const nlohmann::json& after,
                                   std::string outcome = "ok") {
  http::AuditEntry entry;
  entry.at = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  entry.actor = auditActor();
  entry.action = std::move(action);
  entry.target = std::move(target);
  entry.beforeJson = before.dump();
  entry.afterJson = after.dump();
  entry.client = AuditClient;
  entry.outcome = std::move(outcome);
  return entry;
}

/// Appends `entry` in its own write transaction. A failure is reported on stderr (the action it
/// describes has already happened and is not undone) and returned as false.
inline bool recordAudit(store::Store& db, const http::AuditEntry& entry) {
  if (auto appended = http::appendAudit(db, entry); !appended) {
    std::cerr << "prepaidctl: warning: " << entry.action
              << " done but its audit record was not written: " << appended.error().message << "\n";
    return false;
  }
  return true;
}

/// Opens an existing site database and appends `entry` (meter tools that only have a path).
inline bool recordAudit(const std::string& dbFile, const http::AuditEntry& entry) {
  store::StoreOptions options;
  options.create = store::StoreOptions::Create::MustExist;
  auto opened = store::openSqliteStore(dbFile, options);
  if (!opened) {
    std::cerr << "prepaidctl: warning: " << entry.action << " done but its audit record was not "
              << "written: " << dbFile << ": " << opened.error().message << "\n";
    return false;
  }
  return recordAudit(**opened, entry);
}

}  // namespace prepaid::backend::ctl
