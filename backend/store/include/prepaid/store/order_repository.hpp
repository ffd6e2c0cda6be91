#pragma once

// Payment orders (QR / payment-code recharges through WeChat Pay and Alipay) and the log of the
// provider notifications received for them (migration 4). The state machine is enforced here as
// a storage-level guarantee; the payments service (backend/payments/README.md) drives it.
//
//   created ─▶ pending ─▶ paid ─▶ crediting ─▶ credited ─▶ receipted
//      │          │ │ │    │          │            │           │
//      │          │ │ │    └──────────┴────────────┴───────────┴▶ refunding ─▶ refunded
//      │          │ │ │                 (refunding ─▶ back to paid … receipted when billing
//      │          │ │ │                  refuses to take the credit back: no refund happened)
//      │          │ │ └─▶ expired | failed | closing ─▶ closed      (each may still become paid:
//      │          │ └───▶ reversing ─▶ reversed                      a late payment is kept)
//      └──────────┴─────▶ (the same exits as pending)

#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "prepaid/domain/time.hpp"
#include "prepaid/store/ids.hpp"
#include "prepaid/store/store_error.hpp"

namespace prepaid::store {

using PaymentOrderId = std::int64_t;

enum class PaymentOrderState {
  Created,    // persisted before the provider is asked
  Pending,    // the provider has the order (QR shown / code submitted)
  Paid,       // the provider confirmed the payment (amount checked); not credited yet
  Crediting,  // the recharge ledger entry is posted; the meter has not confirmed yet
  Credited,   // the meter confirmed the recharge (or server-side: the balance holds it)
  Receipted,  // the kiosk printed the receipt (final)
  Expired,    // not paid before time_expire
  Closing,    // the kiosk cancelled; the provider-side close is outstanding
  Closed,     // closed unpaid at the provider
  Reversing,  // a code payment timed out; the reverse/cancel is outstanding
  Reversed,   // reversed at the provider: any money went back to the customer (final)
  Refunding,  // staff asked for a refund; the provider refund is outstanding
  Refunded,   // refunded at the provider (final)
  Failed,     // the provider refused the payment (PAYERROR, bad code, …)
};

/// "created", "pending", … (stable, as stored and in the API).
[[nodiscard]] std::string_view toString(PaymentOrderState state);
[[nodiscard]] std::optional<PaymentOrderState> parsePaymentOrderState(std::string_view text);
/// Whether `from -> to` is allowed (self-transitions of non-final states are, to update fields).
[[nodiscard]] bool isAllowedTransition(PaymentOrderState from, PaymentOrderState to);
/// States the background job must still work on (created, pending, paid, crediting, closing,
/// reversing, refunding).
[[nodiscard]] bool needsWork(PaymentOrderState state);

enum class PaymentChannel {
  Qr,    // the kiosk shows the provider's QR code
  Code,  // the kiosk scans the customer's payment code
};

enum class OrderAttention {
  None,
  NeedsStaff,  // paid but not creditable (account closed, sales blocked, meter unreachable for
               // hours): shown to staff with a refund action
};

struct PaymentOrder {
  PaymentOrderId id = 0;
  std::string orderNo;         // out_trade_no at the provider; unique
  std::string idempotencyKey;  // the creating request's key (scoped by the caller); unique
  MeterId meterId = 0;
  std::int64_t amountFen = 0;  // > 0
  std::string provider;        // "wechat" | "alipay"; empty until a code pay decides it
  PaymentChannel channel = PaymentChannel::Qr;
  PaymentOrderState state = PaymentOrderState::Created;
  std::string qrCode;           // code_url / qr_code
  std::string providerTradeNo;  // transaction_id / trade_no
  std::optional<std::int64_t> paidFen;
  std::optional<LedgerEntryId> ledgerEntryId;
  std::optional<CommandId> commandId;  // meter-side: the Recharge command delivering it
  std::string source;                  // who created it (kiosk name)
  OrderAttention attention = OrderAttention::None;
  std::string attentionReason;
  std::string lastError;
  std::string refundNo;  // out_refund_no / out_request_no once a refund was asked for
  std::string refundReason;
  std::string refundedBy;
  domain::Instant createdAt{};
  domain::Instant updatedAt{};
  domain::Instant expiresAt{};                  // provider-side expiry (time_expire)
  domain::Instant nextCheckAt{};                // when the background job looks at it next
  std::optional<domain::Instant> codeDeadline;  // code pay: reverse after this
  std::optional<domain::Instant> paidAt;
  std::optional<domain::Instant> creditedAt;
  std::optional<domain::Instant> receiptedAt;
  std::int64_t checks = 0;  // provider queries made
};

enum class NotificationVerdict {
  Accepted,   // verified and applied
  Duplicate,  // verified, the order was already past that state
  Rejected,   // bad signature, amount mismatch, unknown order, stale, malformed
};

struct PaymentNotificationRecord {
  std::int64_t id = 0;
  std::string provider;
  std::string orderNo;  // may be empty when it could not be read
  std::string eventId;
  NotificationVerdict verdict = NotificationVerdict::Rejected;
  std::string reason;
  std::optional<std::int64_t> amountFen;
  domain::Instant receivedAt{};
};

struct OrderQuery {
  std::optional<PaymentOrderState> state;
  std::optional<MeterId> meterId;
  std::string orderNo;                  // exact order number or provider trade number; empty = any
  std::optional<domain::Instant> from;  // createdAt >= from
  std::optional<domain::Instant> to;    // createdAt < to
  bool attentionOnly = false;
  std::int64_t limit = 100;
};

class OrderRepository {
 public:
  virtual ~OrderRepository() = default;

  /// Inserts a new order (id ignored). Duplicate when the order number or idempotency key is
  /// taken; Constraint for an unknown meter or a non-positive amount.
  [[nodiscard]] virtual std::expected<PaymentOrder, StoreError> add(const PaymentOrder& order) = 0;
  /// Replaces the mutable fields of an order whose stored state is still `expected` (compare
  /// and set). InvalidTransition when the stored state differs or expected -> order.state is not
  /// allowed; NotFound when absent. Returns the stored order.
  [[nodiscard]] virtual std::expected<PaymentOrder, StoreError> update(
      const PaymentOrder& order, PaymentOrderState expected) = 0;
  /// One order; NotFound when absent.
  [[nodiscard]] virtual std::expected<PaymentOrder, StoreError> order(PaymentOrderId id) const = 0;
  [[nodiscard]] virtual std::expected<std::optional<PaymentOrder>, StoreError> orderByNo(
      const std::string& orderNo) const = 0;
  [[nodiscard]] virtual std::expected<std::optional<PaymentOrder>, StoreError> orderByKey(
      const std::string& idempotencyKey) const = 0;
  /// Orders that need work (needsWork) with nextCheckAt <= now, earliest first.
  [[nodiscard]] virtual std::expected<std::vector<PaymentOrder>, StoreError> due(
      domain::Instant now, std::int64_t limit) const = 0;
  /// Every order that needs work regardless of nextCheckAt (reconciliation), oldest first.
  [[nodiscard]] virtual std::expected<std::vector<PaymentOrder>, StoreError> unsettled(
      std::int64_t limit) const = 0;
  /// Staff search, newest first.
  [[nodiscard]] virtual std::expected<std::vector<PaymentOrder>, StoreError> search(
      const OrderQuery& query) const = 0;
  /// How many orders are in each state (one GROUP BY over the table, for /metrics); a state with
  /// no order is absent from the map.
  [[nodiscard]] virtual std::expected<std::map<PaymentOrderState, std::int64_t>, StoreError>
  countByState() const = 0;

  /// Appends to the notification log (append-only).
  [[nodiscard]] virtual std::expected<PaymentNotificationRecord, StoreError> logNotification(
      const PaymentNotificationRecord& record) = 0;
  /// The log entries of an order number, oldest first; all orders when orderNo is empty.
  [[nodiscard]] virtual std::expected<std::vector<PaymentNotificationRecord>, StoreError>
  notifications(const std::string& orderNo, std::int64_t limit) const = 0;
};

}  // namespace prepaid::store
