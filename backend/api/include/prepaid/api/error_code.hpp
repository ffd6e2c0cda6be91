#pragma once

// API error codes: the `code` of `{"error": {"code": "...", "message": "..."}}` and the HTTP
// status each maps to. Codes are stable lower_snake_case names; clients branch on them, and show
// the message (English, one line) only to staff.

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace prepaid::backend::api {

enum class ErrorCode {
  InvalidJson,            // 400: the body is not JSON (or not an object)
  InvalidField,           // 400: a field has the wrong type, range or format
  MissingField,           // 400: a required field is absent
  InvalidParameter,       // 400: a path or query parameter is malformed
  MissingIdempotencyKey,  // 400: a money-moving POST without Idempotency-Key
  InvalidCsv,             // 400: a CSV import has errors (details per row)
  Unauthenticated,        // 401: no or invalid credentials / session / kiosk key
  SessionExpired,         // 401: the session expired; log in again
  InvalidCredentials,     // 401: wrong username or password
  PinRequired,            // 401: this site requires the shop's PIN for personal details
  InvalidPin,             // 401: wrong PIN
  Forbidden,              // 403: authenticated but lacking the permission
  AccountLocked,          // 423: too many failed logins or PINs; retry later
  NotFound,               // 404: route or resource does not exist
  UnknownShop,            // 404: no shop with that number
  UnknownAccount,         // 404: no open account for the shop / card
  UnknownMeter,           // 404: no meter with that id
  MethodNotAllowed,       // 405
  Conflict,               // 409: the value is already taken (serial, name, shop number, …)
  IdempotencyConflict,    // 409: Idempotency-Key reused with a different body
  InvalidState,           // 409: the operation is not allowed in the current state
  AccountNotOpen,         // 409: the meter is not on an open account
  SalesBlocked,           // 409: sales on the meter are blocked (purchase-count mismatch)
  AboveHoardingCap,       // 409: the recharge would exceed the stored-balance cap
  RefundAboveBalance,     // 409: refund larger than the balance
  NotSupported,           // 409: not possible for this meter (e.g. refund on a meter-side meter)
  AlreadyCorrected,       // 409: the entry was corrected before
  InvalidAmount,          // 400: order amount below the site's minimum or above its maximum
  InvalidPaymentCode,     // 400: the scanned code is no WeChat/Alipay payment code
  InvalidTariff,          // 400: a tariff breaks a rule (overlapping periods, …); details.rule
  UnknownTariff,          // 404: no tariff with that id
  UnknownOrder,           // 404: no payment order with that number (for this kiosk)
  ProviderRefused,        // 409: the payment provider refused (bad code, payment error, …)
  NotRefundable,          // 409: the order's money reached a meter-side meter; no refund here
  PayloadTooLarge,        // 413: body above the limit
  UnsupportedMediaType,   // 415: a JSON route got another content type
  Busy,                   // 503: the database is busy; retry
  Unavailable,            // 503: a service is not running (e.g. no collector)
  PaymentsUnavailable,    // 503: payments are not running at this site
  ProviderUnavailable,    // 503: the payment provider is not configured or did not answer
  Internal,               // 500: anything else; details only in the server log
};

/// "invalid_json", "invalid_field", … (stable).
[[nodiscard]] std::string_view toString(ErrorCode code);
/// Parses a name produced by toString(ErrorCode).
[[nodiscard]] std::optional<ErrorCode> parseErrorCode(std::string_view name);
/// The HTTP status of a code.
[[nodiscard]] int httpStatus(ErrorCode code);
/// Every code, in declaration order (for documentation and tests).
[[nodiscard]] std::span<const ErrorCode> allErrorCodes();

struct ApiError {
  ErrorCode code = ErrorCode::Internal;
  std::string message;
  nlohmann::json details;  // optional structured details (e.g. per-row CSV errors); null if none
};

/// The error body {"error": {"code": ..., "message": ...}} (plus "details" when given).
[[nodiscard]] std::string errorBody(const ApiError& error);
/// Parses an error body; nullopt when it is not one (client side).
[[nodiscard]] std::optional<ApiError> parseErrorBody(std::string_view body);

}  // namespace prepaid::backend::api
