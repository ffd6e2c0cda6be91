#pragma once

// PaymentService: the payment order lifecycle (issue 7 item 3) over the store, the billing
// service and one PaymentProvider per provider. See backend/payments/README.md for the state
// machine and the exactly-once argument.
//
// Thread safety: every public method is thread-safe. Work on one order is serialised by a
// per-order lock (striped) in this process; across processes the store's compare-and-set
// updates (OrderRepository::update) and the ledger's unique idempotency key keep it correct.
// Durability: every transition is committed (Durability::Full) before the next provider call or
// billing step.

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "prepaid/billing/billing_service.hpp"
#include "prepaid/payments/payment_provider.hpp"
#include "prepaid/store/order_repository.hpp"
#include "prepaid/store/store.hpp"

namespace prepaid::backend::payments {

enum class PaymentErrorCode {
  InvalidAmount,        // below the minimum or above the maximum order amount
  UnknownMeter,         // no such meter
  AccountNotOpen,       // the meter is not on an open account (or was replaced/closed)
  SalesBlocked,         // sales on the meter are blocked
  AboveHoardingCap,     // balance + amount would exceed the cap
  UnknownOrder,         // no such order
  InvalidPaymentCode,   // the scanned code is no WeChat/Alipay payment code (message: why)
  ProviderUnavailable,  // the provider is not configured or could not be reached
  ProviderRefused,      // the provider refused the request (message has its code)
  InvalidState,         // the operation is not possible in the order's state
  IdempotencyConflict,  // the key was used for another order request
  NotRefundable,        // the money already reached the meter and cannot be taken back
  Storage,              // the store failed (Busy included; retry)
};

/// "invalid_amount", … (stable, for logs and API mapping).
[[nodiscard]] std::string toString(PaymentErrorCode code);

struct PaymentError {
  PaymentErrorCode code = PaymentErrorCode::Storage;
  std::string message;
};

struct PaymentOptions {
  // The order minimum and maximum are site settings (store::Settings::orderMinFen/orderMaxFen).
  std::int64_t qrLifetimeS = 180;          // time_expire of a kiosk QR order
  std::int64_t codePayTimeoutS = 60;       // reverse a code payment still unconfirmed after this
  std::int64_t closeNotBeforeS = 300;      // WeChat: no close within 5 minutes of creation
  std::int64_t pollIntervalMs = 1000;      // provider query interval while the kiosk waits
  std::int64_t idlePollIntervalS = 30;     // query interval once the order expired / nobody waits
  std::int64_t commandCheckMs = 500;       // how often a crediting order checks its command
  std::int64_t uncreditableAfterS = 7200;  // crediting this long (meter unreachable): staff
  std::int64_t creditRetryS = 300;         // paid but not creditable: try again after this
  std::int64_t workerBatch = 64;           // orders per background pass
  std::int64_t lateCheckWindowS = 86400;  // reconciliation re-queries orders given up this recently
  std::string description = "Prepaid electricity";  // shown to the customer by the provider
  std::function<void(const std::string&)> log;      // one line per event; silent when empty
  /// Called (on the crediting thread) right after a paid order queued its Recharge command, so
  /// an in-process collection engine can claim it at once (CollectionEngine::commandsQueued)
  /// instead of at its next command check. May be empty.
  std::function<void()> commandsQueued;
  /// Called after every persisted state change (order as stored, previous state), on the thread
  /// that made it, with the order's lock held: must be quick and must not call the service.
  /// For metrics and latency measurements. May be empty.
  std::function<void(const store::PaymentOrder&, store::PaymentOrderState)> onTransition;
};

struct CreateOrderRequest {
  store::MeterId meterId = 0;
  std::int64_t amountFen = 0;
  store::PaymentChannel channel = store::PaymentChannel::Qr;
  std::optional<ProviderKind> provider;  // required for Qr; Code: decided by the scanned code
  std::string idempotencyKey;            // required; a replay returns the same order
  std::string source;                    // the kiosk's name
};

/// The clock (UTC), callable from any thread.
using PaymentClock = std::function<domain::Instant()>;

/// Result of handling a provider notification: what to answer on the wire.
struct NotificationResult {
  NotificationAck ack;
  store::NotificationVerdict verdict = store::NotificationVerdict::Rejected;
  std::string reason;
};

struct ReconcileSummary {
  std::int64_t examined = 0;
  std::int64_t changed = 0;  // orders whose state changed
  std::int64_t errors = 0;   // provider or store errors (retried on the next pass)
};

/// Seconds before the next provider refund attempt after `attempts` failed ones (>= 1):
/// 5 s, 30 s, 5 min, then 1 h.
[[nodiscard]] std::int64_t refundRetryDelayS(std::int64_t attempts);

class PaymentService {
 public:
  /// `store` and `billing` must outlive the service. Providers are added with addProvider.
  PaymentService(store::Store& store, billing::BillingService& billing, PaymentClock clock,
                 PaymentOptions options = {});
  ~PaymentService();  // stops the worker
  PaymentService(const PaymentService&) = delete;
  PaymentService& operator=(const PaymentService&) = delete;

  /// Registers the provider for its kind (before start(); not thread-safe with calls).
  void addProvider(std::unique_ptr<PaymentProvider> provider);
  [[nodiscard]] bool hasProvider(ProviderKind kind) const;
  /// The options the service runs with (limits for the kiosk, lifetimes).
  [[nodiscard]] const PaymentOptions& options() const { return m_options; }

  // [SECTION] kiosk

  /// Creates an order after checking the site's amount limits (settings), meter known, account open, sales allowed
  /// and the hoarding cap. Qr: the provider order is created now and the QR text returned in
  /// the order (state pending); when the provider cannot be reached the order stays created and
  /// is settled by the worker. Code: the order waits (created) for submitCode. A replayed key
  /// returns the first order (a QR order still without its QR asks the provider again, with the
  /// same out_trade_no); the same key with another meter/amount is IdempotencyConflict.
  [[nodiscard]] std::expected<store::PaymentOrder, PaymentError> createOrder(
      const CreateOrderRequest& request);
  /// The order; when it waits for the provider and a check is due, queries the provider first
  /// (the kiosk's polling drives settlement even when notifications never arrive).
  [[nodiscard]] std::expected<store::PaymentOrder, PaymentError> order(store::PaymentOrderId id);
  /// The same by order number (out_trade_no); UnknownOrder when there is none.
  [[nodiscard]] std::expected<store::PaymentOrder, PaymentError> orderByNo(
      const std::string& orderNo);
  /// Submits a scanned payment code to a created code-channel order. Returns the order after the
  /// provider's first answer (paid, pending while the customer confirms, or failed).
  [[nodiscard]] std::expected<store::PaymentOrder, PaymentError> submitCode(
      store::PaymentOrderId id, const std::string& code, const std::string& storeId);
  /// The kiosk gives up on an unpaid order. If it was paid meanwhile it stays paid (and is
  /// credited); otherwise it is closed at the provider (WeChat: once the 5-minute rule allows).
  [[nodiscard]] std::expected<store::PaymentOrder, PaymentError> cancel(store::PaymentOrderId id);
  /// The kiosk printed the receipt of a credited order.
  [[nodiscard]] std::expected<store::PaymentOrder, PaymentError> markReceipted(
      store::PaymentOrderId id);

  // [SECTION] provider notifications

  /// Verifies and applies a notification (raw headers and body as received). A bad signature,
  /// stale timestamp, unknown order or amount mismatch changes nothing and is logged Rejected.
  [[nodiscard]] NotificationResult handleNotification(ProviderKind provider,
                                                      const HeaderMap& headers,
                                                      const std::string& body);

  // [SECTION] staff

  [[nodiscard]] std::expected<std::vector<store::PaymentOrder>, PaymentError> search(
      const store::OrderQuery& query);
  [[nodiscard]] std::expected<std::vector<store::PaymentNotificationRecord>, PaymentError>
  notifications(const std::string& orderNo, std::int64_t limit);
  /// Refunds a paid order to the customer (paid, crediting, credited or receipted): allowed
  /// while the money has not reached the meter (paid and not creditable, or its Recharge command
  /// still queued) and for server-side meters. Order of steps: `refunding` (with the refund
  /// number) is persisted, then the recharge's ledger entry is corrected (idempotent key
  /// `pay-refund:<no>`), then the provider is asked; the worker completes whatever step a crash
  /// or an outage left. NotRefundable (the order goes back to its state) when billing cannot take
  /// the recharge back. A provider refusal sets needs_staff ("refund failed") and is retried
  /// with backoff (refundRetryDelayS); calling refund again on a refunding order retries now.
  [[nodiscard]] std::expected<store::PaymentOrder, PaymentError> refund(store::PaymentOrderId id,
                                                                        const std::string& staff,
                                                                        const std::string& reason);

  // [SECTION] background work

  /// One pass over the orders whose check is due. Returns what happened.
  ReconcileSummary pollDue();
  /// Reconciliation: every unsettled order, whatever its next check time (start-up, hourly),
  /// and one provider query for each order that expired, closed or failed within
  /// lateCheckWindowS: one found paid is moved to paid and credited (or left paid with
  /// needs_staff when it can no longer be credited).
  ReconcileSummary reconcileAll();
  /// Starts the worker thread (pollDue every `tickMs`, reconcileAll every `reconcileS`).
  void start(std::int64_t tickMs = 200, std::int64_t reconcileS = 3600);
  /// Stops and joins the worker. Idempotent.
  void stop();

 private:
  struct Outcome {
    bool changed = false;
    bool error = false;
  };
  /// Moves one order as far as it can go now. Holds the order's lock.
  Outcome advance(store::PaymentOrderId id, bool force);
  Outcome advanceLocked(store::PaymentOrder order, bool force);
  Outcome stepPending(store::PaymentOrder& order, PaymentProvider& provider);
  /// One query of a given-up order (expired/closed/failed); a payment found is applied.
  Outcome lateCheck(store::PaymentOrderId id);
  Outcome stepClosing(store::PaymentOrder& order, PaymentProvider& provider);
  Outcome stepReversing(store::PaymentOrder& order, PaymentProvider& provider);
  Outcome stepPaid(store::PaymentOrder& order);
  Outcome stepCrediting(store::PaymentOrder& order);
  Outcome stepRefunding(store::PaymentOrder& order, PaymentProvider& provider);
  /// Corrects the order's recharge entry (found by its ledger key), idempotently. NotRefundable
  /// when billing refuses; Storage when it is busy.
  std::expected<void, PaymentError> takeBackCredit(const store::PaymentOrder& order);
  /// refunding -> the state before the refund (billing refused the correction).
  std::expected<void, PaymentError> revertRefund(store::PaymentOrder& order,
                                                 const std::string& why);
  /// Applies a provider trade status (query answer or verified notification) to an order.
  Outcome applyStatus(store::PaymentOrder& order, const TradeStatus& status,
                      const std::string& origin);
  /// Persists `order` (state and fields) if its stored state is still `from`.
  std::expected<void, PaymentError> save(store::PaymentOrder& order, store::PaymentOrderState from);
  std::expected<store::PaymentOrder, PaymentError> load(store::PaymentOrderId id);
  PaymentProvider* provider(const std::string& name) const;
  std::mutex& lockFor(store::PaymentOrderId id);
  void log(const std::string& line) const;
  void workerLoop(std::int64_t tickMs, std::int64_t reconcileS);

  store::Store& m_store;
  billing::BillingService& m_billing;
  PaymentClock m_clock;
  PaymentOptions m_options;
  std::map<ProviderKind, std::unique_ptr<PaymentProvider>> m_providers;
  std::array<std::mutex, 64> m_orderLocks;

  std::mutex m_workerMutex;
  std::condition_variable m_workerWake;
  bool m_stopping = false;
  std::thread m_worker;
};

}  // namespace prepaid::backend::payments
