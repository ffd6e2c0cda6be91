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

}  // namespace prepaid::kiosk
