#pragma once

// A real SQLite store in a fresh temporary directory (removed at destruction).

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include <stdlib.h>

#include "prepaid/store/store.hpp"

namespace prepaid::backend::http::testing {

class TempStore {
 public:
  TempStore() {
    std::string pattern = (std::filesystem::temp_directory_path() / "prepaid-http-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    m_dir = pattern;
    m_store = store::openSqliteStore(m_dir / "site.db").value();
  }
  ~TempStore() {
    m_store.reset();
    std::error_code ec;
    std::filesystem::remove_all(m_dir, ec);
  }
  TempStore(const TempStore&) = delete;
  TempStore& operator=(const TempStore&) = delete;
  [[nodiscard]] store::Store& store() { return *m_store; }
  [[nodiscard]] std::filesystem::path dbPath() const { return m_dir / "site.db"; }
  [[nodiscard]] const std::filesystem::path& dir() const { return m_dir; }

 private:
  std::filesystem::path m_dir;
  std::unique_ptr<store::Store> m_store;
};

}  // namespace prepaid::backend::http::testing
