#pragma once

// Shared by the prepaidctl integration tests: run the program (PREPAID_CTL), read a database back
// row by row, and a fixture owning a temp directory with the site database in it.

#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>

namespace prepaid::test {

struct CtlRun {
  int status = -1;
  std::string out;  // stdout (and stderr, unless the caller keeps it apart)
  std::string err;  // stderr when kept apart
};

/// Every byte of `file`, empty when it cannot be read (stdio: istreambuf_iterator trips GCC 12's
/// -Wnull-dereference at -O2).
inline std::string readWholeFile(const std::filesystem::path& file) {
  std::string text;
  if (std::FILE* handle = std::fopen(file.c_str(), "rb"); handle != nullptr) {
    std::array<char, 4096> buffer{};
    std::size_t got = 0;
    while ((got = std::fread(buffer.data(), 1, buffer.size(), handle)) > 0) {
      text.append(buffer.data(), got);
    }
    std::fclose(handle);
  }
  return text;
}

/// Runs `prepaidctl <args>` through the shell; `redirections` (e.g. "2>&1" or "<in 2>err") are
/// appended verbatim.
inline CtlRun runPrepaidctl(const std::string& args, const std::string& redirections = "2>&1") {
  CtlRun run;
  const std::string command = std::string(PREPAID_CTL) + " " + args + " " + redirections;
  std::FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return run;
  }
  std::array<char, 4096> buffer{};
  std::size_t got = 0;
  while ((got = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    run.out.append(buffer.data(), got);
  }
  const int status = pclose(pipe);
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

/// Every row of a query, each column as text (NULL as nullopt); a failure fails the test.
using Row = std::vector<std::optional<std::string>>;
inline std::vector<Row> query(const std::filesystem::path& db, const std::string& sql) {
  std::vector<Row> rows;
  sqlite3* handle = nullptr;
  if (sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(handle);
    ADD_FAILURE() << "cannot open " << db;
    return rows;
  }
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(handle, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(handle);
    sqlite3_close(handle);
    return rows;
  }
  while (sqlite3_step(statement) == SQLITE_ROW) {
    Row row;
    for (int i = 0; i < sqlite3_column_count(statement); ++i) {
      const auto* text = sqlite3_column_text(statement, i);
      row.push_back(text != nullptr
                        ? std::optional<std::string>(reinterpret_cast<const char*>(text))
                        : std::nullopt);
    }
    rows.push_back(row);
  }
  sqlite3_finalize(statement);
  sqlite3_close(handle);
  return rows;
}

/// The first column of the first row as a number; -1 when there is none.
inline std::int64_t queryCount(const std::filesystem::path& db, const std::string& sql) {
  const auto rows = query(db, sql);
  return rows.empty() || !rows[0][0] ? -1 : std::stoll(*rows[0][0]);
}

/// A fresh temp directory per test, removed afterwards; the site database is `db()` in it.
class PrepaidctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device random;
    m_dir =
        std::filesystem::temp_directory_path() / ("prepaidctl-test-" + std::to_string(random()));
    std::filesystem::create_directories(m_dir);
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(m_dir, ignored);
  }
  std::filesystem::path write(const std::string& name, const std::string& content) const {
    const auto path = m_dir / name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  std::filesystem::path db() const { return m_dir / "site.db"; }
  std::int64_t count(const std::string& sql) const { return queryCount(db(), sql); }

  std::filesystem::path m_dir;
};

}  // namespace prepaid::test
