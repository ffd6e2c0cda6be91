#include "sqlite.hpp"

#include <new>

namespace prepaid::store::detail {

StoreErrorCode mapSqliteCode(int extendedCode) {
  switch (extendedCode) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return StoreErrorCode::Duplicate;
    default:
      break;
  }
  switch (extendedCode & 0xff) {
    case SQLITE_CONSTRAINT:
      return StoreErrorCode::Constraint;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return StoreErrorCode::Busy;
    case SQLITE_READONLY:
      return StoreErrorCode::ReadOnly;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return StoreErrorCode::Corrupt;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_NOMEM:
      return StoreErrorCode::Io;
    default:
      return StoreErrorCode::Internal;
  }
}

StoreError currentExceptionToError() {
  try {
    throw;
  } catch (const SqliteError& error) {
    if (error.storeCode()) {
      return StoreError{*error.storeCode(), error.what()};
    }
    return StoreError{mapSqliteCode(error.extendedCode()), error.what()};
  } catch (const std::bad_alloc&) {
    return StoreError{StoreErrorCode::Io, "out of memory"};
  } catch (const std::exception& error) {
    return StoreError{StoreErrorCode::Internal, error.what()};
  } catch (...) {
    return StoreError{StoreErrorCode::Internal, "unknown exception"};
  }
}

void fail(StoreErrorCode code, const std::string& message) {
  throw SqliteError(code, message);
}

void throwSqlite(sqlite3* db, int rc, std::string_view context) {
  const int extended = db != nullptr ? sqlite3_extended_errcode(db) : rc;
  std::string message(context);
  message += ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  // The extended code of the connection is only meaningful when it belongs to this failure.
  throw SqliteError((extended & 0xff) == (rc & 0xff) ? extended : rc, message);
}

Statement::~Statement() {
  if (m_stmt != nullptr) {
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
  }
}

void Statement::check(int rc) const {
  if (rc != SQLITE_OK) {
    throwSqlite(m_db, rc, sqlite3_sql(m_stmt));
  }
}

void Statement::bindOne(int index, Null) {
  check(sqlite3_bind_null(m_stmt, index));
}

void Statement::bindOne(int index, std::string_view value) {
  check(sqlite3_bind_text64(m_stmt, index, value.data(), value.size(), SQLITE_TRANSIENT,
                            SQLITE_UTF8));
}

void Statement::bindInt(int index, std::int64_t value) {
  check(sqlite3_bind_int64(m_stmt, index, static_cast<sqlite3_int64>(value)));
}

bool Statement::step() {
  const int rc = sqlite3_step(m_stmt);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  throwSqlite(m_db, rc, sqlite3_sql(m_stmt));
}

void Statement::run() {
  while (step()) {
  }
}

bool Statement::isNull(int column) const {
  return sqlite3_column_type(m_stmt, column) == SQLITE_NULL;
}

std::int64_t Statement::int64(int column) const {
  // A REAL or TEXT where an integer belongs means the file was tampered with or is damaged;
  // refusing it beats silently truncating money.
  if (sqlite3_column_type(m_stmt, column) != SQLITE_INTEGER) {
    fail(StoreErrorCode::Corrupt, std::string("non-integer value in column ") +
                                      sqlite3_column_name(m_stmt, column) + " of " +
                                      sqlite3_sql(m_stmt));
  }
  return static_cast<std::int64_t>(sqlite3_column_int64(m_stmt, column));
}

std::optional<std::int64_t> Statement::optInt64(int column) const {
  if (isNull(column)) {
    return std::nullopt;
  }
  return int64(column);
}

std::string Statement::text(int column) const {
  const auto* data = sqlite3_column_text(m_stmt, column);
  const int size = sqlite3_column_bytes(m_stmt, column);
  if (data == nullptr) {
    return {};
  }
  return std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
}

std::optional<std::string> Statement::optText(int column) const {
  if (isNull(column)) {
    return std::nullopt;
  }
  return text(column);
}

Connection::Connection(const std::filesystem::path& path, OpenMode mode) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (mode == OpenMode::ReadWriteCreate) {
    flags |= SQLITE_OPEN_CREATE;
  }
  const int rc = sqlite3_open_v2(path.c_str(), &m_db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = "cannot open " + path.string() + ": " +
                          (m_db != nullptr ? sqlite3_errmsg(m_db) : sqlite3_errstr(rc));
    sqlite3_close_v2(m_db);
    m_db = nullptr;
    throw SqliteError(rc, message);
  }
  sqlite3_extended_result_codes(m_db, 1);
}

Connection::~Connection() {
  for (auto& [sql, stmt] : m_cache) {
    sqlite3_finalize(stmt);
  }
  sqlite3_close_v2(m_db);
}

void Connection::exec(std::string_view sql) {
  const std::string text(sql);
  char* error = nullptr;
  const int rc = sqlite3_exec(m_db, text.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = error != nullptr ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    const int extended = sqlite3_extended_errcode(m_db);
    throw SqliteError((extended & 0xff) == (rc & 0xff) ? extended : rc,
                      message + " (in: " + text.substr(0, 120) + ")");
  }
}

Statement Connection::prepare(std::string_view sql) {
  auto it = m_cache.find(std::string(sql));
  if (it == m_cache.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(m_db, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      throwSqlite(m_db, rc, "prepare " + std::string(sql));
    }
    it = m_cache.emplace(std::string(sql), stmt).first;
  }
  return Statement(m_db, it->second);
}

std::int64_t Connection::changes() const {
  return static_cast<std::int64_t>(sqlite3_changes64(m_db));
}

std::int64_t Connection::lastInsertRowId() const {
  return static_cast<std::int64_t>(sqlite3_last_insert_rowid(m_db));
}

bool Connection::inTransaction() const {
  return sqlite3_get_autocommit(m_db) == 0;
}

void Connection::rollbackQuietly() noexcept {
  if (inTransaction()) {
    sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

}  // namespace prepaid::store::detail
