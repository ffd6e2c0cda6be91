#pragma once

// Shared helpers of the payments unit tests: fixture files, a temp directory.

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

namespace prepaid::backend::payments::test {

inline std::string fixture(const std::string& name) {
  std::ifstream in(std::filesystem::path(PREPAID_SOURCE_DIR) / "tests/fixtures/payments" / name,
                   std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::string fixtureFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir() {
    std::random_device random;
    m_path = std::filesystem::temp_directory_path() /
             ("prepaid-payments-" + std::to_string(random()) + std::to_string(random()));
    std::filesystem::create_directories(m_path);
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

}  // namespace prepaid::backend::payments::test
