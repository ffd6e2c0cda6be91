#pragma once

// Wire types of payment orders (issue 7): the kiosk's order request and the order view it polls,
// the staff view with the provider details, and the provider-notification log. Names follow the
// wire conventions of wire_types.hpp (snake_case, money in fen, RFC 3339 times).
//
// Order states on the wire are the store's names: created, pending, paid, crediting, credited,
// receipted, expired, closing, closed, reversing, reversed, refunding, refunded, failed. `stage`
// groups them for a kiosk screen:
//
//   awaiting_payment  created, pending               show the QR / wait for the customer
//   credit_pending    paid, crediting                paid, the meter has not confirmed yet
//   credited          credited, receipted            done: print `receipt`
//   not_paid          expired, closing, closed, reversing, reversed, failed
//   refunded          refunding, refunded            staff refunded the customer

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "prepaid/api/wire_types.hpp"

namespace prepaid::backend::api {

enum class OrderStage {
  AwaitingPayment,
  CreditPending,
  Credited,
  NotPaid,
  Refunded,
};

/// "awaiting_payment", "credit_pending", "credited", "not_paid", "refunded".
[[nodiscard]] std::string_view toString(OrderStage stage);
[[nodiscard]] std::optional<OrderStage> parseOrderStage(std::string_view name);
/// The stage of a store state name ("pending" -> AwaitingPayment); nullopt for unknown names.
[[nodiscard]] std::optional<OrderStage> stageOfState(std::string_view state);

/// POST /api/v1/kiosk/orders body.
struct OrderRequest {
  std::int64_t meterId = 0;
  std::int64_t amountFen = 0;
  std::string channel = "qr";  // "qr" | "code"
  std::string provider;        // "wechat" | "alipay"; required for "qr", absent for "code"
  bool operator==(const OrderRequest&) const = default;
};

/// What the kiosk sees of an order (GET /api/v1/kiosk/orders/{order_no} and every order answer).
struct OrderView {
  std::string orderNo;  // the order's id in URLs (out_trade_no at the provider)
  std::int64_t meterId = 0;
  std::string meterSerial;
  std::string shopNumber;  // "" when the meter has no shop
  std::int64_t amountFen = 0;
  std::string channel;   // "qr" | "code"
  std::string provider;  // "wechat" | "alipay" | "" (code order before its code)
  std::string state;     // store state name
  OrderStage stage = OrderStage::AwaitingPayment;
  bool creditPending = false;  // paid, the meter's confirmation is outstanding
  std::string qrCode;          // WeChat code_url / Alipay qr_code: what the kiosk draws
  std::string createdAt;
  std::string expiresAt;        // QR: time_expire; code pay: the confirmation deadline
  std::int64_t expiresInS = 0;  // countdown while awaiting payment, else 0
  std::optional<std::string> paidAt;
  std::optional<std::string> creditedAt;
  std::optional<std::string> receiptedAt;
  std::optional<std::int64_t> paidFen;
  std::optional<std::int64_t> ledgerEntryId;    // the recharge entry once paid and posted
  std::optional<std::int64_t> balanceAfterFen;  // balance right after the recharge
  std::optional<Receipt> receipt;               // once credited: what to print
  std::string attention;                        // "none" | "needs_staff"
  std::string lastError;                        // provider's / billing's reason (English)
  bool operator==(const OrderView&) const = default;
};

/// The staff view: the kiosk view plus provider and handling details.
struct StaffOrderView {
  OrderView order;
  std::int64_t orderId = 0;
  std::string source;  // "kiosk:<name>"
  std::string providerTradeNo;
  std::string attentionReason;
  std::string refundNo;
  std::string refundReason;
  std::string refundedBy;
  std::optional<std::int64_t> commandId;  // meter-side: the Recharge command
  std::int64_t checks = 0;                // provider queries made
  std::string updatedAt;
  bool operator==(const StaffOrderView&) const = default;
};

/// One received provider notification (GET /api/v1/orders/{order_no}).
struct OrderNotificationView {
  std::string provider;
  std::string orderNo;
  std::string eventId;
  std::string verdict;  // "accepted" | "duplicate" | "rejected"
  std::string reason;
  std::optional<std::int64_t> amountFen;
  std::string receivedAt;
  bool operator==(const OrderNotificationView&) const = default;
};

void to_json(nlohmann::json& json, const OrderRequest& value);
void from_json(const nlohmann::json& json, OrderRequest& value);
void to_json(nlohmann::json& json, const OrderView& value);
void from_json(const nlohmann::json& json, OrderView& value);
/// Flat: every OrderView field plus the staff fields.
void to_json(nlohmann::json& json, const StaffOrderView& value);
void from_json(const nlohmann::json& json, StaffOrderView& value);
void to_json(nlohmann::json& json, const OrderNotificationView& value);
void from_json(const nlohmann::json& json, OrderNotificationView& value);

}  // namespace prepaid::backend::api
