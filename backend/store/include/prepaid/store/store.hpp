#pragma once

// The store: one SQLite database file per site, reached only through this interface.
//
// Transaction rules (see backend/store/README.md):
// - write() runs the callback in BEGIN IMMEDIATE … COMMIT on the single writer connection
//   (writers are serialised by a mutex in this process and by SQLite's lock across processes).
//   The callback's error, or an exception escaping it, rolls everything back. Money-moving work
//   (ledger entries, recharge commands, purchase counts, claiming a command) uses
//   Durability::Full (synchronous=FULL): the commit is on disk when write() returns.
// - read() runs the callback in a read transaction on a pooled reader connection: a consistent
//   snapshot that never blocks and is never blocked by the writer (WAL).
// - Do not call write() or read() from inside a callback (returns InvalidArgument).
// - Every method is thread-safe.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <vector>

#include "prepaid/store/reading_repository.hpp"
#include "prepaid/store/store_error.hpp"
#include "prepaid/store/transaction.hpp"

namespace prepaid::store {

enum class Durability {
  Full,    // synchronous=FULL: durable across power loss at commit (money)
  Normal,  // synchronous=NORMAL: durable across a process crash; the last commits may be lost
           // on power loss (readings, which the next pass reads again)
};

struct StoreOptions {
  std::int64_t busyTimeoutMs = 5000;  // wait for another process's lock before Busy
  std::size_t readerConnections = 4;  // reader pool size (more readers wait for a free one)
  enum class Create { IfMissing, MustExist } create = Create::IfMissing;
};

using WriteWork = std::function<std::expected<void, StoreError>(WriteTransaction&)>;
using ReadWork = std::function<std::expected<void, StoreError>(const ReadTransaction&)>;

class Store {
 public:
  virtual ~Store() = default;

  /// Runs `work` in one write transaction (see the rules above); commits when it returns a
  /// value, rolls back and returns its error otherwise. Busy when the lock is not obtained
  /// within the busy timeout.
  [[nodiscard]] virtual std::expected<void, StoreError> write(
      const WriteWork& work, Durability durability = Durability::Full) = 0;
  /// Runs `work` in one read transaction on a reader connection.
  [[nodiscard]] virtual std::expected<void, StoreError> read(const ReadWork& work) = 0;

  /// Group commit: stores a batch of readings and their roll-ups in one transaction with
  /// Durability::Normal. Stale readings are skipped and counted, not errors.
  [[nodiscard]] virtual std::expected<ReadingBatchResult, StoreError> writeReadings(
      const std::vector<Reading>& readings) = 0;

  /// Recomputes every meter's balance from the ledger and compares it with the cache.
  [[nodiscard]] virtual std::expected<LedgerVerification, StoreError> verifyLedger() = 0;

  /// Online backup (SQLite backup API) of a consistent snapshot into a new file `destination`
  /// (refused with InvalidArgument if it exists). Writers continue meanwhile.
  [[nodiscard]] virtual std::expected<void, StoreError> backupTo(
      const std::filesystem::path& destination) = 0;

  /// The schema version of the open database (== latestSchemaVersion() once open).
  [[nodiscard]] virtual std::int64_t schemaVersion() const = 0;
};

/// The schema version this program migrates to.
[[nodiscard]] std::int64_t latestSchemaVersion();

/// Opens (creating if allowed) the SQLite database at `path`, sets WAL, foreign keys and the busy
/// timeout, and applies pending migrations in one transaction. SchemaTooNew if the file was
/// written by a newer program (the file is left untouched); Corrupt if it is not a database.
[[nodiscard]] std::expected<std::unique_ptr<Store>, StoreError> openSqliteStore(
    const std::filesystem::path& path, const StoreOptions& options = {});

}  // namespace prepaid::store
