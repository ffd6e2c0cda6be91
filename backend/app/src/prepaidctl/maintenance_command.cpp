#include "maintenance_command.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "ctl_audit.hpp"
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <sys/file.h>
#include <unistd.h>

#include "prepaid/http/audit_log.hpp"
#include "prepaid/store/store.hpp"

namespace prepaid::backend::ctl {

namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

int fail(const std::string& code, const std::string& message, int exitCode) {
  std::cerr << "prepaidctl: " << message << "\n";
  std::cout << json{{"error", {{"code", code}, {"message", message}}}}.dump() << "\n";
  return exitCode;
}

std::unique_ptr<store::Store> openExisting(const fs::path& db, int& exitCode) {
  store::StoreOptions options;
  options.create = store::StoreOptions::Create::MustExist;
  auto opened = store::openSqliteStore(db, options);
  if (!opened) {
    exitCode = fail(std::string(store::toString(opened.error().code)),
                    db.string() + ": " + opened.error().message, 3);
    return nullptr;
  }
  return std::move(*opened);
}

// The full check of a database: every balance recomputed from the ledger and the audit chain.
// Problems go to stderr, prefixed with `label` ("" for the live database); the JSON report is
// returned. nullopt after a store error (already reported; exitCode set).
std::optional<json> verification(store::Store& db, const std::string& label, int& exitCode) {
  auto ledger = db.verifyLedger();
  if (!ledger) {
    exitCode = fail(std::string(store::toString(ledger.error().code)), ledger.error().message, 3);
    return std::nullopt;
  }
  auto audit = http::verifyAuditChain(db);
  if (!audit) {
    exitCode = fail(std::string(store::toString(audit.error().code)), audit.error().message, 3);
    return std::nullopt;
  }
  json mismatches = json::array();
  for (const auto& check : ledger->mismatches) {
    mismatches.push_back({{"meter_id", check.meterId},
                          {"cached_fen", check.cachedFen},
                          {"ledger_sum_fen", check.sumFen},
                          {"cached_entries", check.cachedEntryCount},
                          {"ledger_entries", check.entryCount}});
    std::cerr << label << "ledger: meter " << check.meterId << ": cached balance "
              << check.cachedFen << " fen (" << check.cachedEntryCount
              << " entries) but the ledger sums to " << check.sumFen << " fen (" << check.entryCount
              << " entries)\n";
  }
  json problems = json::array();
  for (const auto& problem : audit->problems) {
    problems.push_back({{"record_id", problem.recordId}, {"reason", problem.reason}});
    std::cerr << label << "audit: record " << problem.recordId << ": " << problem.reason << "\n";
  }
  return json{{"ok", ledger->ok() && audit->ok()},
              {"ledger",
               {{"meters_checked", ledger->metersChecked},
                {"entries_checked", ledger->entriesChecked},
                {"mismatches", mismatches}}},
              {"audit",
               {{"records_checked", audit->recordsChecked},
                {"head_hash", audit->headHash},
                {"problems", problems}}}};
}

int verify(const std::string& dbFile) {
  int exitCode = 0;
  auto db = openExisting(dbFile, exitCode);
  if (!db) {
    return exitCode;
  }
  auto report = verification(*db, "", exitCode);
  if (!report) {
    return exitCode;
  }
  std::cout << report->dump(2) << "\n";
  return (*report)["ok"].get<bool>() ? 0 : 4;
}

int backup(const std::string& dbFile, const std::string& destination) {
  if (fs::exists(destination)) {
    return fail("invalid_argument", destination + " exists already (refusing to overwrite)", 1);
  }
  int exitCode = 0;
  auto db = openExisting(dbFile, exitCode);
  if (!db) {
    return exitCode;
  }
  // SQLite's online backup copies one consistent snapshot while the backend keeps writing.
  if (auto done = db->backupTo(destination); !done) {
    return fail(std::string(store::toString(done.error().code)), done.error().message, 3);
  }
  std::error_code ec;
  const auto size = fs::file_size(destination, ec);
  std::cout << json{{"backup", destination}, {"bytes", ec ? 0 : size}}.dump() << "\n";
  return 0;
}

// The lock file prepaid-backend holds (flock, exclusive) for as long as it runs.
fs::path lockFileOf(const fs::path& db) {
  return fs::path(db.string() + ".lock");
}

// True when another process holds a POSIX lock on any byte of `file` (SQLite connections hold
// their locks there; a backend older than the lock file or another tool shows up this way).
bool sqliteLocked(const fs::path& file) {
  const int fd = ::open(file.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  struct flock probe {};
  probe.l_type = F_WRLCK;
  probe.l_whence = SEEK_SET;
  probe.l_start = 0;
  probe.l_len = 0;
  const bool locked = ::fcntl(fd, F_GETLK, &probe) == 0 && probe.l_type != F_UNLCK;
  ::close(fd);
  return locked;
}

int restore(const std::string& dbFile, const std::string& source) {
  const fs::path db(dbFile);
  if (!fs::is_regular_file(source)) {
    return fail("invalid_argument", source + ": no such file", 1);
  }
  // Holding the backend's lock for the whole restore keeps a backend from starting meanwhile.
  const auto lockPath = lockFileOf(db);
  const int lockFd = ::open(lockPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lockFd < 0) {
    return fail("io", lockPath.string() + ": " + std::strerror(errno), 3);
  }
  struct LockGuard {
    int fd;
    ~LockGuard() { ::close(fd); }
  } guard{lockFd};
  if (::flock(lockFd, LOCK_EX | LOCK_NB) != 0) {
    return fail(
        "in_use",
        db.string() + " is in use by a running prepaid-backend: stop it first, then restore", 5);
  }
  for (const auto& file : {db, fs::path(db.string() + "-wal"), fs::path(db.string() + "-shm")}) {
    if (fs::exists(file) && sqliteLocked(file)) {
      return fail("in_use", file.string() + " is open in another process: stop it first", 5);
    }
  }
  // Check the backup before touching the live file: copy it next to the target (same file
  // system, so the final rename is atomic), open it (migrates an older schema) and verify it.
  const auto staged = fs::path(db.string() + ".restoring");
  std::error_code ec;
  fs::remove(staged, ec);
  fs::copy_file(source, staged, ec);
  if (ec) {
    return fail("io", "cannot copy " + source + ": " + ec.message(), 3);
  }
  // Both the ledger and the audit chain must verify: a backup whose chain is broken would
  // replace an intact history with a tampered one.
  std::string backupHead;
  {
    int exitCode = 0;
    auto candidate = openExisting(staged, exitCode);
    if (!candidate) {
      fs::remove(staged, ec);
      return exitCode;
    }
    auto report = verification(*candidate, "backup: ", exitCode);
    if (!report || !(*report)["ok"].get<bool>()) {
      candidate.reset();
      for (const auto& file :
           {staged, fs::path(staged.string() + "-wal"), fs::path(staged.string() + "-shm")}) {
        fs::remove(file, ec);
      }
      if (!report) {
        return exitCode;
      }
      const std::string message = source + ": the backup does not verify (" +
                                  std::to_string((*report)["ledger"]["mismatches"].size()) +
                                  " ledger mismatch(es), " +
                                  std::to_string((*report)["audit"]["problems"].size()) +
                                  " audit chain problem(s)); nothing restored";
      std::cerr << "prepaidctl: " << message << "\n";
      std::cout << json{{"error",
                         {{"code", "backup_does_not_verify"},
                          {"message", message},
                          {"details", *report}}}}
                       .dump(2)
                << "\n";
      return 4;
    }
    backupHead = (*report)["audit"]["head_hash"].get<std::string>();
  }
  for (const auto& suffix : {"-wal", "-shm"}) {
    fs::remove(fs::path(staged.string() + suffix), ec);
  }
  fs::path previous;
  if (fs::exists(db)) {
    previous = fs::path(db.string() + ".before-restore");
    fs::remove(previous, ec);
    fs::rename(db, previous, ec);
    if (ec) {
      return fail("io", "cannot move " + db.string() + " aside: " + ec.message(), 3);
    }
    // The old WAL belongs to the old file: left in place it would be replayed into the backup.
    for (const auto& suffix : {"-wal", "-shm"}) {
      fs::remove(fs::path(db.string() + suffix), ec);
    }
  }
  fs::rename(staged, db, ec);
  if (ec) {
    return fail("io", "cannot move the backup into place: " + ec.message(), 3);
  }
  // Recorded in the restored database, continuing the backup's chain: the record names the
  // backup, the head it was verified at and where the replaced database went.
  {
    int exitCode = 0;
    if (auto restored = openExisting(db, exitCode)) {
      recordAudit(*restored,
                  auditEntry("database.restore", "database", nullptr,
                             json{{"from", source},
                                  {"backup_head_hash", backupHead},
                                  {"previous",
                                   previous.empty() ? json(nullptr) : json(previous.string())}}));
    }
  }
  std::cout << json{{"restored", db.string()},
                    {"from", source},
                    {"previous", previous.empty() ? json(nullptr) : json(previous.string())}}
                   .dump()
            << "\n";
  return 0;
}

}  // namespace

void registerMaintenanceCommands(CLI::App& app, CommandResult& result) {
  auto db = std::make_shared<std::string>();
  auto file = std::make_shared<std::string>();

  auto* verifyCommand = app.add_subcommand(
      "verify", "recompute every balance from the ledger and check the audit hash chain");
  verifyCommand->add_option("--db", *db, "site database file")->required();
  verifyCommand->callback([db, &result] { result.exitCode = verify(*db); });

  auto* backupCommand =
      app.add_subcommand("backup", "online backup of the site database (the backend may run)");
  backupCommand->add_option("--db", *db, "site database file")->required();
  backupCommand->add_option("FILE", *file, "backup file to create (must not exist)")->required();
  backupCommand->callback([db, file, &result] { result.exitCode = backup(*db, *file); });

  auto* restoreCommand = app.add_subcommand(
      "restore", "replace the site database with a backup (refused while a backend uses it)");
  restoreCommand->add_option("--db", *db, "site database file to replace")->required();
  restoreCommand->add_option("FILE", *file, "backup file")->required();
  restoreCommand->callback([db, file, &result] { result.exitCode = restore(*db, *file); });
}

}  // namespace prepaid::backend::ctl
