#pragma once

// Conversion of UTF-8 text into the byte encoding a receipt printer expects.

#include <cstdint>
#include <expected>
#include <optional>
#include <string_view>
#include <vector>

#include "prepaid/printer/printer_error.hpp"

namespace prepaid::devices {

enum class TextEncoding {
  Gb18030,  // Chinese printers: multi-byte runs wrapped in FS & ... FS . (Hanzi mode)
  Gbk,      // older Chinese printers (GBK is a subset of GB18030)
  Ascii,    // non-Chinese printers: anything outside ASCII becomes '?'
};

/// "gb18030", "gbk", "ascii".
[[nodiscard]] std::string_view toString(TextEncoding encoding);
[[nodiscard]] std::optional<TextEncoding> parseTextEncoding(std::string_view name);

/// Converts UTF-8 to the encoding with iconv. Characters the target cannot hold become '?'
/// (a receipt with one '?' is better than no receipt); invalid UTF-8 is an Encoding error.
/// Thread-safe (each call opens its own iconv descriptor).
[[nodiscard]] std::expected<std::vector<std::uint8_t>, PrinterError> encodeText(
    std::string_view utf8, TextEncoding encoding);

}  // namespace prepaid::devices
