#pragma once

// The demo's printer: each receipt becomes <dir>/receipt-NNNN.txt (UTF-8, laid out as printed)
// and <dir>/receipt-NNNN.png (576 dots wide like 80 mm paper, CJK text rendered with FreeType,
// QR code drawn from libqrencode). A file named PAPER_OUT in the directory makes paperStatus()
// report Out, so the demo and tests can exercise the out-of-paper path.

#include <filesystem>
#include <mutex>
#include <vector>

#include "prepaid/printer/receipt_printer.hpp"

namespace prepaid::devices {

class VirtualPrinter final : public ReceiptPrinter {
 public:
  /// `fontPath`: a TrueType/TTC font with CJK glyphs (face 0 is used).
  VirtualPrinter(std::filesystem::path directory, std::filesystem::path fontPath,
                 std::size_t columns = 48);

  [[nodiscard]] std::expected<void, PrinterError> print(const ReceiptDocument& doc) override;
  [[nodiscard]] std::expected<PaperStatus, PrinterError> paperStatus() override;
  [[nodiscard]] std::string describe() const override;
  [[nodiscard]] std::size_t columns() const override { return m_columns; }

  /// The text layout of a document (what the .txt file holds).
  [[nodiscard]] static std::string renderText(const ReceiptDocument& doc, std::size_t columns);
  /// Renders a document to an 8-bit greyscale image (0 = black, 255 = paper).
  struct Image {
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> pixels;
  };
  [[nodiscard]] static std::expected<Image, PrinterError> renderImage(
      const ReceiptDocument& doc, const std::filesystem::path& fontPath, int widthDots = 576);

  /// Paths of the files written so far (txt, png pairs), oldest first.
  [[nodiscard]] std::vector<std::filesystem::path> written() const;

 private:
  mutable std::mutex m_mutex;
  std::filesystem::path m_directory;
  std::filesystem::path m_fontPath;
  std::size_t m_columns;
  std::vector<std::filesystem::path> m_written;
};

}  // namespace prepaid::devices
