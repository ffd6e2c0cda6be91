#pragma once

// Shared fixture of the store tests: a real SQLite file in a fresh temporary directory, and
// helpers that run one repository call in its own transaction.

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include "prepaid/store/store.hpp"

namespace prepaid::store::testing {

using namespace std::chrono_literals;

/// An instant from a UTC civil date and time.
inline domain::Instant utc(int year, unsigned month, unsigned day, int hour = 0, int minute = 0,
                           int second = 0) {
  return domain::Instant(std::chrono::sys_days(std::chrono::year(year) / std::chrono::month(month) /
                                               std::chrono::day(day))) +
         std::chrono::hours(hour) + std::chrono::minutes(minute) + std::chrono::seconds(second);
}

/// The error code of a result, or nullopt when it holds a value.
template <typename T>
std::optional<StoreErrorCode> errorCode(const std::expected<T, StoreError>& result) {
  if (result) {
    return std::nullopt;
  }
  return result.error().code;
}

/// A temporary directory removed at destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "prepaid-store-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    m_path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return m_path; }

 private:
  std::filesystem::path m_path;
};

/// Raw SQLite access for tampering and for checking what the store wrote.
class RawDb {
 public:
  explicit RawDb(const std::filesystem::path& path) {
    if (sqlite3_open(path.c_str(), &m_db) != SQLITE_OK) {
      throw std::runtime_error("cannot open " + path.string());
    }
    sqlite3_busy_timeout(m_db, 5000);
  }
  ~RawDb() { sqlite3_close(m_db); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  /// Runs SQL; returns the SQLite result code and stores the error message.
  int exec(const std::string& sql) {
    char* error = nullptr;
    const int rc = sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, &error);
    m_lastError = error != nullptr ? error : "";
    sqlite3_free(error);
    return rc;
  }
  /// The first column of the first row as int64 (or -1 with no row).
  std::int64_t queryInt(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(m_db, sql.c_str(), -1, &stmt, nullptr);
    std::int64_t value = -1;
    if (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
      value = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
    return value;
  }
  std::string queryText(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(m_db, sql.c_str(), -1, &stmt, nullptr);
    std::string value;
    if (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
      const auto* text = sqlite3_column_text(stmt, 0);
      value = text != nullptr ? reinterpret_cast<const char*>(text) : "";
    }
    sqlite3_finalize(stmt);
    return value;
  }
  [[nodiscard]] const std::string& lastError() const { return m_lastError; }

 private:
  sqlite3* m_db = nullptr;
  std::string m_lastError;
};

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { reopen(); }

  [[nodiscard]] std::filesystem::path dbPath() const { return m_dir.path() / "site.db"; }

  void reopen() {
    store.reset();
    auto opened = openSqliteStore(dbPath());
    ASSERT_TRUE(opened) << opened.error().message;
    store = std::move(*opened);
  }

  /// Runs fn(tx) in its own write transaction (committed when fn succeeds); returns fn's result,
  /// or the commit's error.
  template <typename Fn>
  auto tx(Fn&& fn, Durability durability = Durability::Full) {
    using Result = std::invoke_result_t<Fn, WriteTransaction&>;
    std::optional<Result> out;
    auto written = store->write(
        [&](WriteTransaction& t) -> std::expected<void, StoreError> {
          out.emplace(fn(t));
          if (!*out) {
            return std::unexpected(out->error());
          }
          return {};
        },
        durability);
    if (!written && out && *out) {
      return Result(std::unexpected(written.error()));
    }
    if (!out) {
      return Result(std::unexpected(written.error()));
    }
    return std::move(*out);
  }

  /// Runs fn(tx) in a read transaction; returns fn's result.
  template <typename Fn>
  auto rd(Fn&& fn) {
    using Result = std::invoke_result_t<Fn, const ReadTransaction&>;
    std::optional<Result> out;
    auto done = store->read([&](const ReadTransaction& t) -> std::expected<void, StoreError> {
      out.emplace(fn(t));
      return {};
    });
    if (!out) {
      return Result(std::unexpected(done.error()));
    }
    return std::move(*out);
  }

  GatewayId addGateway(const std::string& name) {
    Gateway g;
    g.name = name;
    g.transportUri = "tcp://127.0.0.1:502";
    auto added = tx([&](WriteTransaction& t) { return t.gateways().add(g); });
    EXPECT_TRUE(added) << added.error().message;
    return added ? added->id : 0;
  }

  MeterId addMeter(const std::string& serial, GatewayId gateway, std::int64_t address = 1) {
    Meter m;
    m.serial = serial;
    m.profile = "ddsy1352";
    m.unitAddress = address;
    m.gatewayId = gateway;
    auto added = tx([&](WriteTransaction& t) { return t.meters().add(m); });
    EXPECT_TRUE(added) << added.error().message;
    return added ? added->id : 0;
  }

  LedgerEntry entry(MeterId meter, domain::EntryKind kind, std::int64_t amountFen,
                    const std::string& key, domain::Instant at = utc(2024, 3, 1, 2)) {
    LedgerEntry e;
    e.meterId = meter;
    e.kind = kind;
    e.amountFen = amountFen;
    e.idempotencyKey = key;
    e.source = "test";
    e.createdAt = at;
    return e;
  }

  TempDir m_dir;
  std::unique_ptr<Store> store;
};

}  // namespace prepaid::store::testing
