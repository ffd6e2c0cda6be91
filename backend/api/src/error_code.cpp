#include "prepaid/api/error_code.hpp"

#include <array>
#include <utility>

namespace prepaid::backend::api {

namespace {

struct CodeInfo {
  ErrorCode code;
  std::string_view name;
  int status;
};

constexpr std::array<CodeInfo, 41> Codes = {{
    {ErrorCode::InvalidJson, "invalid_json", 400},
    {ErrorCode::InvalidField, "invalid_field", 400},
    {ErrorCode::MissingField, "missing_field", 400},
    {ErrorCode::InvalidParameter, "invalid_parameter", 400},
    {ErrorCode::MissingIdempotencyKey, "missing_idempotency_key", 400},
    {ErrorCode::InvalidCsv, "invalid_csv", 400},
    {ErrorCode::Unauthenticated, "unauthenticated", 401},
    {ErrorCode::SessionExpired, "session_expired", 401},
    {ErrorCode::InvalidCredentials, "invalid_credentials", 401},
    {ErrorCode::PinRequired, "pin_required", 401},
    {ErrorCode::InvalidPin, "invalid_pin", 401},
    {ErrorCode::Forbidden, "forbidden", 403},
    {ErrorCode::AccountLocked, "account_locked", 423},
    {ErrorCode::NotFound, "not_found", 404},
    {ErrorCode::UnknownShop, "unknown_shop", 404},
    {ErrorCode::UnknownAccount, "unknown_account", 404},
    {ErrorCode::UnknownMeter, "unknown_meter", 404},
    {ErrorCode::MethodNotAllowed, "method_not_allowed", 405},
    {ErrorCode::Conflict, "conflict", 409},
    {ErrorCode::IdempotencyConflict, "idempotency_conflict", 409},
    {ErrorCode::InvalidState, "invalid_state", 409},
    {ErrorCode::AccountNotOpen, "account_not_open", 409},
    {ErrorCode::SalesBlocked, "sales_blocked", 409},
    {ErrorCode::AboveHoardingCap, "above_hoarding_cap", 409},
    {ErrorCode::RefundAboveBalance, "refund_above_balance", 409},
    {ErrorCode::NotSupported, "not_supported", 409},
    {ErrorCode::AlreadyCorrected, "already_corrected", 409},
    {ErrorCode::InvalidAmount, "invalid_amount", 400},
    {ErrorCode::InvalidPaymentCode, "invalid_payment_code", 400},
    {ErrorCode::InvalidTariff, "invalid_tariff", 400},
    {ErrorCode::UnknownTariff, "unknown_tariff", 404},
    {ErrorCode::UnknownOrder, "unknown_order", 404},
    {ErrorCode::ProviderRefused, "provider_refused", 409},
    {ErrorCode::NotRefundable, "not_refundable", 409},
    {ErrorCode::PayloadTooLarge, "payload_too_large", 413},
    {ErrorCode::UnsupportedMediaType, "unsupported_media_type", 415},
    {ErrorCode::Busy, "busy", 503},
    {ErrorCode::Unavailable, "unavailable", 503},
    {ErrorCode::PaymentsUnavailable, "payments_unavailable", 503},
    {ErrorCode::ProviderUnavailable, "provider_unavailable", 503},
    {ErrorCode::Internal, "internal", 500},
}};

constexpr auto AllCodes = [] {
  std::array<ErrorCode, Codes.size()> all{};
  for (std::size_t i = 0; i < Codes.size(); ++i) {
    all[i] = Codes[i].code;
  }
  return all;
}();

const CodeInfo* find(ErrorCode code) {
  for (const auto& info : Codes) {
    if (info.code == code) {
      return &info;
    }
  }
  return nullptr;
}

}  // namespace

std::string_view toString(ErrorCode code) {
  const auto* info = find(code);
  return info != nullptr ? info->name : "internal";
}

std::optional<ErrorCode> parseErrorCode(std::string_view name) {
  for (const auto& info : Codes) {
    if (info.name == name) {
      return info.code;
    }
  }
  return std::nullopt;
}

int httpStatus(ErrorCode code) {
  const auto* info = find(code);
  return info != nullptr ? info->status : 500;
}

std::span<const ErrorCode> allErrorCodes() {
  return AllCodes;
}

std::string errorBody(const ApiError& error) {
  nlohmann::json inner = {{"code", toString(error.code)}, {"message", error.message}};
  if (!error.details.is_null()) {
    inner["details"] = error.details;
  }
  return nlohmann::json{{"error", std::move(inner)}}.dump();
}

std::optional<ApiError> parseErrorBody(std::string_view body) {
  const auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (!parsed.is_object() || !parsed.contains("error") || !parsed["error"].is_object()) {
    return std::nullopt;
  }
  const auto& inner = parsed["error"];
  if (!inner.contains("code") || !inner["code"].is_string()) {
    return std::nullopt;
  }
  ApiError error;
  error.code = parseErrorCode(inner["code"].get<std::string>()).value_or(ErrorCode::Internal);
  if (inner.contains("message") && inner["message"].is_string()) {
    error.message = inner["message"].get<std::string>();
  }
  if (inner.contains("details")) {
    error.details = inner["details"];
  }
  return error;
}

}  // namespace prepaid::backend::api
