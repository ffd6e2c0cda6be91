#pragma once

// Golden-byte files under tests/fixtures/printer/. Set PREPAID_UPDATE_GOLDEN=<dir> to write the
// current bytes to <dir> (never into the source tree from a test) for review and copying.

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace prepaid::devices::testing {

inline std::vector<std::uint8_t> readGolden(const std::string& name) {
  std::ifstream in(std::filesystem::path(PREPAID_SOURCE_DIR) / "tests/fixtures/printer" / name,
                   std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void maybeWriteGolden(const std::string& name, const std::vector<std::uint8_t>& bytes) {
  if (const char* dir = std::getenv("PREPAID_UPDATE_GOLDEN"); dir != nullptr) {
    std::ofstream out(std::filesystem::path(dir) / name, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
  }
}

}  // namespace prepaid::devices::testing
