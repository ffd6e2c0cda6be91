#include "prepaid/viewmodels/text.hpp"

#include "prepaid/printer/receipt_document.hpp"

namespace prepaid::kiosk {

std::string_view toString(Language language) {
  return language == Language::ZhCn ? "zh-CN" : "en";
}

std::optional<Language> parseLanguage(std::string_view name) {
  if (name == "zh-CN" || name == "zh") {
    return Language::ZhCn;
  }
  if (name == "en") {
    return Language::En;
  }
  return std::nullopt;
}

std::string yuanText(std::int64_t fen) {
  return devices::formatYuan(fen);
}

std::string kwhText(std::int64_t centiKwh) {
  return devices::formatYuan(centiKwh);  // same two-decimal scale
}

std::string statusKey(api::MeterStatusCode status) {
  return "status." + std::string(api::toString(status));
}

std::uint32_t statusColour(api::MeterStatusCode status) {
  switch (status) {
    case api::MeterStatusCode::Normal:
      return 0x2E7D32;
    case api::MeterStatusCode::Alarm1:
      return 0xF9A825;
    case api::MeterStatusCode::Alarm2:
      return 0xEF6C00;
    case api::MeterStatusCode::Arrears:
      return 0xC62828;
    case api::MeterStatusCode::Tripped:
      return 0x8E0000;
    case api::MeterStatusCode::LostContact:
      return 0x6A1B9A;
    case api::MeterStatusCode::KeepPower:
      return 0x1565C0;
  }
  return 0x9E9E9E;
}

Message explain(const ClientError& error) {
  if (error.offline()) {
    return {"error.offline", {}};
  }
  if (error.kind == ClientErrorKind::Api && error.apiCode) {
    switch (*error.apiCode) {
      case api::ErrorCode::UnknownShop:
        return {"identify.unknown_shop", {}};
      case api::ErrorCode::UnknownAccount:
        return {"identify.unknown_account", {}};
      case api::ErrorCode::InvalidPin:
        return {"identify.wrong_pin", {}};
      case api::ErrorCode::AccountLocked:
        return {"identify.locked", {}};
      case api::ErrorCode::PinRequired:
        return {"identify.pin_required", {}};
      case api::ErrorCode::Unauthenticated:
      case api::ErrorCode::SessionExpired:
        return {"error.session", {}};
      case api::ErrorCode::AboveHoardingCap:
        return {"recharge.error.cap", {}};
      case api::ErrorCode::SalesBlocked:
        return {"recharge.error.blocked", {}};
      case api::ErrorCode::AccountNotOpen:
        return {"recharge.error.not_open", {}};
      case api::ErrorCode::InvalidCredentials:
        return {"maintenance.login_failed", {}};
      case api::ErrorCode::Busy:
      case api::ErrorCode::Unavailable:
        return {"error.busy", {}};
      default:
        break;
    }
  }
  return {"error.generic", {}};
}

std::string localTimeText(std::string_view rfc3339) {
  if (rfc3339.size() < 16) {
    return std::string(rfc3339);
  }
  std::string out(rfc3339.substr(0, 16));
  out[10] = ' ';
  return out;
}

namespace {

// Length of the well-formed UTF-8 sequence at `text[i]`, 0 when it is not one.
std::size_t utf8SequenceLength(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) {
    return 1;
  }
  std::size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    low = lead == 0xE0 ? 0xA0 : 0x80;   // no overlong forms
    high = lead == 0xED ? 0x9F : 0xBF;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    low = lead == 0xF0 ? 0x90 : 0x80;
    high = lead == 0xF4 ? 0x8F : 0xBF;  // up to U+10FFFF
  } else {
    return 0;
  }
  if (i + length > text.size()) {
    return 0;
  }
  if (byte(i + 1) < low || byte(i + 1) > high) {
    return 0;
  }
  for (std::size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) {
      return 0;
    }
  }
  return length;
}

}  // namespace

bool isValidUtf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = utf8SequenceLength(text, i);
    if (length == 0) {
      return false;
    }
    i += length;
  }
  return true;
}

std::string printableText(std::string_view text) {
  static constexpr char Hex[] = "0123456789ABCDEF";
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = utf8SequenceLength(text, i);
    const auto lead = static_cast<unsigned char>(text[i]);
    if (length == 0 || lead < 0x20 || lead == 0x7F) {
      out += "\\x";
      out.push_back(Hex[lead >> 4]);
      out.push_back(Hex[lead & 0x0F]);
      ++i;
      continue;
    }
    out.append(text.substr(i, length));
    i += length;
  }
  return out;
}

}  // namespace prepaid::kiosk
