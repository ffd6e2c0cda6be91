#pragma once

// A thin RAII wrapper over the SQLite C API, private to prepaid::store. It throws SqliteError;
// every public entry point of the module catches it (guard()) and returns a StoreError, so no
// exception leaves the module.

#include <concepts>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include <sqlite3.h>

#include "prepaid/store/store_error.hpp"

namespace prepaid::store::detail {

/// An SQLite failure (code = extended result code), or a store-level refusal raised deep inside
/// a repository (storeCode set).
class SqliteError : public std::runtime_error {
 public:
  SqliteError(int extendedCode, const std::string& message)
      : std::runtime_error(message), m_extendedCode(extendedCode) {}
  SqliteError(StoreErrorCode code, const std::string& message)
      : std::runtime_error(message), m_storeCode(code) {}
  [[nodiscard]] int extendedCode() const { return m_extendedCode; }
  [[nodiscard]] std::optional<StoreErrorCode> storeCode() const { return m_storeCode; }

 private:
  int m_extendedCode = SQLITE_ERROR;
  std::optional<StoreErrorCode> m_storeCode;
};

/// Maps an SQLite extended result code to the store's error code.
[[nodiscard]] StoreErrorCode mapSqliteCode(int extendedCode);
/// Converts any exception in flight (call from a catch block) to a StoreError.
[[nodiscard]] StoreError currentExceptionToError();

/// Runs `fn` and turns exceptions into StoreError. fn returns T or std::expected<T, StoreError>.
template <typename Fn>
auto guard(Fn&& fn) -> std::expected<std::remove_cvref_t<decltype(fn())>, StoreError>
requires(!requires { typename std::remove_cvref_t<decltype(fn())>::error_type; }) {
  try {
    if constexpr (std::is_void_v<decltype(fn())>) {
      fn();
      return {};
    } else {
      return fn();
    }
  } catch (...) {
    return std::unexpected(currentExceptionToError());
  }
}

template <typename Fn>
auto guard(Fn&& fn) -> std::remove_cvref_t<decltype(fn())>
requires requires {
  typename std::remove_cvref_t<decltype(fn())>::error_type;
}
{
  try {
    return fn();
  } catch (...) {
    return std::unexpected(currentExceptionToError());
  }
}

/// Throws a store-level refusal from inside a guarded function.
[[noreturn]] void fail(StoreErrorCode code, const std::string& message);

struct Null {};
inline constexpr Null null{};

/// A prepared statement borrowed from a Connection's cache; reset when it goes out of scope.
class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : m_db(db), m_stmt(stmt) {}
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& other) noexcept
      : m_db(other.m_db), m_stmt(std::exchange(other.m_stmt, nullptr)) {}
  Statement& operator=(Statement&&) = delete;

  /// Binds parameters ?1, ?2, … in order.
  template <typename... Args>
  Statement& bindAll(const Args&... args) {
    int index = 1;
    (bindOne(index++, args), ...);
    return *this;
  }

  /// Steps once; true when a row is available.
  bool step();
  /// Steps to completion, expecting no rows.
  void run();

  [[nodiscard]] bool isNull(int column) const;
  [[nodiscard]] std::int64_t int64(int column) const;
  [[nodiscard]] std::optional<std::int64_t> optInt64(int column) const;
  [[nodiscard]] std::string text(int column) const;
  [[nodiscard]] std::optional<std::string> optText(int column) const;

 private:
  void bindOne(int index, Null);
  void bindOne(int index, std::string_view value);
  void bindOne(int index, const std::string& value) { bindOne(index, std::string_view(value)); }
  void bindOne(int index, const char* value) { bindOne(index, std::string_view(value)); }
  void bindInt(int index, std::int64_t value);
  template <std::integral T>
  void bindOne(int index, T value) {
    bindInt(index, static_cast<std::int64_t>(value));
  }
  template <typename T>
  void bindOne(int index, const std::optional<T>& value) {
    if (value) {
      bindOne(index, *value);
    } else {
      bindOne(index, null);
    }
  }
  void check(int rc) const;

  sqlite3* m_db;
  sqlite3_stmt* m_stmt;
};

enum class OpenMode {
  ReadWriteCreate,
  ReadWrite,
};

/// One SQLite connection with a cache of prepared statements. Not thread-safe: one thread at a
/// time (the store hands each connection to one thread).
class Connection {
 public:
  Connection(const std::filesystem::path& path, OpenMode mode);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Runs one or more SQL statements without parameters.
  void exec(std::string_view sql);
  /// A cached prepared statement for a single SQL statement.
  Statement prepare(std::string_view sql);
  /// The first column of the first row of a query as int64 (throws NotFound without a row).
  template <typename... Args>
  std::int64_t queryInt(std::string_view sql, const Args&... args) {
    auto statement = prepare(sql);
    statement.bindAll(args...);
    if (!statement.step()) {
      fail(StoreErrorCode::NotFound, "no row for: " + std::string(sql));
    }
    return statement.int64(0);
  }
  /// Runs a statement with parameters, expecting no rows; returns the number of changed rows.
  template <typename... Args>
  std::int64_t run(std::string_view sql, const Args&... args) {
    auto statement = prepare(sql);
    statement.bindAll(args...);
    statement.run();
    return changes();
  }
  [[nodiscard]] std::int64_t changes() const;
  [[nodiscard]] std::int64_t lastInsertRowId() const;
  [[nodiscard]] sqlite3* handle() const { return m_db; }
  [[nodiscard]] bool inTransaction() const;
  /// ROLLBACK if a transaction is open; never throws (used on error paths).
  void rollbackQuietly() noexcept;

 private:
  sqlite3* m_db = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*> m_cache;
};

[[noreturn]] void throwSqlite(sqlite3* db, int rc, std::string_view context);

}  // namespace prepaid::store::detail
