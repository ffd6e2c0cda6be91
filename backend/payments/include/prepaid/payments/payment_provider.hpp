#pragma once

// PaymentProvider: one QR/code payment provider (WeChat Pay API v3, Alipay open API) behind one
// interface, so the order lifecycle in PaymentService is written once. Every call is a signed
// request whose answer is verified before it is believed; an answer that does not verify is an
// error, never a state.

#include <cstdint>
#include <expected>
#include <optional>
#include <string>

#include "prepaid/domain/time.hpp"
#include "prepaid/payments/provider_transport.hpp"

namespace prepaid::backend::payments {

enum class ProviderKind {
  Wechat,
  Alipay,
};

/// "wechat" / "alipay" (stable, as stored and in the API).
[[nodiscard]] std::string toString(ProviderKind kind);
[[nodiscard]] std::optional<ProviderKind> parseProviderKind(const std::string& text);

enum class ProviderErrorCode {
  Unreachable,     // the request did not reach the provider: nothing happened there
  Unknown,         // sent but no verifiable answer (timeout, 5xx, bad signature): outcome unknown
  Rejected,        // the provider answered with a definite business error (message has its code)
  BadSignature,    // a notification or answer whose signature does not verify
  BadMessage,      // malformed JSON/form, missing fields, undecryptable resource
  StaleTimestamp,  // a notification outside the clock-skew window
  Configuration,   // keys/certificates/ids missing or unusable
};

struct ProviderError {
  ProviderErrorCode code = ProviderErrorCode::Unknown;
  std::string providerCode;  // the provider's own code (ORDERNOTEXIST, ACQ.TRADE_NOT_EXIST, …)
  std::string message;
};

/// The state of a trade as the provider reports it (both providers mapped onto one set).
enum class TradeState {
  NotPaid,   // created, not paid yet (WeChat NOTPAY, Alipay WAIT_BUYER_PAY)
  Paying,    // the customer is confirming a code payment (USERPAYING / 10003)
  Paid,      // SUCCESS / TRADE_SUCCESS / TRADE_FINISHED
  Closed,    // CLOSED / TRADE_CLOSED (unpaid, or fully refunded on Alipay), REVOKED
  Refunded,  // REFUND (WeChat: a refund exists)
  Failed,    // PAYERROR: the payment failed (the customer may try again with a new order)
  NotFound,  // the provider has no such trade
};

[[nodiscard]] std::string toString(TradeState state);

struct TradeStatus {
  TradeState state = TradeState::NotPaid;
  std::int64_t amountFen = 0;   // the trade's total as the provider reports it (0 when unknown)
  std::string providerTradeNo;  // transaction_id / trade_no, when known
  std::string detail;           // provider's state text
};

struct QrOrder {
  std::string outTradeNo;       // our order number (<= 32 chars, [0-9A-Za-z])
  std::int64_t amountFen = 0;   // > 0
  std::string description;      // shown to the customer
  domain::Instant expiresAt{};  // time_expire / time_expire(Alipay): the provider closes it then
};

struct CodeOrder {
  std::string outTradeNo;
  std::int64_t amountFen = 0;
  std::string description;
  std::string authCode;  // the scanned payment code (never stored)
  std::string storeId;   // the kiosk's id (scene info)
};

struct RefundOrder {
  std::string outTradeNo;
  std::string outRefundNo;  // idempotent: the same number never refunds twice
  std::int64_t refundFen = 0;
  std::int64_t totalFen = 0;
  std::string reason;
};

enum class RefundState {
  Success,     // money returned
  Processing,  // accepted, not finished yet (asking again with the same number is safe)
  Failed,
};

enum class CancelOutcome {
  Closed,    // nothing had been paid; the trade is closed
  Refunded,  // the trade had been paid and the money was returned (Alipay cancel, WeChat reverse)
};

/// A verified provider notification.
struct Notification {
  std::string outTradeNo;
  TradeStatus status;
  std::string eventId;  // the provider's notification id (WeChat id, Alipay notify_id)
};

/// What to answer the provider's HTTP request with.
struct NotificationAck {
  int status = 200;
  std::string contentType;
  std::string body;
};

class PaymentProvider {
 public:
  virtual ~PaymentProvider() = default;

  [[nodiscard]] virtual ProviderKind kind() const = 0;

  /// Creates a QR order (WeChat Native pay, Alipay precreate); returns the text to show as QR
  /// (code_url / qr_code).
  [[nodiscard]] virtual std::expected<std::string, ProviderError> createQr(
      const QrOrder& order) = 0;
  /// Submits a payment code (付款码). Returns Paid, Paying (customer confirming: poll query) or
  /// an error; Unknown errors must be followed by query.
  [[nodiscard]] virtual std::expected<TradeStatus, ProviderError> payByCode(
      const CodeOrder& order) = 0;
  /// Queries a trade by our order number.
  [[nodiscard]] virtual std::expected<TradeStatus, ProviderError> query(
      const std::string& outTradeNo) = 0;
  /// Closes an unpaid trade (WeChat close, Alipay cancel). On WeChat not earlier than 5 minutes
  /// after creation (the caller keeps that rule; see PaymentOptions).
  [[nodiscard]] virtual std::expected<CancelOutcome, ProviderError> close(
      const std::string& outTradeNo) = 0;
  /// Reverses a code payment after a timeout (WeChat reverse, Alipay cancel): paid money is
  /// returned, an unpaid trade is closed.
  [[nodiscard]] virtual std::expected<CancelOutcome, ProviderError> reverse(
      const std::string& outTradeNo) = 0;
  /// Refunds (idempotent by outRefundNo).
  [[nodiscard]] virtual std::expected<RefundState, ProviderError> refund(
      const RefundOrder& order) = 0;

  /// Verifies and decodes a payment notification (headers and raw body as received) at `now`.
  [[nodiscard]] virtual std::expected<Notification, ProviderError> parseNotification(
      const HeaderMap& headers, const std::string& body, domain::Instant now) = 0;
  /// The answer to a notification: accepted (the provider stops resending) or not.
  enum class Verdict { Accepted, Refused };
  [[nodiscard]] virtual NotificationAck acknowledge(Verdict verdict,
                                                    const std::string& reason) const = 0;
};

}  // namespace prepaid::backend::payments
