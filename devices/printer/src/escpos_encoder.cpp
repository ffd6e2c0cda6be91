#include "prepaid/printer/escpos_encoder.hpp"

namespace prepaid::devices {

namespace {

constexpr std::uint8_t Esc = 0x1B;
constexpr std::uint8_t Gs = 0x1D;
constexpr std::uint8_t Fs = 0x1C;
constexpr std::uint8_t Lf = 0x0A;
// QR symbol capacity of model 2, version 40, byte mode, level L (ISO/IEC 18004 table 7).
constexpr std::size_t QrMaxBytes = 7089;

}  // namespace

void EscPosEncoder::put(std::initializer_list<std::uint8_t> bytes) {
  m_bytes.insert(m_bytes.end(), bytes.begin(), bytes.end());
}

EscPosEncoder& EscPosEncoder::init() {
  put({Esc, '@'});
  return *this;
}

EscPosEncoder& EscPosEncoder::emphasis(Emphasis value) {
  put({Esc, 'E', static_cast<std::uint8_t>(value == Emphasis::Bold ? 1 : 0)});
  return *this;
}

EscPosEncoder& EscPosEncoder::size(CharSize value) {
  // GS ! n: bits 4-6 width multiplier - 1, bits 0-2 height multiplier - 1.
  std::uint8_t n = 0;
  switch (value) {
    case CharSize::Normal:
      n = 0x00;
      break;
    case CharSize::DoubleHeight:
      n = 0x01;
      break;
    case CharSize::DoubleWidth:
      n = 0x10;
      break;
    case CharSize::Double:
      n = 0x11;
      break;
  }
  put({Gs, '!', n});
  return *this;
}

EscPosEncoder& EscPosEncoder::align(Align value) {
  put({Esc, 'a', static_cast<std::uint8_t>(value)});
  return *this;
}

std::expected<void, PrinterError> EscPosEncoder::text(std::string_view utf8) {
  auto encoded = encodeText(utf8, m_encoding);
  if (!encoded) {
    return std::unexpected(encoded.error());
  }
  if (m_encoding == TextEncoding::Ascii) {
    m_bytes.insert(m_bytes.end(), encoded->begin(), encoded->end());
    return {};
  }
  // In GB18030/GBK every byte >= 0x80 belongs to a multi-byte character (lead or trail; trail
  // bytes of 4-byte sequences are digits 0x30-0x39 but always follow a lead >= 0x81), so a run
  // starts at the first high byte and ends before the next byte that is ASCII and not a trail.
  const auto& bytes = *encoded;
  bool hanzi = false;
  for (std::size_t i = 0; i < bytes.size();) {
    const std::uint8_t b = bytes[i];
    if (b >= 0x81) {
      if (!hanzi) {
        put({Fs, '&'});
        hanzi = true;
      }
      // Two-byte: lead + 0x40..0xFE; four-byte: lead + 0x30..0x39 + lead + 0x30..0x39.
      std::size_t length = 2;
      if (i + 1 < bytes.size() && bytes[i + 1] >= 0x30 && bytes[i + 1] <= 0x39) {
        length = 4;
      }
      for (std::size_t k = 0; k < length && i + k < bytes.size(); ++k) {
        m_bytes.push_back(bytes[i + k]);
      }
      i += length;
    } else {
      if (hanzi) {
        put({Fs, '.'});
        hanzi = false;
      }
      m_bytes.push_back(b);
      ++i;
    }
  }
  if (hanzi) {
    put({Fs, '.'});
  }
  return {};
}

std::expected<void, PrinterError> EscPosEncoder::line(std::string_view utf8) {
  auto written = text(utf8);
  if (!written) {
    return written;
  }
  m_bytes.push_back(Lf);
  return {};
}

EscPosEncoder& EscPosEncoder::feed(std::uint8_t lines) {
  put({Esc, 'd', lines});
  return *this;
}

std::expected<void, PrinterError> EscPosEncoder::qr(std::string_view data, std::uint8_t moduleDots,
                                                    QrErrorLevel level) {
  if (data.empty() || data.size() > QrMaxBytes) {
    return std::unexpected(PrinterError{PrinterErrorCode::InvalidConfig,
                                        "QR data must be 1.." + std::to_string(QrMaxBytes) +
                                            " bytes, got " + std::to_string(data.size())});
  }
  if (moduleDots < 1 || moduleDots > 16) {
    return std::unexpected(
        PrinterError{PrinterErrorCode::InvalidConfig, "QR module size must be 1..16 dots"});
  }
  // GS ( k <pL> <pH> cn fn ...: cn = 49 (QR). fn 65 model, 67 size, 69 error level, 80 store,
  // 81 print.
  put({Gs, '(', 'k', 4, 0, 49, 65, 50, 0});
  put({Gs, '(', 'k', 3, 0, 49, 67, moduleDots});
  put({Gs, '(', 'k', 3, 0, 49, 69, static_cast<std::uint8_t>(level)});
  const std::size_t length = data.size() + 3;
  put({Gs, '(', 'k', static_cast<std::uint8_t>(length & 0xFF),
       static_cast<std::uint8_t>((length >> 8) & 0xFF), 49, 80, 48});
  for (char c : data) {
    m_bytes.push_back(static_cast<std::uint8_t>(c));
  }
  put({Gs, '(', 'k', 3, 0, 49, 81, 48});
  return {};
}

EscPosEncoder& EscPosEncoder::cut(std::uint8_t feedLines) {
  put({Gs, 'V', 66, feedLines});
  return *this;
}

EscPosEncoder& EscPosEncoder::raw(std::span<const std::uint8_t> bytes) {
  m_bytes.insert(m_bytes.end(), bytes.begin(), bytes.end());
  return *this;
}

std::string_view toString(PaperStatus status) {
  switch (status) {
    case PaperStatus::Ok:
      return "ok";
    case PaperStatus::NearEnd:
      return "near_end";
    case PaperStatus::Out:
      return "out";
    case PaperStatus::Unknown:
      return "unknown";
  }
  return "unknown";
}

PaperStatus decodePaperStatus(std::uint8_t answer) {
  // Fixed bits of a status byte (ESC/POS DLE EOT): bit 1 = 1, bits 0, 4, 7 = 0.
  if ((answer & 0x93) != 0x12) {
    return PaperStatus::Unknown;
  }
  if ((answer & 0x60) != 0) {
    return PaperStatus::Out;
  }
  if ((answer & 0x0C) != 0) {
    return PaperStatus::NearEnd;
  }
  return PaperStatus::Ok;
}

}  // namespace prepaid::devices
