#pragma once

// Builds ESC/POS command bytes (Epson ESC/POS reference; the Chinese extensions FS & / FS . of
// GB18030 printers). One builder, many transports (python-escpos): the bytes are collected here
// and written by a PrinterTransport, so golden-byte tests need no device.

#include <cstdint>
#include <expected>
#include <span>
#include <string_view>
#include <vector>

#include "prepaid/printer/printer_error.hpp"
#include "prepaid/printer/text_encoding.hpp"

namespace prepaid::devices {

enum class Align : std::uint8_t { Left = 0, Centre = 1, Right = 2 };
enum class Emphasis { Normal, Bold };
enum class CharSize { Normal, DoubleHeight, DoubleWidth, Double };
enum class QrErrorLevel : std::uint8_t { L = 48, M = 49, Q = 50, H = 51 };

class EscPosEncoder {
 public:
  explicit EscPosEncoder(TextEncoding encoding = TextEncoding::Gb18030) : m_encoding(encoding) {}

  /// ESC @: reset the printer to its power-on state.
  EscPosEncoder& init();
  /// ESC E n.
  EscPosEncoder& emphasis(Emphasis value);
  /// GS ! n (width and height multipliers 1 or 2).
  EscPosEncoder& size(CharSize value);
  /// ESC a n.
  EscPosEncoder& align(Align value);
  /// Text (UTF-8) without a line feed. With GB18030/GBK each run of multi-byte characters is
  /// wrapped in FS & (enter Hanzi mode) and FS . (leave it), so ASCII prints in the printer's
  /// single-byte font. Encoding errors are returned; the builder is unchanged then.
  [[nodiscard]] std::expected<void, PrinterError> text(std::string_view utf8);
  /// Text followed by LF.
  [[nodiscard]] std::expected<void, PrinterError> line(std::string_view utf8);
  /// ESC d n: print and feed n lines.
  EscPosEncoder& feed(std::uint8_t lines);
  /// GS ( k: QR model 2, module size 1..16 dots, error level, store then print. Data up to 7089
  /// bytes; longer data is an InvalidConfig error.
  [[nodiscard]] std::expected<void, PrinterError> qr(std::string_view data,
                                                     std::uint8_t moduleDots = 6,
                                                     QrErrorLevel level = QrErrorLevel::M);
  /// GS V 66 n: feed n lines and partial cut.
  EscPosEncoder& cut(std::uint8_t feedLines = 3);
  /// Appends raw bytes (for commands not covered here).
  EscPosEncoder& raw(std::span<const std::uint8_t> bytes);

  [[nodiscard]] const std::vector<std::uint8_t>& bytes() const { return m_bytes; }
  [[nodiscard]] TextEncoding encoding() const { return m_encoding; }

 private:
  void put(std::initializer_list<std::uint8_t> bytes);
  TextEncoding m_encoding;
  std::vector<std::uint8_t> m_bytes;
};

/// DLE EOT 4 (roll paper sensor status) — the query bytes and the decoding of its answer.
inline constexpr std::uint8_t PaperStatusQuery[] = {0x10, 0x04, 0x04};

enum class PaperStatus { Ok, NearEnd, Out, Unknown };

/// "ok", "near_end", "out", "unknown".
[[nodiscard]] std::string_view toString(PaperStatus status);

/// Decodes the answer byte of DLE EOT 4: bits 2+3 paper near end, bits 5+6 paper end; bit 1
/// must be 1 and bits 0, 4 and 7 must be 0 for a valid status byte (else Unknown).
[[nodiscard]] PaperStatus decodePaperStatus(std::uint8_t answer);

}  // namespace prepaid::devices
