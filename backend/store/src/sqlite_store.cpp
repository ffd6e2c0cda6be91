// SqliteStore: one writer connection (serialised by a mutex) and a small pool of reader
// connections, all on the same WAL-mode database file.

#include <condition_variable>
#include <mutex>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "migrations.hpp"
#include "sqlite.hpp"
#include "sqlite_repositories.hpp"

#include "prepaid/store/store.hpp"

namespace prepaid::store {

std::string_view toString(StoreErrorCode code) {
  switch (code) {
    case StoreErrorCode::NotFound:
      return "not_found";
    case StoreErrorCode::Duplicate:
      return "duplicate";
    case StoreErrorCode::IdempotencyConflict:
      return "idempotency_conflict";
    case StoreErrorCode::Constraint:
      return "constraint";
    case StoreErrorCode::InvalidArgument:
      return "invalid_argument";
    case StoreErrorCode::InvalidTransition:
      return "invalid_transition";
    case StoreErrorCode::Busy:
      return "busy";
    case StoreErrorCode::ReadOnly:
      return "read_only";
    case StoreErrorCode::Corrupt:
      return "corrupt";
    case StoreErrorCode::SchemaTooNew:
      return "schema_too_new";
    case StoreErrorCode::Io:
      return "io";
    case StoreErrorCode::Internal:
      return "internal";
  }
  return "unknown";
}

namespace {

using detail::Connection;
using detail::guard;
using detail::SqliteTransaction;

// The store whose callback is running on this thread: a nested write()/read() from inside a
// callback would deadlock on the writer mutex or see a different snapshot, so it is refused.
thread_local const void* t_activeStore = nullptr;

class ActiveScope {
 public:
  explicit ActiveScope(const void* store) { t_activeStore = store; }
  ~ActiveScope() { t_activeStore = nullptr; }
  ActiveScope(const ActiveScope&) = delete;
  ActiveScope& operator=(const ActiveScope&) = delete;
};

void configure(Connection& connection, std::int64_t busyTimeoutMs) {
  connection.exec("PRAGMA busy_timeout = " + std::to_string(busyTimeoutMs));
  connection.exec("PRAGMA foreign_keys = ON");
}

struct Reader {
  std::unique_ptr<Connection> connection;
  std::unique_ptr<SqliteTransaction> transaction;
};

class SqliteStore final : public Store {
 public:
  SqliteStore(std::filesystem::path path, const StoreOptions& options)
      : m_path(std::move(path)), m_options(options) {
    if (m_options.readerConnections == 0) {
      m_options.readerConnections = 1;
    }
  }

  ~SqliteStore() override {
    // Readers first; the writer's close checkpoints the WAL when it is the last connection.
    m_idleReaders.clear();
    m_writerTransaction.reset();
    m_writer.reset();
  }

  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  void open() {
    m_writer =
        std::make_unique<Connection>(m_path, m_options.create == StoreOptions::Create::IfMissing
                                                 ? detail::OpenMode::ReadWriteCreate
                                                 : detail::OpenMode::ReadWrite);
    configure(*m_writer, m_options.busyTimeoutMs);
    // Checked before switching to WAL so that a file from a newer program is not modified at
    // all (WAL mode is recorded in the file header).
    const std::int64_t version = m_writer->queryInt("PRAGMA user_version");
    if (version > detail::migrations().back().version) {
      detail::fail(StoreErrorCode::SchemaTooNew,
                   "database schema version " + std::to_string(version) +
                       " is newer than this program supports (" +
                       std::to_string(detail::migrations().back().version) +
                       "); use a newer prepaid release or restore a backup");
    }
    auto mode = m_writer->prepare("PRAGMA journal_mode = WAL");
    if (!mode.step() || mode.text(0) != "wal") {
      detail::fail(StoreErrorCode::Io, "cannot switch " + m_path.string() + " to WAL mode");
    }
    mode.run();
    m_writer->exec("PRAGMA synchronous = FULL");
    m_synchronous = Durability::Full;
    m_schemaVersion = detail::migrate(*m_writer);
    m_writerTransaction = std::make_unique<SqliteTransaction>(*m_writer);
  }

  std::expected<void, StoreError> write(const WriteWork& work, Durability durability) override {
    if (t_activeStore == this) {
      return std::unexpected(StoreError{StoreErrorCode::InvalidArgument,
                                        "write() called from inside a store callback"});
    }
    std::lock_guard lock(m_writeMutex);
    if (auto begun = guard([&] {
          setSynchronous(durability);
          m_writer->prepare("BEGIN IMMEDIATE").run();
        });
        !begun) {
      return begun;
    }
    std::expected<void, StoreError> result;
    try {
      ActiveScope scope(this);
      result = work(*m_writerTransaction);
    } catch (...) {
      // The caller's exception goes back to the caller, but never with the transaction open.
      m_writer->rollbackQuietly();
      throw;
    }
    if (!result) {
      m_writer->rollbackQuietly();
      return result;
    }
    if (!m_writer->inTransaction()) {
      return std::unexpected(
          StoreError{StoreErrorCode::Internal,
                     "SQLite rolled the transaction back after an error the callback ignored"});
    }
    auto committed = guard([&] { m_writer->prepare("COMMIT").run(); });
    if (!committed) {
      m_writer->rollbackQuietly();
    }
    return committed;
  }

  std::expected<void, StoreError> read(const ReadWork& work) override {
    if (t_activeStore == this) {
      return std::unexpected(StoreError{StoreErrorCode::InvalidArgument,
                                        "read() called from inside a store callback"});
    }
    auto reader = acquireReader();
    if (!reader) {
      return std::unexpected(reader.error());
    }
    Lease lease(*this, std::move(*reader));
    if (auto begun = guard([&] { lease.reader.connection->exec("BEGIN"); }); !begun) {
      return begun;
    }
    std::expected<void, StoreError> result;
    try {
      ActiveScope scope(this);
      result = work(*lease.reader.transaction);
    } catch (...) {
      lease.reader.connection->rollbackQuietly();
      throw;
    }
    // Nothing to keep from a read transaction; ending it releases the WAL snapshot.
    lease.reader.connection->rollbackQuietly();
    return result;
  }

  std::expected<ReadingBatchResult, StoreError> writeReadings(
      const std::vector<Reading>& readings) override {
    ReadingBatchResult result;
    auto written = write(
        [&](WriteTransaction& tx) -> std::expected<void, StoreError> {
          auto inserted = tx.readings().insert(readings);
          if (!inserted) {
            return std::unexpected(inserted.error());
          }
          result = *inserted;
          return {};
        },
        Durability::Normal);
    if (!written) {
      return std::unexpected(written.error());
    }
    return result;
  }

  std::expected<LedgerVerification, StoreError> verifyLedger() override {
    LedgerVerification verification;
    auto done = read([&](const ReadTransaction& tx) -> std::expected<void, StoreError> {
      auto result = tx.ledger().verifyAll();
      if (!result) {
        return std::unexpected(result.error());
      }
      verification = std::move(*result);
      return {};
    });
    if (!done) {
      return std::unexpected(done.error());
    }
    return verification;
  }

  std::expected<void, StoreError> backupTo(const std::filesystem::path& destination) override {
    std::error_code ec;
    if (std::filesystem::exists(destination, ec)) {
      return std::unexpected(StoreError{StoreErrorCode::InvalidArgument,
                                        "backup destination exists: " + destination.string()});
    }
    auto reader = acquireReader();
    if (!reader) {
      return std::unexpected(reader.error());
    }
    Lease lease(*this, std::move(*reader));
    auto result = guard([&] {
      Connection target(destination, detail::OpenMode::ReadWriteCreate);
      sqlite3_backup* backup =
          sqlite3_backup_init(target.handle(), "main", lease.reader.connection->handle(), "main");
      if (backup == nullptr) {
        detail::throwSqlite(target.handle(), sqlite3_errcode(target.handle()), "backup init");
      }
      // One step copies every page under one read transaction: a consistent snapshot, while
      // the writer keeps committing to the WAL.
      const int stepRc = sqlite3_backup_step(backup, -1);
      const int finishRc = sqlite3_backup_finish(backup);
      if (stepRc != SQLITE_DONE) {
        detail::throwSqlite(target.handle(), stepRc, "backup to " + destination.string());
      }
      if (finishRc != SQLITE_OK) {
        detail::throwSqlite(target.handle(), finishRc, "backup to " + destination.string());
      }
    });
    if (!result) {
      std::filesystem::remove(destination, ec);
    }
    return result;
  }

  std::int64_t schemaVersion() const override { return m_schemaVersion; }

 private:
  struct Lease {
    Lease(SqliteStore& store, Reader r) : owner(store), reader(std::move(r)) {}
    ~Lease() { owner.releaseReader(std::move(reader)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    SqliteStore& owner;
    Reader reader;
  };

  void setSynchronous(Durability durability) {
    if (durability != m_synchronous) {
      m_writer->exec(durability == Durability::Full ? "PRAGMA synchronous = FULL"
                                                    : "PRAGMA synchronous = NORMAL");
      m_synchronous = durability;
    }
  }

  std::expected<Reader, StoreError> acquireReader() {
    std::unique_lock lock(m_poolMutex);
    m_poolChanged.wait(lock, [&] {
      return !m_idleReaders.empty() || m_readersCreated < m_options.readerConnections;
    });
    if (!m_idleReaders.empty()) {
      Reader reader = std::move(m_idleReaders.back());
      m_idleReaders.pop_back();
      return reader;
    }
    ++m_readersCreated;
    lock.unlock();
    auto created = guard([&] {
      Reader reader;
      reader.connection = std::make_unique<Connection>(m_path, detail::OpenMode::ReadWrite);
      configure(*reader.connection, m_options.busyTimeoutMs);
      // Belt and braces under the const ReadTransaction interface: SQLite itself refuses writes.
      reader.connection->exec("PRAGMA query_only = ON");
      reader.transaction = std::make_unique<SqliteTransaction>(*reader.connection);
      return reader;
    });
    if (!created) {
      lock.lock();
      --m_readersCreated;
      m_poolChanged.notify_one();
    }
    return created;
  }

  void releaseReader(Reader reader) {
    {
      std::lock_guard lock(m_poolMutex);
      m_idleReaders.push_back(std::move(reader));
    }
    m_poolChanged.notify_one();
  }

  std::filesystem::path m_path;
  StoreOptions m_options;
  std::int64_t m_schemaVersion = 0;

  std::mutex m_writeMutex;
  std::unique_ptr<Connection> m_writer;
  std::unique_ptr<SqliteTransaction> m_writerTransaction;
  Durability m_synchronous = Durability::Full;

  std::mutex m_poolMutex;
  std::condition_variable m_poolChanged;
  std::vector<Reader> m_idleReaders;
  std::size_t m_readersCreated = 0;
};

}  // namespace

std::int64_t latestSchemaVersion() {
  return detail::migrations().back().version;
}

std::expected<std::unique_ptr<Store>, StoreError> openSqliteStore(const std::filesystem::path& path,
                                                                  const StoreOptions& options) {
  std::error_code ec;
  if (options.create == StoreOptions::Create::MustExist && !std::filesystem::exists(path, ec)) {
    return std::unexpected(
        StoreError{StoreErrorCode::NotFound, "database file not found: " + path.string()});
  }
  return guard([&]() -> std::unique_ptr<Store> {
    auto store = std::make_unique<SqliteStore>(path, options);
    store->open();
    return store;
  });
}

}  // namespace prepaid::store
