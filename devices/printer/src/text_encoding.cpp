#include "prepaid/printer/text_encoding.hpp"

#include <cerrno>
#include <memory>

#include <iconv.h>

namespace prepaid::devices {

namespace {

struct IconvCloser {
  void operator()(void* cd) const { iconv_close(static_cast<iconv_t>(cd)); }
};

// Length of the UTF-8 sequence starting with `lead`, 0 when it cannot start one.
std::size_t sequenceLength(unsigned char lead) {
  if (lead < 0x80) {
    return 1;
  }
  if ((lead & 0xE0) == 0xC0) {
    return 2;
  }
  if ((lead & 0xF0) == 0xE0) {
    return 3;
  }
  if ((lead & 0xF8) == 0xF0) {
    return 4;
  }
  return 0;
}

}  // namespace

std::string_view toString(TextEncoding encoding) {
  switch (encoding) {
    case TextEncoding::Gb18030:
      return "gb18030";
    case TextEncoding::Gbk:
      return "gbk";
    case TextEncoding::Ascii:
      return "ascii";
  }
  return "unknown";
}

std::optional<TextEncoding> parseTextEncoding(std::string_view name) {
  for (auto encoding : {TextEncoding::Gb18030, TextEncoding::Gbk, TextEncoding::Ascii}) {
    if (toString(encoding) == name) {
      return encoding;
    }
  }
  return std::nullopt;
}

std::expected<std::vector<std::uint8_t>, PrinterError> encodeText(std::string_view utf8,
                                                                  TextEncoding encoding) {
  std::vector<std::uint8_t> out;
  out.reserve(utf8.size() * 2);
  const char* target = encoding == TextEncoding::Gbk ? "GBK" : "GB18030";
  std::unique_ptr<void, IconvCloser> cd;
  if (encoding != TextEncoding::Ascii) {
    iconv_t opened = iconv_open(target, "UTF-8");
    if (opened == reinterpret_cast<iconv_t>(-1)) {
      return std::unexpected(PrinterError{PrinterErrorCode::Encoding,
                                          std::string("iconv cannot convert UTF-8 to ") + target});
    }
    cd.reset(opened);
  }
  // Convert one code point at a time so an unconvertible character becomes one '?' instead of
  // failing the whole receipt.
  std::size_t i = 0;
  while (i < utf8.size()) {
    const auto lead = static_cast<unsigned char>(utf8[i]);
    const std::size_t length = sequenceLength(lead);
    if (length == 0 || i + length > utf8.size()) {
      return std::unexpected(
          PrinterError{PrinterErrorCode::Encoding, "invalid UTF-8 at byte " + std::to_string(i)});
    }
    for (std::size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(utf8[i + k]) & 0xC0) != 0x80) {
        return std::unexpected(
            PrinterError{PrinterErrorCode::Encoding, "invalid UTF-8 at byte " + std::to_string(i)});
      }
    }
    if (length == 1) {
      out.push_back(lead);
    } else if (!cd) {
      out.push_back('?');
    } else {
      char in[4] = {};
      for (std::size_t k = 0; k < length; ++k) {
        in[k] = utf8[i + k];
      }
      char converted[8] = {};
      char* inPtr = in;
      std::size_t inLeft = length;
      char* outPtr = converted;
      std::size_t outLeft = sizeof(converted);
      const std::size_t rc =
          iconv(static_cast<iconv_t>(cd.get()), &inPtr, &inLeft, &outPtr, &outLeft);
      if (rc == static_cast<std::size_t>(-1)) {
        if (errno == EILSEQ) {
          out.push_back('?');
          iconv(static_cast<iconv_t>(cd.get()), nullptr, nullptr, nullptr, nullptr);
        } else {
          return std::unexpected(PrinterError{PrinterErrorCode::Encoding,
                                              "iconv failed at byte " + std::to_string(i)});
        }
      } else {
        for (char* p = converted; p < outPtr; ++p) {
          out.push_back(static_cast<std::uint8_t>(*p));
        }
      }
    }
    i += length;
  }
  return out;
}

}  // namespace prepaid::devices
