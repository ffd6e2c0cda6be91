#pragma once

// What the kiosk asks the backend (DESIGN.md "Wire conventions"). View models depend only on
// this interface; CurlApiClient is the real one, tests use a fake. Every method blocks on the
// network: call from worker threads only, never the UI thread. Implementations are thread-safe.

#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "prepaid/api/error_code.hpp"
#include "prepaid/api/wire_types.hpp"

namespace prepaid::kiosk {

namespace api = prepaid::backend::api;

enum class ClientErrorKind {
  Network,   // connection refused, DNS, TLS, reset: the backend is unreachable
  Timeout,   // no complete answer in time
  Api,       // the backend answered with an error body (see apiCode)
  Protocol,  // the answer is not what the API promises (bad JSON, missing field)
};

struct ClientError {
  ClientErrorKind kind = ClientErrorKind::Network;
  std::optional<api::ErrorCode> apiCode;  // set for Api
  int httpStatus = 0;                     // 0 when no HTTP answer
  std::string message;                    // English, for logs and staff

  /// True when the backend is not reachable or not serving (network, timeout, 502/503/504):
  /// the kiosk shows the offline banner and retries.
  [[nodiscard]] bool offline() const;
};

/// "network", "timeout", "api", "protocol".
[[nodiscard]] std::string_view toString(ClientErrorKind kind);

struct ClientConfig {
  std::string baseUrl = "http://127.0.0.1:8080";  // without /api/v1
  std::string kioskKey;                           // X-Kiosk-Key
  std::chrono::milliseconds timeout{8000};        // whole request
  std::chrono::milliseconds connectTimeout{3000};
};

struct IdentifyRequest {
  std::optional<std::string> shopNumber;
  std::optional<std::string> cardToken;  // from the account's QR card
  std::optional<std::string> pin;
};

enum class Granularity { Hour, Day, Month };
/// "hour", "day", "month" (the API's query values).
[[nodiscard]] std::string_view toString(Granularity granularity);

enum class PaymentChannel {
  Qr,    // the kiosk shows the provider's QR code for the customer to scan
  Code,  // the kiosk scans the customer's payment code
};

/// Payment order states as the API names them (store::PaymentOrderState).
enum class OrderState {
  Created,
  Pending,
  Paid,
  Crediting,
  Credited,
  Receipted,
  Expired,
  Closing,
  Closed,
  Reversing,
  Reversed,
  Refunding,
  Refunded,
  Failed,
};
[[nodiscard]] std::string_view toString(OrderState state);
[[nodiscard]] std::optional<OrderState> parseOrderState(std::string_view name);

struct Order {
  std::string orderNo;  // the order's id in URLs
  std::int64_t meterId = 0;
  std::int64_t amountFen = 0;
  PaymentChannel channel = PaymentChannel::Qr;
  std::string provider;  // "wechat" | "alipay" | "" (code pay: decided by the code)
  OrderState state = OrderState::Created;
  std::string qrCode;  // the provider's code_url / qr_code: what the kiosk draws
  std::optional<std::string> expiresAt;
  std::int64_t expiresInS = 0;                // the backend's countdown while awaiting payment
  std::optional<std::int64_t> ledgerEntryId;  // once credited: the receipt's entry
  std::optional<api::Receipt> receipt;        // once credited: what to print
  std::optional<std::int64_t> balanceAfterFen;
  bool needsStaff = false;  // paid but not creditable for long (attention)
  std::string lastError;    // provider's reason for a failure (English)
  bool operator==(const Order&) const = default;
};

struct CreateOrderRequest {
  std::int64_t meterId = 0;
  std::int64_t amountFen = 0;
  PaymentChannel channel = PaymentChannel::Qr;
  std::string provider = "wechat";
  std::string idempotencyKey;  // one per tenant intent; a retry reuses it
};

struct StaffSession {
  std::string token;
  std::string username;
  std::int64_t expiresInS = 0;
};

struct HealthResult {
  api::Health health;
  std::chrono::milliseconds latency{0};
};

class ApiClient {
 public:
  virtual ~ApiClient() = default;

  /// Replaces the backend URL, kiosk key and timeouts (settings screen). Thread-safe.
  virtual void configure(const ClientConfig& config) = 0;
  [[nodiscard]] virtual ClientConfig config() const = 0;

  /// GET /api/v1/health with the round-trip latency.
  [[nodiscard]] virtual std::expected<HealthResult, ClientError> health() = 0;
  /// POST /api/v1/kiosk/identify: the account by shop number or card (+ PIN).
  [[nodiscard]] virtual std::expected<api::AccountView, ClientError> identify(
      const IdentifyRequest& request) = 0;
  /// GET /api/v1/kiosk/accounts/{id} with the tenant token.
  [[nodiscard]] virtual std::expected<api::AccountView, ClientError> account(
      std::int64_t accountId, const std::string& tenantToken) = 0;
  [[nodiscard]] virtual std::expected<api::UsageSeries, ClientError> usage(
      std::int64_t accountId, std::int64_t meterId, Granularity granularity,
      const std::string& tenantToken) = 0;
  [[nodiscard]] virtual std::expected<std::vector<api::AlarmView>, ClientError> alarms(
      std::int64_t accountId, const std::string& tenantToken) = 0;
  [[nodiscard]] virtual std::expected<std::vector<api::RechargeView>, ClientError> recharges(
      std::int64_t accountId, const std::string& tenantToken) = 0;
  [[nodiscard]] virtual std::expected<api::Receipt, ClientError> receipt(
      std::int64_t accountId, std::int64_t entryId, const std::string& tenantToken) = 0;

  /// POST /api/v1/kiosk/orders (Idempotency-Key): anyone may pay into a shop's meter, so only
  /// the kiosk key is needed.
  [[nodiscard]] virtual std::expected<Order, ClientError> createOrder(
      const CreateOrderRequest& request) = 0;
  /// GET /api/v1/kiosk/orders/{order_no}.
  [[nodiscard]] virtual std::expected<Order, ClientError> order(const std::string& orderNo) = 0;
  /// POST /api/v1/kiosk/orders/{order_no}/cancel (the tenant left or the countdown ran out).
  [[nodiscard]] virtual std::expected<Order, ClientError> cancelOrder(
      const std::string& orderNo) = 0;
  /// POST /api/v1/kiosk/orders/{order_no}/code: the customer's scanned payment code.
  [[nodiscard]] virtual std::expected<Order, ClientError> submitPaymentCode(
      const std::string& orderNo, const std::string& authCode) = 0;
  /// POST /api/v1/kiosk/orders/{order_no}/receipted: the receipt was printed.
  [[nodiscard]] virtual std::expected<void, ClientError> markReceipted(
      const std::string& orderNo) = 0;

  /// POST /api/v1/auth/login (staff, maintenance mode).
  [[nodiscard]] virtual std::expected<StaffSession, ClientError> staffLogin(
      const std::string& username, const std::string& password) = 0;
  /// POST /api/v1/audit/events: one staff action at this kiosk for the backend's audit log.
  [[nodiscard]] virtual std::expected<void, ClientError> audit(const std::string& staffToken,
                                                               const std::string& action,
                                                               const std::string& detail) = 0;
};

}  // namespace prepaid::kiosk
