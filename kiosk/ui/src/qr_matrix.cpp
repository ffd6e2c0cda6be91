#include "prepaid/ui/qr_matrix.hpp"

#include <memory>

#include <qrencode.h>

namespace prepaid::kiosk::ui {

std::expected<QrMatrix, std::string> encodeQr(std::string_view text) {
  if (text.empty()) {
    return std::unexpected("empty QR text");
  }
  const std::string copy(text);
  std::unique_ptr<QRcode, void (*)(QRcode*)> code(
      QRcode_encodeString8bit(copy.c_str(), 0, QR_ECLEVEL_M), QRcode_free);
  if (!code) {
    return std::unexpected("QR encoding failed (text too long?)");
  }
  QrMatrix matrix;
  matrix.size = code->width;
  const auto cells = static_cast<std::size_t>(code->width) * static_cast<std::size_t>(code->width);
  matrix.dark.resize(cells);
  for (std::size_t i = 0; i < cells; ++i) {
    matrix.dark[i] = static_cast<std::uint8_t>(code->data[i] & 1U);
  }
  return matrix;
}

}  // namespace prepaid::kiosk::ui
