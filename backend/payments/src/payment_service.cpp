#include "prepaid/payments/payment_service.hpp"

#include <algorithm>
#include <chrono>

#include "provider_common.hpp"

#include "prepaid/payments/crypto.hpp"
#include "prepaid/payments/payment_code.hpp"

namespace prepaid::backend::payments {

using store::PaymentOrder;
using store::PaymentOrderId;
using State = store::PaymentOrderState;

std::string toString(PaymentErrorCode code) {
  switch (code) {
    case PaymentErrorCode::InvalidAmount:
      return "invalid_amount";
    case PaymentErrorCode::UnknownMeter:
      return "unknown_meter";
    case PaymentErrorCode::AccountNotOpen:
      return "account_not_open";
    case PaymentErrorCode::SalesBlocked:
      return "sales_blocked";
    case PaymentErrorCode::AboveHoardingCap:
      return "above_hoarding_cap";
    case PaymentErrorCode::UnknownOrder:
      return "unknown_order";
    case PaymentErrorCode::InvalidPaymentCode:
      return "invalid_payment_code";
    case PaymentErrorCode::ProviderUnavailable:
      return "provider_unavailable";
    case PaymentErrorCode::ProviderRefused:
      return "provider_refused";
    case PaymentErrorCode::InvalidState:
      return "invalid_state";
    case PaymentErrorCode::IdempotencyConflict:
      return "idempotency_conflict";
    case PaymentErrorCode::NotRefundable:
      return "not_refundable";
    case PaymentErrorCode::Storage:
      return "storage";
  }
  return "storage";
}

namespace {

std::unexpected<PaymentError> paymentError(PaymentErrorCode code, std::string message) {
  return std::unexpected(PaymentError{code, std::move(message)});
}

PaymentError fromStore(const store::StoreError& error) {
  return PaymentError{PaymentErrorCode::Storage,
                      std::string(store::toString(error.code)) + ": " + error.message};
}

std::string orderNumber(domain::Instant now) {
  // 'P' + CST yyyymmddHHMMSS + 12 random digits: 27 characters, within both providers' 32/64
  // limits, sortable by time, unguessable.
  const auto t = detail::chinaCivil(now);
  char stamp[64];  // room for any int the compiler cannot rule out (-Wformat-truncation)
  std::snprintf(stamp, sizeof stamp, "P%04d%02u%02u%02lld%02lld%02lld", t.year, t.month, t.day,
                static_cast<long long>(t.hour), static_cast<long long>(t.minute),
                static_cast<long long>(t.second));
  return std::string(stamp) + randomDigits(12);
}

domain::Instant plusSeconds(domain::Instant at, std::int64_t seconds) {
  return at + std::chrono::seconds(seconds);
}

domain::Instant plusMs(domain::Instant at, std::int64_t ms) {
  // Instants are whole seconds; round up so "not before" is never earlier than asked.
  return at + std::chrono::seconds((ms + 999) / 1000);
}

}  // namespace

PaymentService::PaymentService(store::Store& store, billing::BillingService& billing,
                               PaymentClock clock, PaymentOptions options)
    : m_store(store),
      m_billing(billing),
      m_clock(std::move(clock)),
      m_options(std::move(options)) {}

PaymentService::~PaymentService() {
  stop();
}

void PaymentService::addProvider(std::unique_ptr<PaymentProvider> provider) {
  const ProviderKind kind = provider->kind();
  m_providers[kind] = std::move(provider);
}

bool PaymentService::hasProvider(ProviderKind kind) const {
  return m_providers.contains(kind);
}

PaymentProvider* PaymentService::provider(const std::string& name) const {
  auto kind = parseProviderKind(name);
  if (!kind) {
    return nullptr;
  }
  auto it = m_providers.find(*kind);
  return it == m_providers.end() ? nullptr : it->second.get();
}

std::mutex& PaymentService::lockFor(PaymentOrderId id) {
  return m_orderLocks[static_cast<std::size_t>(id) % m_orderLocks.size()];
}

void PaymentService::log(const std::string& line) const {
  if (m_options.log) {
    m_options.log(line);
  }
}

std::expected<PaymentOrder, PaymentError> PaymentService::load(PaymentOrderId id) {
  PaymentOrder order;
  auto read =
      m_store.read([&](const store::ReadTransaction& tx) -> std::expected<void, store::StoreError> {
        auto found = tx.orders().order(id);
        if (!found) {
          return std::unexpected(found.error());
        }
        order = *found;
        return {};
      });
  if (!read) {
    if (read.error().code == store::StoreErrorCode::NotFound) {
      return paymentError(PaymentErrorCode::UnknownOrder, "no payment order " + std::to_string(id));
    }
    return std::unexpected(fromStore(read.error()));
  }
  return order;
}

std::expected<void, PaymentError> PaymentService::save(PaymentOrder& order, State from) {
  order.updatedAt = m_clock();
  PaymentOrder stored;
  auto written =
      m_store.write([&](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
        auto updated = tx.orders().update(order, from);
        if (!updated) {
          return std::unexpected(updated.error());
        }
        stored = *updated;
        return {};
      });
  if (!written) {
    if (written.error().code == store::StoreErrorCode::InvalidTransition) {
      return paymentError(PaymentErrorCode::InvalidState, written.error().message);
    }
    return std::unexpected(fromStore(written.error()));
  }
  order = stored;
  if (from != order.state) {
    log("payment order " + order.orderNo + ": " + std::string(store::toString(from)) + " -> " +
        std::string(store::toString(order.state)));
    if (m_options.onTransition) {
      m_options.onTransition(order, from);
    }
  }
  return {};
}

// [SECTION] kiosk

std::expected<PaymentOrder, PaymentError> PaymentService::createOrder(
    const CreateOrderRequest& request) {
  if (request.idempotencyKey.empty()) {
    return paymentError(PaymentErrorCode::InvalidState, "an order needs an idempotency key");
  }
  std::string providerName;
  if (request.channel == store::PaymentChannel::Qr) {
    if (!request.provider || !hasProvider(*request.provider)) {
      return paymentError(PaymentErrorCode::ProviderUnavailable,
                          "choose a configured provider (wechat or alipay) for a QR order");
    }
    providerName = toString(*request.provider);
  }
  const domain::Instant now = m_clock();
  std::optional<PaymentError> refusal;
  PaymentOrder order;
  bool replayed = false;
  auto refuse = [&](PaymentErrorCode code, std::string message) {
    refusal = PaymentError{code, std::move(message)};
    return std::unexpected(store::StoreError{store::StoreErrorCode::InvalidArgument, "refused"});
  };
  auto written = m_store.write([&](store::WriteTransaction& tx)
                                   -> std::expected<void, store::StoreError> {
    auto existing = tx.orders().orderByKey(request.idempotencyKey);
    if (!existing) {
      return std::unexpected(existing.error());
    }
    if (*existing) {
      if ((*existing)->meterId != request.meterId || (*existing)->amountFen != request.amountFen ||
          (*existing)->channel != request.channel ||
          (request.provider && (*existing)->provider != providerName)) {
        return refuse(PaymentErrorCode::IdempotencyConflict,
                      "idempotency key was used for another order request");
      }
      order = **existing;
      replayed = true;
      return {};
    }
    // The site's limits (settings; 1.00-5000.00 yuan unless staff changed them).
    auto settings = tx.site().settings();
    if (!settings) {
      return std::unexpected(settings.error());
    }
    if (request.amountFen < settings->orderMinFen || request.amountFen > settings->orderMaxFen) {
      return refuse(PaymentErrorCode::InvalidAmount,
                    "the amount must be between " + std::to_string(settings->orderMinFen) +
                        " and " + std::to_string(settings->orderMaxFen) + " fen");
    }
    auto meter = tx.meters().meter(request.meterId);
    if (!meter) {
      if (meter.error().code == store::StoreErrorCode::NotFound) {
        return refuse(PaymentErrorCode::UnknownMeter,
                      "no meter " + std::to_string(request.meterId));
      }
      return std::unexpected(meter.error());
    }
    auto account = tx.accounts().openAccountOfMeter(request.meterId);
    if (!account) {
      return std::unexpected(account.error());
    }
    if (meter->replacedBy || meter->status != store::MeterStatus::Opened || !*account) {
      return refuse(PaymentErrorCode::AccountNotOpen,
                    "meter " + meter->serial + " is not on an open account");
    }
    if (meter->salesBlock == store::SalesBlock::Blocked) {
      return refuse(PaymentErrorCode::SalesBlocked,
                    "sales on meter " + meter->serial + " are blocked: " + meter->salesBlockReason);
    }
    auto balance = tx.ledger().balanceFen(request.meterId);
    if (!balance) {
      return std::unexpected(balance.error());
    }
    // Money on its way counts too: other orders of the meter that are open or paid but not
    // in the ledger yet. Otherwise two kiosks (or two visits) could each pass the check and
    // the second payment would be refused at credit time (paid, not creditable: staff work).
    std::int64_t openFen = 0;
    for (const State open : {State::Created, State::Pending, State::Paid, State::Closing}) {
      store::OrderQuery query;
      query.state = open;
      query.meterId = request.meterId;
      query.limit = 1000;
      auto orders = tx.orders().search(query);
      if (!orders) {
        return std::unexpected(orders.error());
      }
      for (const auto& other : *orders) {
        if (!other.ledgerEntryId) {
          openFen += other.amountFen;
        }
      }
    }
    if (*balance + openFen > settings->hoardingCapFen - request.amountFen) {
      return refuse(
          PaymentErrorCode::AboveHoardingCap,
          "the balance would exceed the cap of " + std::to_string(settings->hoardingCapFen) +
              " fen (balance " + std::to_string(*balance) + " fen" +
              (openFen > 0 ? ", open orders " + std::to_string(openFen) + " fen" : std::string()) +
              ")");
    }
    PaymentOrder fresh;
    fresh.orderNo = orderNumber(now);
    fresh.idempotencyKey = request.idempotencyKey;
    fresh.meterId = request.meterId;
    fresh.amountFen = request.amountFen;
    fresh.provider = providerName;
    fresh.channel = request.channel;
    fresh.state = State::Created;
    fresh.source = request.source;
    fresh.createdAt = now;
    fresh.expiresAt =
        plusSeconds(now, request.channel == store::PaymentChannel::Qr ? m_options.qrLifetimeS
                                                                      : m_options.qrLifetimeS);
    // A code order waits for its code; a QR order is checked again if its creation is unsure.
    fresh.nextCheckAt =
        plusSeconds(now, request.channel == store::PaymentChannel::Qr ? 2 : m_options.qrLifetimeS);
    auto added = tx.orders().add(fresh);
    if (!added) {
      return std::unexpected(added.error());
    }
    order = *added;
    return {};
  });
  if (refusal) {
    return std::unexpected(*refusal);
  }
  if (!written) {
    return std::unexpected(fromStore(written.error()));
  }
  if (request.channel == store::PaymentChannel::Code) {
    return order;
  }
  std::lock_guard lock(lockFor(order.id));
  State from = State::Created;
  if (replayed) {
    // A retry of a request whose provider call had no answer: ask the provider again (both
    // accept the same out_trade_no with the same content), else return the order as it is.
    // The worker may have found the unanswered order at the provider meanwhile (NOTPAY moves
    // it to pending), but the kiosk still has no QR to show: ask for it all the same.
    auto current = load(order.id);
    if (!current) {
      return current;
    }
    order = *current;
    from = order.state;
    if ((from != State::Created && from != State::Pending) || !order.qrCode.empty()) {
      return order;
    }
  }
  PaymentProvider* qrProvider = provider(order.provider);
  QrOrder qr;
  qr.outTradeNo = order.orderNo;
  qr.amountFen = order.amountFen;
  qr.description = m_options.description;
  qr.expiresAt = order.expiresAt;
  auto code = qrProvider->createQr(qr);
  if (code) {
    order.qrCode = *code;
    order.state = State::Pending;
    order.nextCheckAt = plusMs(now, m_options.pollIntervalMs);
    if (auto saved = save(order, from); !saved) {
      return std::unexpected(saved.error());
    }
    return order;
  }
  order.lastError = code.error().message;
  if (code.error().code == ProviderErrorCode::Unknown) {
    // The provider may hold the order: leave it as it is, the worker queries it.
    (void)save(order, from);
    return paymentError(PaymentErrorCode::ProviderUnavailable,
                        "the payment provider did not answer; try again");
  }
  order.state = State::Failed;
  if (auto saved = save(order, from); !saved) {
    return std::unexpected(saved.error());
  }
  return paymentError(code.error().code == ProviderErrorCode::Rejected
                          ? PaymentErrorCode::ProviderRefused
                          : PaymentErrorCode::ProviderUnavailable,
                      code.error().message);
}

std::expected<PaymentOrder, PaymentError> PaymentService::order(PaymentOrderId id) {
  auto current = load(id);
  if (!current) {
    return current;
  }
  if (store::needsWork(current->state) && current->nextCheckAt <= m_clock()) {
    advance(id, false);
    return load(id);
  }
  return current;
}

std::expected<PaymentOrder, PaymentError> PaymentService::orderByNo(const std::string& orderNo) {
  std::optional<PaymentOrder> found;
  auto read =
      m_store.read([&](const store::ReadTransaction& tx) -> std::expected<void, store::StoreError> {
        auto byNo = tx.orders().orderByNo(orderNo);
        if (!byNo) {
          return std::unexpected(byNo.error());
        }
        found = *byNo;
        return {};
      });
  if (!read) {
    return std::unexpected(fromStore(read.error()));
  }
  if (!found) {
    return paymentError(PaymentErrorCode::UnknownOrder, "no payment order " + orderNo);
  }
  return order(found->id);
}

std::expected<PaymentOrder, PaymentError> PaymentService::submitCode(PaymentOrderId id,
                                                                     const std::string& code,
                                                                     const std::string& storeId) {
  auto kind = classifyPaymentCode(code);
  if (!kind) {
    return paymentError(PaymentErrorCode::InvalidPaymentCode, kind.error());
  }
  auto* codeProvider = m_providers.contains(*kind) ? m_providers.at(*kind).get() : nullptr;
  if (codeProvider == nullptr) {
    return paymentError(PaymentErrorCode::ProviderUnavailable,
                        toString(*kind) + " payment codes are not accepted at this site");
  }
  std::lock_guard lock(lockFor(id));
  auto order = load(id);
  if (!order) {
    return order;
  }
  if (order->channel != store::PaymentChannel::Code || order->state != State::Created ||
      !order->provider.empty()) {
    return paymentError(PaymentErrorCode::InvalidState,
                        "order " + order->orderNo + " does not wait for a payment code (" +
                            std::string(store::toString(order->state)) + ")");
  }
  const domain::Instant now = m_clock();
  // Persist the provider and the deadline before the code leaves this process: after a crash
  // the worker knows whom to ask and when to reverse.
  order->provider = toString(*kind);
  order->state = State::Pending;
  order->codeDeadline = plusSeconds(now, m_options.codePayTimeoutS);
  order->expiresAt = *order->codeDeadline;
  order->nextCheckAt = plusMs(now, m_options.pollIntervalMs);
  if (auto saved = save(*order, State::Created); !saved) {
    return std::unexpected(saved.error());
  }
  CodeOrder request;
  request.outTradeNo = order->orderNo;
  request.amountFen = order->amountFen;
  request.description = m_options.description;
  request.authCode = code;
  request.storeId = storeId.empty() ? order->source : storeId;
  auto status = codeProvider->payByCode(request);
  if (status) {
    applyStatus(*order, *status, "code pay");
    return load(id);
  }
  if (status.error().code == ProviderErrorCode::Rejected ||
      status.error().code == ProviderErrorCode::Unreachable) {
    order->state = State::Failed;
    order->lastError = status.error().message;
    if (auto saved = save(*order, State::Pending); !saved) {
      return std::unexpected(saved.error());
    }
    return paymentError(status.error().code == ProviderErrorCode::Rejected
                            ? PaymentErrorCode::ProviderRefused
                            : PaymentErrorCode::ProviderUnavailable,
                        status.error().message);
  }
  // Outcome unknown (timeout, 20000, SYSTEM_ERROR): the order stays pending and is queried.
  order->lastError = status.error().message;
  (void)save(*order, State::Pending);
  return load(id);
}

std::expected<PaymentOrder, PaymentError> PaymentService::cancel(PaymentOrderId id) {
  {
    std::lock_guard lock(lockFor(id));
    auto order = load(id);
    if (!order) {
      return order;
    }
    const State from = order->state;
    if (from != State::Created && from != State::Pending) {
      return *order;  // paid, closing, final …: nothing to cancel (idempotent for the kiosk)
    }
    if (order->provider.empty()) {
      order->state = State::Closed;  // a code order that never reached a provider
    } else {
      order->state =
          order->channel == store::PaymentChannel::Code ? State::Reversing : State::Closing;
    }
    order->nextCheckAt = m_clock();
    if (auto saved = save(*order, from); !saved) {
      return std::unexpected(saved.error());
    }
  }
  advance(id, true);
  return load(id);
}

std::expected<PaymentOrder, PaymentError> PaymentService::markReceipted(PaymentOrderId id) {
  std::lock_guard lock(lockFor(id));
  auto order = load(id);
  if (!order) {
    return order;
  }
  if (order->state == State::Receipted) {
    return order;
  }
  if (order->state != State::Credited) {
    return paymentError(PaymentErrorCode::InvalidState,
                        "order " + order->orderNo + " is not credited yet");
  }
  order->state = State::Receipted;
  order->receiptedAt = m_clock();
  if (auto saved = save(*order, State::Credited); !saved) {
    return std::unexpected(saved.error());
  }
  return order;
}

// [SECTION] notifications

NotificationResult PaymentService::handleNotification(ProviderKind kind, const HeaderMap& headers,
                                                      const std::string& body) {
  const domain::Instant now = m_clock();
  store::PaymentNotificationRecord record;
  record.provider = toString(kind);
  record.receivedAt = now;
  NotificationResult result;
  auto finish = [&](store::NotificationVerdict verdict, const std::string& reason) {
    record.verdict = verdict;
    record.reason = reason;
    auto logged =
        m_store.write([&](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
          auto stored = tx.orders().logNotification(record);
          if (!stored) {
            return std::unexpected(stored.error());
          }
          return {};
        });
    auto it = m_providers.find(kind);
    const bool accepted = verdict != store::NotificationVerdict::Rejected && logged.has_value();
    result.verdict = verdict;
    result.reason = reason;
    if (it != m_providers.end()) {
      result.ack = it->second->acknowledge(
          accepted ? PaymentProvider::Verdict::Accepted : PaymentProvider::Verdict::Refused,
          reason);
    } else {
      result.ack = {404, "text/plain", "provider not configured"};
    }
    if (verdict == store::NotificationVerdict::Rejected) {
      log("payment notification rejected (" + record.provider + " " + record.orderNo +
          "): " + reason);
    }
    return result;
  };

  auto it = m_providers.find(kind);
  if (it == m_providers.end()) {
    return finish(store::NotificationVerdict::Rejected, "provider not configured");
  }
  auto notification = it->second->parseNotification(headers, body, now);
  if (!notification) {
    return finish(store::NotificationVerdict::Rejected, notification.error().message);
  }
  record.orderNo = notification->outTradeNo;
  record.eventId = notification->eventId;
  record.amountFen = notification->status.amountFen;

  std::optional<PaymentOrder> found;
  auto read =
      m_store.read([&](const store::ReadTransaction& tx) -> std::expected<void, store::StoreError> {
        auto byNo = tx.orders().orderByNo(notification->outTradeNo);
        if (!byNo) {
          return std::unexpected(byNo.error());
        }
        found = *byNo;
        return {};
      });
  if (!read) {
    return finish(store::NotificationVerdict::Rejected, "store: " + read.error().message);
  }
  if (!found) {
    return finish(store::NotificationVerdict::Rejected,
                  "unknown order " + notification->outTradeNo);
  }
  if (found->provider != toString(kind)) {
    return finish(store::NotificationVerdict::Rejected,
                  "order " + found->orderNo + " belongs to another provider");
  }
  if (notification->status.state == TradeState::Paid &&
      notification->status.amountFen != found->amountFen) {
    return finish(store::NotificationVerdict::Rejected,
                  "amount mismatch: notified " + std::to_string(notification->status.amountFen) +
                      " fen, order " + std::to_string(found->amountFen) + " fen");
  }
  Outcome outcome;
  {
    std::lock_guard lock(lockFor(found->id));
    auto current = load(found->id);
    if (!current) {
      return finish(store::NotificationVerdict::Rejected, current.error().message);
    }
    outcome = applyStatus(*current, notification->status, "notification");
  }
  if (outcome.error) {
    // Refused so that the provider sends it again; nothing was lost.
    return finish(store::NotificationVerdict::Rejected, "could not apply now; retry");
  }
  return finish(outcome.changed ? store::NotificationVerdict::Accepted
                                : store::NotificationVerdict::Duplicate,
                outcome.changed ? "applied: " + toString(notification->status.state)
                                : "no change: " + toString(notification->status.state));
}

// [SECTION] staff

std::expected<std::vector<PaymentOrder>, PaymentError> PaymentService::search(
    const store::OrderQuery& query) {
  std::vector<PaymentOrder> orders;
  auto read =
      m_store.read([&](const store::ReadTransaction& tx) -> std::expected<void, store::StoreError> {
        auto found = tx.orders().search(query);
        if (!found) {
          return std::unexpected(found.error());
        }
        orders = std::move(*found);
        return {};
      });
  if (!read) {
    return std::unexpected(fromStore(read.error()));
  }
  return orders;
}

std::expected<std::vector<store::PaymentNotificationRecord>, PaymentError>
PaymentService::notifications(const std::string& orderNo, std::int64_t limit) {
  std::vector<store::PaymentNotificationRecord> records;
  auto read =
      m_store.read([&](const store::ReadTransaction& tx) -> std::expected<void, store::StoreError> {
        auto found = tx.orders().notifications(orderNo, limit);
        if (!found) {
          return std::unexpected(found.error());
        }
        records = std::move(*found);
        return {};
      });
  if (!read) {
    return std::unexpected(fromStore(read.error()));
  }
  return records;
}

std::expected<PaymentOrder, PaymentError> PaymentService::refund(PaymentOrderId id,
                                                                 const std::string& staff,
                                                                 const std::string& reason) {
  {
    std::lock_guard lock(lockFor(id));
    auto order = load(id);
    if (!order) {
      return order;
    }
    const State from = order->state;
    if (from == State::Refunded) {
      return order;  // asked before: idempotent
    }
    if (from != State::Refunding) {
      if (from != State::Paid && from != State::Crediting && from != State::Credited &&
          from != State::Receipted) {
        return paymentError(PaymentErrorCode::InvalidState, "order " + order->orderNo + " is " +
                                                                std::string(store::toString(from)) +
                                                                ": nothing was paid to refund");
      }
      if (provider(order->provider) == nullptr) {
        return paymentError(PaymentErrorCode::ProviderUnavailable,
                            "provider " + order->provider + " is not configured");
      }
      // The intent is persisted first: from here on no credit step runs for the order (only
      // `paid` credits), and after a crash the worker finishes the ledger correction and the
      // provider refund (stepRefunding); the order never reads paid while its money is taken
      // back.
      order->state = State::Refunding;
      order->refundNo = "R" + order->orderNo;
      order->refundReason = reason;
      order->refundedBy = staff;
      order->checks = 0;  // refund attempts from now on (the backoff counts them)
      order->lastError.clear();
      order->nextCheckAt = m_clock();
      if (auto saved = save(*order, from); !saved) {
        return std::unexpected(saved.error());
      }
      if (auto taken = takeBackCredit(*order); !taken) {
        if (taken.error().code != PaymentErrorCode::NotRefundable) {
          // Busy store: the worker completes the correction and the refund.
          order->lastError = taken.error().message;
          (void)save(*order, State::Refunding);
          return order;
        }
        (void)revertRefund(*order, taken.error().message);
        return std::unexpected(taken.error());
      }
    }
    // Refunding already (asked before, or a refused refund staff retry): try again now.
  }
  advance(id, true);
  return load(id);
}

std::expected<void, PaymentError> PaymentService::takeBackCredit(const PaymentOrder& order) {
  // The ledger key, not order.ledgerEntryId: a crash between the sale and the paid -> crediting
  // save leaves an entry the order does not name yet, and it must be taken back all the same.
  std::optional<store::LedgerEntry> entry;
  auto read =
      m_store.read([&](const store::ReadTransaction& tx) -> std::expected<void, store::StoreError> {
        auto found = tx.ledger().entryByKey("pay:" + order.orderNo);
        if (!found) {
          return std::unexpected(found.error());
        }
        entry = *found;
        return {};
      });
  if (!read) {
    return std::unexpected(fromStore(read.error()));
  }
  if (!entry) {
    return {};  // never credited: nothing to take back
  }
  billing::CorrectionRequest correction;
  correction.entryId = entry->id;
  correction.idempotencyKey = "pay-refund:" + order.orderNo;
  correction.source = order.refundedBy.empty() ? std::string("payments") : order.refundedBy;
  correction.note = "refund of payment order " + order.orderNo + ": " + order.refundReason;
  auto corrected = m_billing.correct(correction);
  if (corrected) {
    return {};  // new or replayed: the balance no longer holds the recharge
  }
  const auto code = corrected.error().code;
  if (code == billing::BillingErrorCode::AlreadyCorrected) {
    return {};  // staff corrected the entry by hand: the money is off the balance already
  }
  if (code == billing::BillingErrorCode::Busy || code == billing::BillingErrorCode::Storage) {
    return paymentError(PaymentErrorCode::Storage, corrected.error().message);
  }
  return paymentError(PaymentErrorCode::NotRefundable,
                      "the recharge of order " + order.orderNo +
                          " cannot be taken back: " + corrected.error().message);
}

std::expected<void, PaymentError> PaymentService::revertRefund(PaymentOrder& order,
                                                               const std::string& why) {
  // Where the order was before the refund, from what it records (the crediting step moves on
  // from there: a replayed sale finds the entry, a done command makes it credited).
  order.state = order.receiptedAt  ? State::Receipted
                : order.creditedAt ? State::Credited
                : order.commandId  ? State::Crediting
                                   : State::Paid;
  order.refundNo.clear();
  order.refundReason.clear();
  order.refundedBy.clear();
  order.lastError = "refund refused: " + why;
  order.nextCheckAt = m_clock();
  return save(order, State::Refunding);
}

// [SECTION] the state machine

ReconcileSummary PaymentService::pollDue() {
  ReconcileSummary summary;
  std::vector<PaymentOrder> due;
  auto read =
      m_store.read([&](const store::ReadTransaction& tx) -> std::expected<void, store::StoreError> {
        auto found = tx.orders().due(m_clock(), m_options.workerBatch);
        if (!found) {
          return std::unexpected(found.error());
        }
        due = std::move(*found);
        return {};
      });
  if (!read) {
    ++summary.errors;
    return summary;
  }
  for (const auto& order : due) {
    const Outcome outcome = advance(order.id, false);
    ++summary.examined;
    summary.changed += outcome.changed ? 1 : 0;
    summary.errors += outcome.error ? 1 : 0;
  }
  return summary;
}

ReconcileSummary PaymentService::reconcileAll() {
  ReconcileSummary summary;
  std::vector<PaymentOrder> unsettled;
  auto read =
      m_store.read([&](const store::ReadTransaction& tx) -> std::expected<void, store::StoreError> {
        auto found = tx.orders().unsettled(100000);
        if (!found) {
          return std::unexpected(found.error());
        }
        unsettled = std::move(*found);
        return {};
      });
  if (!read) {
    ++summary.errors;
    return summary;
  }
  for (const auto& order : unsettled) {
    const Outcome outcome = advance(order.id, true);
    ++summary.examined;
    summary.changed += outcome.changed ? 1 : 0;
    summary.errors += outcome.error ? 1 : 0;
  }
  // Orders we gave up on (expired, closed, failed) recently: a payment accepted right at
  // time_expire shows only through a notification, which a site behind NAT never gets. Ask the
  // provider once more; a payment found is kept and credited (or left paid for staff).
  if (m_options.lateCheckWindowS > 0) {
    const domain::Instant since =
        m_clock() - std::chrono::seconds(m_options.lateCheckWindowS + m_options.qrLifetimeS +
                                         m_options.codePayTimeoutS);
    for (const State state : {State::Expired, State::Closed, State::Failed}) {
      store::OrderQuery query;
      query.state = state;
      query.from = since;
      query.limit = 10000;
      auto recent = search(query);
      if (!recent) {
        ++summary.errors;
        continue;
      }
      for (const auto& order : *recent) {
        if (order.provider.empty()) {
          continue;  // a code order whose code never came: the provider never saw it
        }
        const Outcome outcome = lateCheck(order.id);
        ++summary.examined;
        summary.changed += outcome.changed ? 1 : 0;
        summary.errors += outcome.error ? 1 : 0;
      }
    }
  }
  return summary;
}

PaymentService::Outcome PaymentService::lateCheck(PaymentOrderId id) {
  std::lock_guard lock(lockFor(id));
  auto order = load(id);
  if (!order) {
    return {false, true};
  }
  if (order->state != State::Expired && order->state != State::Closed &&
      order->state != State::Failed) {
    return {};
  }
  PaymentProvider* orderProvider = provider(order->provider);
  if (orderProvider == nullptr) {
    return {false, true};
  }
  auto status = orderProvider->query(order->orderNo);
  if (!status) {
    return {false, true};  // the next reconciliation asks again
  }
  if (status->state != TradeState::Paid) {
    return {};
  }
  log("payment order " + order->orderNo + ": paid after it was " +
      std::string(store::toString(order->state)) + " (found by reconciliation)");
  return applyStatus(*order, *status, "reconciliation");
}

PaymentService::Outcome PaymentService::advance(PaymentOrderId id, bool force) {
  std::lock_guard lock(lockFor(id));
  auto order = load(id);
  if (!order) {
    return {false, true};
  }
  return advanceLocked(*order, force);
}

PaymentService::Outcome PaymentService::advanceLocked(PaymentOrder order, bool force) {
  const domain::Instant now = m_clock();
  if (!store::needsWork(order.state) || (!force && order.nextCheckAt > now)) {
    return {};
  }
  const State before = order.state;
  Outcome outcome;
  PaymentProvider* orderProvider = provider(order.provider);
  switch (order.state) {
    case State::Created:
      if (order.provider.empty()) {
        // A code order whose code never came.
        if (now >= order.expiresAt) {
          order.state = State::Expired;
          order.lastError = "no payment code was submitted";
          outcome.error = !save(order, State::Created).has_value();
        }
        break;
      }
      [[fallthrough]];
    case State::Pending:
      if (orderProvider == nullptr) {
        order.lastError = "provider " + order.provider + " is not configured";
        order.nextCheckAt = plusSeconds(now, m_options.idlePollIntervalS);
        outcome.error = true;
        (void)save(order, order.state);
        break;
      }
      outcome = stepPending(order, *orderProvider);
      break;
    case State::Closing:
      outcome =
          orderProvider != nullptr ? stepClosing(order, *orderProvider) : Outcome{false, true};
      break;
    case State::Reversing:
      outcome =
          orderProvider != nullptr ? stepReversing(order, *orderProvider) : Outcome{false, true};
      break;
    case State::Paid:
      outcome = stepPaid(order);
      break;
    case State::Crediting:
      outcome = stepCrediting(order);
      break;
    case State::Refunding:
      outcome =
          orderProvider != nullptr ? stepRefunding(order, *orderProvider) : Outcome{false, true};
      break;
    default:
      break;
  }
  outcome.changed = outcome.changed || order.state != before;
  return outcome;
}

PaymentService::Outcome PaymentService::stepPending(PaymentOrder& order,
                                                    PaymentProvider& provider) {
  const domain::Instant now = m_clock();
  const State from = order.state;
  auto status = provider.query(order.orderNo);
  ++order.checks;
  if (!status) {
    order.lastError = status.error().message;
    order.nextCheckAt = plusMs(now, m_options.pollIntervalMs);
    (void)save(order, from);
    return {false, true};
  }
  if (status->state == TradeState::NotFound) {
    if (from == State::Created && now >= plusSeconds(order.createdAt, 60)) {
      order.state = State::Failed;
      order.lastError = "the provider never created the order";
      return {true, !save(order, from).has_value()};
    }
  } else {
    Outcome applied = applyStatus(order, *status, "query");
    if (order.state != State::Pending && order.state != State::Created) {
      return applied;
    }
  }
  const State current = order.state;
  if (order.channel == store::PaymentChannel::Code && order.codeDeadline &&
      now >= *order.codeDeadline) {
    order.state = State::Reversing;
    order.lastError = "the customer did not confirm in time";
    if (!save(order, current)) {
      return {false, true};
    }
    return stepReversing(order, provider);
  }
  if (order.channel == store::PaymentChannel::Qr && now > order.expiresAt) {
    // time_expire passed and the provider still says unpaid: it cannot be paid any more.
    order.state = State::Expired;
    return {true, !save(order, current).has_value()};
  }
  order.nextCheckAt = plusMs(now, m_options.pollIntervalMs);
  return {false, !save(order, current).has_value()};
}

PaymentService::Outcome PaymentService::applyStatus(PaymentOrder& order, const TradeStatus& status,
                                                    const std::string& origin) {
  const domain::Instant now = m_clock();
  const State from = order.state;
  switch (status.state) {
    case TradeState::Paid: {
      const bool canBecomePaid = from == State::Created || from == State::Pending ||
                                 from == State::Closing || from == State::Expired ||
                                 from == State::Closed || from == State::Failed;
      if (!canBecomePaid) {
        return {};  // already paid (duplicate / late) or reversed: nothing to do
      }
      if (status.amountFen != order.amountFen) {
        order.attention = store::OrderAttention::NeedsStaff;
        order.attentionReason = origin + " reports " + std::to_string(status.amountFen) +
                                " fen paid for an order of " + std::to_string(order.amountFen);
        order.nextCheckAt = plusSeconds(now, m_options.idlePollIntervalS);
        (void)save(order, from);
        return {false, true};
      }
      order.state = State::Paid;
      order.paidFen = status.amountFen;
      order.providerTradeNo = status.providerTradeNo;
      order.paidAt = now;
      order.nextCheckAt = now;
      if (from != State::Created && from != State::Pending) {
        order.attentionReason = "paid after the order was " + std::string(store::toString(from));
      }
      if (auto saved = save(order, from); !saved) {
        return {false, true};
      }
      // Credit right away (the kiosk is waiting). A failed credit is not an error of this
      // step: the payment is recorded, and the worker or staff take it from here.
      (void)stepPaid(order);
      return {true, false};
    }
    case TradeState::Closed:
    case TradeState::Refunded:
      if (from == State::Created || from == State::Pending || from == State::Closing) {
        order.state = status.state == TradeState::Refunded ? State::Reversed
                      : from == State::Closing             ? State::Closed
                      : now > order.expiresAt              ? State::Expired
                                                           : State::Closed;
        return {true, !save(order, from).has_value()};
      }
      return {};
    case TradeState::Failed:
      if (from == State::Created || from == State::Pending) {
        order.state = State::Failed;
        order.lastError = "payment failed: " + status.detail;
        return {true, !save(order, from).has_value()};
      }
      return {};
    case TradeState::NotPaid:
    case TradeState::Paying:
      if (from == State::Created) {
        order.state = State::Pending;
        order.nextCheckAt = plusMs(now, m_options.pollIntervalMs);
        return {true, !save(order, from).has_value()};
      }
      return {};
    case TradeState::NotFound:
      return {};
  }
  return {};
}

PaymentService::Outcome PaymentService::stepPaid(PaymentOrder& order) {
  const domain::Instant now = m_clock();
  billing::SaleRequest sale;
  sale.meterId = order.meterId;
  sale.amountFen = order.paidFen.value_or(order.amountFen);
  // The order's own key: however often this runs (duplicate notifications, a crash between the
  // sale and the next save, two processes), the ledger holds one entry for it (UNIQUE key).
  sale.idempotencyKey = "pay:" + order.orderNo;
  sale.source = "pay:" + order.provider;
  sale.note = "payment order " + order.orderNo + " " + order.providerTradeNo;
  auto receipt = m_billing.sell(sale);
  if (!receipt) {
    const auto code = receipt.error().code;
    const bool transient =
        code == billing::BillingErrorCode::Busy || code == billing::BillingErrorCode::Storage;
    order.lastError = receipt.error().message;
    if (!transient) {
      order.attention = store::OrderAttention::NeedsStaff;
      order.attentionReason = "paid but not creditable: " + receipt.error().message;
    }
    order.nextCheckAt = plusSeconds(now, transient ? 1 : m_options.creditRetryS);
    (void)save(order, State::Paid);
    return {false, true};
  }
  order.ledgerEntryId = receipt->entryId;
  if (order.attention == store::OrderAttention::NeedsStaff) {
    // The problem is gone; a plain note ("paid after the order was expired") stays.
    order.attention = store::OrderAttention::None;
    order.attentionReason.clear();
  }
  order.lastError.clear();
  if (receipt->rechargeCommandId) {
    order.commandId = receipt->rechargeCommandId;
    order.state = State::Crediting;
    order.nextCheckAt = now;
    if (m_options.commandsQueued && receipt->replay == billing::Replay::New) {
      // The command is committed (sell's transaction): wake the bus worker now rather than at
      // its next command check.
      m_options.commandsQueued();
    }
  } else {
    order.state = State::Credited;  // server-side: the balance is the backend's own
    order.creditedAt = now;
  }
  return {true, !save(order, State::Paid).has_value()};
}

PaymentService::Outcome PaymentService::stepCrediting(PaymentOrder& order) {
  const domain::Instant now = m_clock();
  if (!order.commandId) {
    order.state = State::Credited;
    order.creditedAt = now;
    return {true, !save(order, State::Crediting).has_value()};
  }
  std::optional<store::Command> command;
  auto read =
      m_store.read([&](const store::ReadTransaction& tx) -> std::expected<void, store::StoreError> {
        auto found = tx.commands().command(*order.commandId);
        if (!found) {
          return std::unexpected(found.error());
        }
        command = *found;
        return {};
      });
  if (!read) {
    return {false, true};
  }
  if (command->state == store::CommandState::Done) {
    order.state = State::Credited;
    order.creditedAt = now;
    if (order.attention == store::OrderAttention::NeedsStaff) {
      order.attention = store::OrderAttention::None;
      order.attentionReason.clear();
    }
    return {true, !save(order, State::Crediting).has_value()};
  }
  const auto paidAt = order.paidAt.value_or(order.createdAt);
  if (command->state == store::CommandState::Failed) {
    if (order.attention == store::OrderAttention::None) {
      order.attention = store::OrderAttention::NeedsStaff;
      order.attentionReason = "the meter recharge failed: " + command->lastError;
      order.nextCheckAt = plusSeconds(now, m_options.creditRetryS);
      return {false, !save(order, State::Crediting).has_value()};
    }
    return {};
  }
  if (now - paidAt >= std::chrono::seconds(m_options.uncreditableAfterS) &&
      order.attention == store::OrderAttention::None) {
    order.attention = store::OrderAttention::NeedsStaff;
    order.attentionReason = "the meter has not confirmed the recharge since " +
                            std::to_string(m_options.uncreditableAfterS / 60) + " minutes";
    order.nextCheckAt = plusSeconds(now, 10);
    return {false, !save(order, State::Crediting).has_value()};
  }
  if (now - paidAt >= std::chrono::seconds(120) && order.nextCheckAt <= now) {
    // A slow meter: stop looking every tick (one write per 10 s instead).
    order.nextCheckAt = plusSeconds(now, 10);
    return {false, !save(order, State::Crediting).has_value()};
  }
  return {};  // nextCheckAt stays in the past: looked at again next tick, nothing written
}

PaymentService::Outcome PaymentService::stepClosing(PaymentOrder& order,
                                                    PaymentProvider& provider) {
  const domain::Instant now = m_clock();
  auto status = provider.query(order.orderNo);
  ++order.checks;
  if (!status) {
    order.lastError = status.error().message;
    order.nextCheckAt = plusSeconds(now, 2);
    (void)save(order, State::Closing);
    return {false, true};
  }
  if (status->state == TradeState::Paid || status->state == TradeState::Closed ||
      status->state == TradeState::Refunded) {
    return applyStatus(order, *status, "query");
  }
  if (status->state == TradeState::NotFound) {
    order.state = State::Closed;
    return {true, !save(order, State::Closing).has_value()};
  }
  const bool wechat = provider.kind() == ProviderKind::Wechat;
  if (wechat && now < plusSeconds(order.createdAt, m_options.closeNotBeforeS)) {
    if (now > order.expiresAt) {
      // time_expire passed: WeChat will not take a payment any more; no close needed.
      order.state = State::Closed;
      return {true, !save(order, State::Closing).has_value()};
    }
    order.nextCheckAt = std::min(plusSeconds(order.createdAt, m_options.closeNotBeforeS),
                                 plusSeconds(order.expiresAt, 1));
    return {false, !save(order, State::Closing).has_value()};
  }
  auto closed = provider.close(order.orderNo);
  if (!closed) {
    order.lastError = closed.error().message;
    order.nextCheckAt = plusSeconds(now, 5);
    (void)save(order, State::Closing);
    return {false, true};
  }
  order.state = *closed == CancelOutcome::Refunded ? State::Reversed : State::Closed;
  return {true, !save(order, State::Closing).has_value()};
}

PaymentService::Outcome PaymentService::stepReversing(PaymentOrder& order,
                                                      PaymentProvider& provider) {
  const domain::Instant now = m_clock();
  auto reversed = provider.reverse(order.orderNo);
  if (!reversed) {
    order.lastError = reversed.error().message;
    order.nextCheckAt = plusSeconds(now, 2);
    (void)save(order, State::Reversing);
    return {false, true};
  }
  order.state = State::Reversed;
  return {true, !save(order, State::Reversing).has_value()};
}

PaymentService::Outcome PaymentService::stepRefunding(PaymentOrder& order,
                                                      PaymentProvider& provider) {
  const domain::Instant now = m_clock();
  // Recovery: the refund may have been interrupted before its ledger correction.
  if (auto taken = takeBackCredit(order); !taken) {
    if (taken.error().code == PaymentErrorCode::NotRefundable) {
      return {true, !revertRefund(order, taken.error().message).has_value()};
    }
    order.lastError = taken.error().message;
    order.nextCheckAt = plusSeconds(now, 1);
    (void)save(order, State::Refunding);
    return {false, true};
  }
  RefundOrder request;
  request.outTradeNo = order.orderNo;
  request.outRefundNo = order.refundNo;
  request.refundFen = order.paidFen.value_or(order.amountFen);
  request.totalFen = order.paidFen.value_or(order.amountFen);
  request.reason = order.refundReason;
  auto refunded = provider.refund(request);
  ++order.checks;
  if (refunded && *refunded == RefundState::Success) {
    order.state = State::Refunded;
    order.attention = store::OrderAttention::None;
    order.attentionReason.clear();
    order.lastError.clear();
    return {true, !save(order, State::Refunding).has_value()};
  }
  const bool refused = refunded ? *refunded == RefundState::Failed
                                : refunded.error().code == ProviderErrorCode::Rejected ||
                                      refunded.error().code == ProviderErrorCode::Configuration;
  order.lastError =
      refunded ? (*refunded == RefundState::Processing ? "refund processing" : "refund failed")
               : refunded.error().message;
  if (refused) {
    // The provider said no: asking again rarely helps (keep asking, slowly), staff must look.
    order.attention = store::OrderAttention::NeedsStaff;
    order.attentionReason = "refund failed - staff action needed: " + order.lastError;
  }
  order.nextCheckAt = plusSeconds(now, refundRetryDelayS(order.checks));
  (void)save(order, State::Refunding);
  return {false, !refunded.has_value() || refused};
}

std::int64_t refundRetryDelayS(std::int64_t attempts) {
  // 5 s, 30 s, 5 min, then hourly: a refund the provider is still processing finishes in
  // seconds, a refused one needs staff, and neither should be asked about every few seconds.
  constexpr std::array<std::int64_t, 4> Delays{5, 30, 300, 3600};
  const auto index = std::clamp<std::int64_t>(attempts - 1, 0, Delays.size() - 1);
  return Delays[static_cast<std::size_t>(index)];
}

// [SECTION] worker

void PaymentService::start(std::int64_t tickMs, std::int64_t reconcileS) {
  std::lock_guard lock(m_workerMutex);
  if (m_worker.joinable()) {
    return;
  }
  m_stopping = false;
  m_worker = std::thread([this, tickMs, reconcileS] { workerLoop(tickMs, reconcileS); });
}

void PaymentService::stop() {
  {
    std::lock_guard lock(m_workerMutex);
    m_stopping = true;
  }
  m_workerWake.notify_all();
  if (m_worker.joinable()) {
    m_worker.join();
  }
}

void PaymentService::workerLoop(std::int64_t tickMs, std::int64_t reconcileS) {
  auto nextReconcile = std::chrono::steady_clock::now();
  while (true) {
    try {
      if (std::chrono::steady_clock::now() >= nextReconcile) {
        (void)reconcileAll();
        nextReconcile = std::chrono::steady_clock::now() + std::chrono::seconds(reconcileS);
      } else {
        (void)pollDue();
      }
    } catch (const std::exception& error) {
      // Nothing may leave the worker thread; the next pass retries.
      log(std::string("payment worker: ") + error.what());
    }
    std::unique_lock lock(m_workerMutex);
    if (m_workerWake.wait_for(lock, std::chrono::milliseconds(tickMs),
                              [this] { return m_stopping; })) {
      return;
    }
  }
}

}  // namespace prepaid::backend::payments
