#pragma once

// A QR code as a module matrix (libqrencode), for drawing with ImGui's draw list.

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace prepaid::kiosk::ui {

struct QrMatrix {
  int size = 0;                    // modules per side
  std::vector<std::uint8_t> dark;  // size*size, row-major, 1 = dark module
  [[nodiscard]] bool at(int x, int y) const {
    return dark[static_cast<std::size_t>(y) * static_cast<std::size_t>(size) +
                static_cast<std::size_t>(x)] != 0;
  }
};

/// Encodes `text` (byte mode, error level M). Errors for empty or oversized text.
[[nodiscard]] std::expected<QrMatrix, std::string> encodeQr(std::string_view text);

}  // namespace prepaid::kiosk::ui
