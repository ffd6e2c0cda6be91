#include "prepaid/viewmodels/recharge_view_model.hpp"

#include <algorithm>
#include <random>

#include "prepaid/viewmodels/account_view_model.hpp"

namespace prepaid::kiosk {

namespace {

bool isPaidState(OrderState state) {
  return state == OrderState::Paid || state == OrderState::Crediting;
}

bool isCreditedState(OrderState state) {
  return state == OrderState::Credited || state == OrderState::Receipted;
}

bool isUnpaidEnd(OrderState state) {
  return state == OrderState::Expired || state == OrderState::Closing ||
         state == OrderState::Closed || state == OrderState::Reversing ||
         state == OrderState::Reversed;
}

}  // namespace

std::string RechargeViewModel::newIdempotencyKey() {
  std::random_device random;
  std::uniform_int_distribution<unsigned> nibble(0, 15);
  std::string key = "kiosk-";
  for (int i = 0; i < 32; ++i) {
    key.push_back("0123456789abcdef"[nibble(random)]);
  }
  return key;
}

void RechargeViewModel::reset() {
  if (m_confirming && m_order) {
    // The tenant leaves before the outcome is known: keep following the order.
    m_background.push_back(m_order->orderNo);
    m_nextBackground = m_context.now();
  }
  ++m_flow;
  m_step = Step::Choose;
  m_meterId = 0;
  m_amountFen = 0;
  m_customDigits.clear();
  m_channel = PaymentChannel::Qr;
  m_message = {};
  m_order.reset();
  m_idempotencyKey.clear();
  m_paidAt.reset();
  m_finishedAt.reset();
  m_requestInFlight = false;
  m_cancelling = false;
  m_confirming = false;
  m_receiptWanted = true;
  m_receiptMessage = {};
}

void RechargeViewModel::begin(std::int64_t meterId) {
  reset();
  if (meterId == 0 && m_context.hasTenant) {
    for (const auto& meter : m_context.tenant.account.meters) {
      if (!meter.salesBlocked) {
        meterId = meter.meterId;
        break;
      }
    }
    if (meterId == 0 && !m_context.tenant.account.meters.empty()) {
      meterId = m_context.tenant.account.meters.front().meterId;
    }
  }
  m_meterId = meterId;
  if (!m_context.settings.presetsFen.empty()) {
    m_amountFen = m_context.settings.presetsFen.size() > 1 ? m_context.settings.presetsFen[1]
                                                           : m_context.settings.presetsFen[0];
  }
}

void RechargeViewModel::selectMeter(std::int64_t meterId) {
  if (m_step == Step::Choose && m_context.tenant.meter(meterId) != nullptr) {
    m_meterId = meterId;
  }
}

void RechargeViewModel::choosePreset(std::int64_t amountFen) {
  if (m_step == Step::Choose) {
    m_amountFen = amountFen;
    m_customDigits.clear();
  }
}

void RechargeViewModel::customKey(char digit) {
  if (m_step != Step::Choose || digit < '0' || digit > '9' ||
      m_customDigits.size() >= MaxCustomDigits || (m_customDigits.empty() && digit == '0')) {
    return;
  }
  m_customDigits.push_back(digit);
  m_amountFen = std::stoll(m_customDigits) * 100;
}

void RechargeViewModel::customBackspace() {
  if (m_step != Step::Choose || m_customDigits.empty()) {
    return;
  }
  m_customDigits.pop_back();
  m_amountFen = m_customDigits.empty() ? 0 : std::stoll(m_customDigits) * 100;
}

std::int64_t RechargeViewModel::maxAmountFen() const {
  std::int64_t max = m_context.settings.maxRechargeFen;
  if (const auto* meter = m_context.tenant.meter(m_meterId)) {
    if (meter->hoardingCapFen > 0) {
      // Without the personal view the balance is unknown: the cap alone bounds it, and the
      // backend refuses what would overshoot (explained as the cap).
      const std::int64_t room =
          meter->personal ? meter->hoardingCapFen - meter->balanceFen : meter->hoardingCapFen;
      max = std::min(max, std::max<std::int64_t>(0, room));
    }
  }
  return max;
}

Message RechargeViewModel::validation() const {
  const auto* meter = m_context.tenant.meter(m_meterId);
  if (meter == nullptr) {
    // Named after the tenant's meters: "电表" for electricity only, "水表" for water only.
    const auto& meters = m_context.tenant.account.meters;
    const auto water =
        std::ranges::count_if(meters, [](const api::MeterView& m) { return m.medium == "water"; });
    if (water == 0) {
      return {"recharge.choose_meter", {}};
    }
    return {
        water == std::ssize(meters) ? "recharge.choose_meter_water" : "recharge.choose_meter_any",
        {}};
  }
  if (meter->salesBlocked) {
    return {"recharge.error.blocked", {}};
  }
  if (m_amountFen <= 0) {
    return {"recharge.enter_amount", {}};
  }
  if (m_amountFen > maxAmountFen()) {
    return {"recharge.above_cap", {yuanText(maxAmountFen())}};
  }
  return {};
}

bool RechargeViewModel::canPay() const {
  return m_step == Step::Choose && validation().empty();
}

void RechargeViewModel::pay() {
  if (!canPay()) {
    m_message = validation();
    return;
  }
  m_idempotencyKey = newIdempotencyKey();
  m_message = {};
  if (m_context.printer == nullptr) {
    m_receiptWanted = false;
    createOrder();
    return;
  }
  m_step = Step::CheckingPaper;
  const auto flow = m_flow;
  devices::ReceiptPrinter* printer = m_context.printer;
  const auto proceedUnknown = [flow, this](const std::string& why) {
    if (flow != m_flow || m_step != Step::CheckingPaper) {
      return;
    }
    m_context.writeLog("paper status unknown (" + why + "): paying without the paper warning");
    createOrder();
  };
  m_context.runner.run(
      [printer, flow, proceedUnknown, this]() -> Continuation {
        auto status = printer->paperStatus();
        // Only a printer that says "out" warns the tenant. One that cannot tell (file: or
        // one-way USB transports, no answer to DLE EOT) is tried: if the receipt then fails,
        // the done screen says so and history can reprint it.
        if (!status || *status == devices::PaperStatus::Unknown) {
          const std::string why = status ? std::string("no valid answer") : status.error().message;
          return [proceedUnknown, why] { proceedUnknown(why); };
        }
        const bool out = *status == devices::PaperStatus::Out;
        return [out, flow, this]() {
          if (flow != m_flow || m_step != Step::CheckingPaper) {
            return;
          }
          if (out) {
            // Say so before any money moves: the tenant decides.
            m_step = Step::PaperWarning;
            m_message = {"recharge.paper_out", {}};
            return;
          }
          createOrder();
        };
      },
      proceedUnknown);
}

void RechargeViewModel::continueWithoutReceipt() {
  if (m_step == Step::PaperWarning) {
    m_receiptWanted = false;
    m_message = {};
    createOrder();
  }
}

void RechargeViewModel::createOrder() {
  m_step = Step::Creating;
  m_requestInFlight = true;
  CreateOrderRequest request;
  request.meterId = m_meterId;
  request.amountFen = m_amountFen;
  request.channel = m_channel;
  request.provider = m_context.settings.provider;
  request.idempotencyKey = m_idempotencyKey;
  const auto flow = m_flow;
  ApiClient& api = m_context.api;
  m_context.runner.run(
      [&api, request, flow, this]() -> Continuation {
        auto result = api.createOrder(request);
        return [result = std::move(result), flow, this]() {
          if (flow != m_flow) {
            return;
          }
          m_requestInFlight = false;
          if (m_context.reportLink) {
            m_context.reportLink(result.has_value() || !result.error().offline());
          }
          if (!result) {
            fail(result.error().offline() ? Message{"recharge.error.offline", {}}
                                          : explain(result.error()));
            return;
          }
          const auto now = m_context.now();
          // The kiosk's countdown, never longer than the provider-side expiry the backend reports.
          auto timeout =
              std::chrono::duration_cast<std::chrono::seconds>(m_context.settings.paymentTimeout);
          if (result->expiresInS > 0) {
            timeout = std::min(timeout, std::chrono::seconds(result->expiresInS));
          }
          m_deadline = now + timeout;
          m_nextPoll = now + PollInterval;
          m_step = Step::Waiting;
          applyOrder(*result);
        };
      },
      [flow, this](const std::string&) {
        if (flow != m_flow) {
          return;
        }
        m_requestInFlight = false;
        fail({"error.generic", {}});
      });
}

void RechargeViewModel::applyOrder(const Order& order) {
  m_order = order;
  if (isCreditedState(order.state)) {
    finishWithReceipt(devices::ReceiptVariant::Credited);
    return;
  }
  if (isPaidState(order.state)) {
    if (!m_paidAt) {
      m_paidAt = m_context.now();
    }
    m_step = Step::Crediting;
    m_message = {"recharge.crediting", {}};
    if (order.needsStaff) {
      finishWithReceipt(devices::ReceiptVariant::CreditPending);
    }
    return;
  }
  if (order.state == OrderState::Failed) {
    fail({"recharge.error.payment_failed", {}});
    return;
  }
  if (isUnpaidEnd(order.state)) {
    fail({"recharge.error.timeout", {}});
    return;
  }
  if (order.state == OrderState::Refunding || order.state == OrderState::Refunded) {
    fail({"recharge.error.refunded", {}});
    return;
  }
  // created / pending: keep waiting.
  m_step = Step::Waiting;
  m_message = m_channel == PaymentChannel::Qr ? Message{"recharge.scan_qr", {}}
                                              : Message{"recharge.show_code", {}};
}

void RechargeViewModel::fail(Message message) {
  m_step = Step::Failed;
  m_finishedAt = m_context.now();
  m_message = std::move(message);
}

void RechargeViewModel::finishWithReceipt(devices::ReceiptVariant variant) {
  m_step = variant == devices::ReceiptVariant::Credited ? Step::Done : Step::CreditPending;
  m_finishedAt = m_context.now();
  m_message = variant == devices::ReceiptVariant::Credited ? Message{"recharge.done", {}}
                                                           : Message{"recharge.credit_pending", {}};
  if (!m_receiptWanted || m_context.printer == nullptr || !m_order) {
    m_receiptMessage = m_receiptWanted ? Message{"print.no_printer", {}} : Message{};
    return;
  }
  m_receiptMessage = {"print.printing", {}};
  devices::ReceiptData data;
  // The backend's spelling when known, so the pending and the credited receipts agree.
  data.siteName =
      m_context.backendSiteName.empty() ? m_context.settings.siteName : m_context.backendSiteName;
  data.shopNumber = m_context.tenant.account.shopNumber;
  if (const auto* meter = m_context.tenant.meter(m_order->meterId)) {
    data.meterSerial = meter->serial;
  }
  data.amountFen = m_order->amountFen;
  data.orderNumber = m_order->orderNo;
  const auto methods = paymentMethodNames(m_context);
  data.paymentMethod =
      methods.name(m_order->provider.empty() ? m_context.settings.provider : m_order->provider);
  data.timeText = m_context.wallTimeText ? m_context.wallTimeText() : std::string();
  data.variant = variant;
  if (variant == devices::ReceiptVariant::Credited) {
    data.balanceAfterFen = m_order->balanceAfterFen;
    if (m_order->receipt) {
      // The backend sent the receipt with the credited order: print exactly that.
      data = receiptData(*m_order->receipt, devices::ReceiptCopy::Original, methods);
      data.orderNumber = m_order->orderNo;
      if (data.siteName.empty()) {
        data.siteName = m_context.settings.siteName;
      } else {
        m_context.backendSiteName = data.siteName;
      }
    }
  }
  const bool fetchDetails = variant == devices::ReceiptVariant::Credited &&
                            !m_order->receipt.has_value() && m_order->ledgerEntryId.has_value() &&
                            m_context.tenant.personal();
  // A pending receipt has no ledger entry yet: any earlier receipt of this account tells the
  // site's name as the backend has it (once per run; cached below).
  const bool fetchSiteName = !fetchDetails && m_context.backendSiteName.empty() &&
                             m_context.tenant.personal() && !m_context.tenant.recharges.empty();
  const auto siteEntryId = fetchSiteName ? m_context.tenant.recharges.front().entryId : 0;
  const auto accountId = m_context.tenant.account.accountId;
  const auto token = m_context.tenant.account.tenantToken;
  const auto entryId = m_order->ledgerEntryId.value_or(0);
  const auto orderNo = m_order->orderNo;
  const auto flow = m_flow;
  ApiClient& api = m_context.api;
  devices::ReceiptPrinter* printer = m_context.printer;
  m_context.runner.run(
      [=, this, &api]() mutable -> Continuation {
        if (fetchDetails) {
          // The ledger's receipt data has the purchase count and the exact balance after.
          if (auto receipt = api.receipt(accountId, entryId, token)) {
            data.balanceAfterFen = receipt->balanceAfterFen;
            data.purchaseCount = receipt->purchaseCount;
            if (!receipt->siteName.empty()) {
              data.siteName = receipt->siteName;
            }
          }
        } else if (fetchSiteName) {
          if (auto earlier = api.receipt(accountId, siteEntryId, token);
              earlier && !earlier->siteName.empty()) {
            data.siteName = earlier->siteName;
          }
        }
        const bool siteFromBackend = fetchDetails || fetchSiteName;
        const auto siteName = data.siteName;
        auto printed = printer->print(devices::composeReceipt(data, printer->columns()));
        if (printed) {
          (void)api.markReceipted(orderNo);  // the backend retries its own bookkeeping
        }
        const bool ok = printed.has_value();
        const auto balance = data.balanceAfterFen;
        return [ok, balance, flow, siteFromBackend, siteName, this]() {
          if (siteFromBackend && siteName != m_context.settings.siteName) {
            m_context.backendSiteName = siteName;
          }
          if (flow != m_flow) {
            return;
          }
          m_receiptMessage = ok ? Message{"print.done", {}} : Message{"print.failed", {}};
          if (m_order && balance && !m_order->balanceAfterFen) {
            m_order->balanceAfterFen = balance;
          }
        };
      },
      [flow, this](const std::string&) {
        if (flow == m_flow) {
          m_receiptMessage = {"print.failed", {}};
        }
      });
}

void RechargeViewModel::cancel() {
  if (m_step == Step::Waiting && m_order && !m_cancelling) {
    m_cancelling = true;
    const auto orderNo = m_order->orderNo;
    ApiClient& api = m_context.api;
    // Fire and forget: the flow is reset now; the backend closes the order (and keeps a late
    // payment, which then credits the meter automatically).
    m_context.runner.run([&api, orderNo]() -> Continuation {
      (void)api.cancelOrder(orderNo);
      return nullptr;
    });
  }
  const auto meterId = m_meterId;
  begin(meterId);
}

void RechargeViewModel::codeScanned(const std::string& code) {
  if (m_step != Step::Waiting || m_channel != PaymentChannel::Code || !m_order ||
      m_requestInFlight) {
    return;
  }
  if (code.empty() || !isValidUtf8(code)) {
    // Not a payment code (a foreign QR, line noise); the JSON body could not even carry it.
    m_message = {"scan.unreadable", {}};
    return;
  }
  m_requestInFlight = true;
  m_message = {"recharge.code_checking", {}};
  const auto orderNo = m_order->orderNo;
  const auto flow = m_flow;
  ApiClient& api = m_context.api;
  m_context.runner.run(
      [&api, orderNo, code, flow, this]() -> Continuation {
        auto result = api.submitPaymentCode(orderNo, code);
        return [result = std::move(result), flow, this]() {
          if (flow != m_flow) {
            return;
          }
          m_requestInFlight = false;
          if (!result) {
            // The poll keeps following the order; the tenant can scan again.
            m_message = result.error().offline() ? Message{"recharge.error.offline_waiting", {}}
                                                 : Message{"recharge.error.code_refused", {}};
            return;
          }
          applyOrder(*result);
        };
      },
      [flow, this](const std::string&) {
        if (flow != m_flow) {
          return;
        }
        m_requestInFlight = false;
        m_message = {"recharge.error.code_refused", {}};
      });
}

void RechargeViewModel::confirmUnknownOutcome(const Order& order) {
  m_order = order;
  if (isPaidState(order.state) || isCreditedState(order.state)) {
    // The payment slipped in before the cancel: follow it to the credit as usual.
    m_confirming = false;
    m_cancelling = false;
    applyOrder(order);
    return;
  }
  if (order.state == OrderState::Failed || isUnpaidEnd(order.state)) {
    m_confirming = false;
    m_message = {"recharge.error.timeout", {}};  // now confirmed: cancelled, nothing charged
    return;
  }
  if (order.state == OrderState::Refunding || order.state == OrderState::Refunded) {
    m_confirming = false;
    m_message = {"recharge.error.refunded", {}};
  }
  // Still open (created / pending): the next round cancels it again.
}

void RechargeViewModel::tick(SteadyTime now) {
  if (m_step == Step::Failed && m_confirming) {
    if (now >= m_nextPoll && !m_requestInFlight && m_order) {
      pollOrder(now);
    }
    return;
  }
  if (m_step != Step::Waiting && m_step != Step::Crediting) {
    return;
  }
  if (m_step == Step::Crediting && m_paidAt && now - *m_paidAt >= m_context.settings.creditWait) {
    finishWithReceipt(devices::ReceiptVariant::CreditPending);
    return;
  }
  if (m_step == Step::Waiting && now >= m_deadline && !m_cancelling && m_order) {
    // Out of time: cancel; if the payment slipped in meanwhile, the answer says paid.
    m_cancelling = true;
    m_requestInFlight = true;
    const auto orderNo = m_order->orderNo;
    const auto flow = m_flow;
    ApiClient& api = m_context.api;
    m_context.runner.run(
        [&api, orderNo, flow, this]() -> Continuation {
          auto result = api.cancelOrder(orderNo);
          return [result = std::move(result), flow, this]() {
            if (flow != m_flow) {
              return;
            }
            m_requestInFlight = false;
            if (result && (isPaidState(result->state) || isCreditedState(result->state))) {
              m_cancelling = false;  // no cancel any more: polling follows the credit again
              applyOrder(*result);
              return;
            }
            if (!result) {
              // Unreachable or refused: nobody knows whether the order closed or a late payment
              // got in. Say so, and keep following the order until it reaches a final state.
              fail({"recharge.error.timeout_unconfirmed", {}});
              m_confirming = true;
              m_nextPoll = m_context.now() + PollInterval;
              return;
            }
            fail({"recharge.error.timeout", {}});
          };
        },
        [flow, this](const std::string&) {
          if (flow != m_flow) {
            return;
          }
          m_requestInFlight = false;
          fail({"recharge.error.timeout_unconfirmed", {}});
          m_confirming = true;
          m_nextPoll = m_context.now() + PollInterval;
        });
    return;
  }
  if (now < m_nextPoll || m_requestInFlight || !m_order || m_cancelling) {
    return;
  }
  pollOrder(now);
}

void RechargeViewModel::pollOrder(SteadyTime now) {
  m_nextPoll = now + PollInterval;
  m_requestInFlight = true;
  const auto orderNo = m_order->orderNo;
  const auto flow = m_flow;
  ApiClient& api = m_context.api;
  const bool confirming = m_confirming;
  m_context.runner.run(
      [&api, orderNo, flow, confirming, this]() -> Continuation {
        auto result = api.order(orderNo);
        if (confirming && result &&
            (result->state == OrderState::Created || result->state == OrderState::Pending)) {
          // The timeout's cancel never arrived: send it again (its answer is the order too).
          result = api.cancelOrder(orderNo);
        }
        return [result = std::move(result), flow, this]() {
          if (flow != m_flow) {
            return;
          }
          m_requestInFlight = false;
          if (m_context.reportLink) {
            m_context.reportLink(result.has_value() || !result.error().offline());
          }
          if (result && m_confirming) {
            confirmUnknownOutcome(*result);
          } else if (result && !m_cancelling) {
            applyOrder(*result);
          }
          // A failed poll is retried at the next interval; the countdown still bounds the wait.
        };
      },
      [flow, this](const std::string&) {
        if (flow == m_flow) {
          m_requestInFlight = false;  // retried at the next interval
        }
      });
}

void RechargeViewModel::followBackground(SteadyTime now) {
  if (m_background.empty() || m_backgroundInFlight || now < m_nextBackground) {
    return;
  }
  m_backgroundInFlight = true;
  m_nextBackground = now + BackgroundInterval;
  const auto orderNo = m_background.front();
  ApiClient& api = m_context.api;
  m_context.runner.run(
      [&api, orderNo, this]() -> Continuation {
        auto result = api.order(orderNo);
        if (result &&
            (result->state == OrderState::Created || result->state == OrderState::Pending)) {
          result = api.cancelOrder(orderNo);
        }
        // Final: anything but created/pending (a paid order is credited by the backend by
        // itself), or an order the backend does not know.
        const bool final =
            result ? (result->state != OrderState::Created && result->state != OrderState::Pending)
                   : !result.error().offline();
        const std::string outcome =
            result ? std::string(toString(result->state)) : result.error().message;
        return [orderNo, final, outcome, this]() {
          m_backgroundInFlight = false;
          if (final && !m_background.empty() && m_background.front() == orderNo) {
            m_background.pop_front();
            m_context.writeLog("order " + orderNo + " after an unconfirmed cancel: " + outcome);
          }
        };
      },
      [this](const std::string&) { m_backgroundInFlight = false; });
}

std::optional<SteadyTime> RechargeViewModel::backgroundDue() const {
  if (m_background.empty() || m_backgroundInFlight) {
    return std::nullopt;
  }
  return m_nextBackground;
}

int RechargeViewModel::secondsLeft(SteadyTime now) const {
  if (m_step != Step::Waiting) {
    return 0;
  }
  const auto left = std::chrono::duration_cast<std::chrono::seconds>(m_deadline - now).count();
  return static_cast<int>(std::max<std::int64_t>(0, left));
}

std::string RechargeViewModel::balanceAfterYuan() const {
  if (m_order && m_order->balanceAfterFen) {
    return yuanText(*m_order->balanceAfterFen);
  }
  return {};
}

std::optional<SteadyTime> RechargeViewModel::nextDue() const {
  std::optional<SteadyTime> due;
  const auto consider = [&due](SteadyTime at) { due = due ? std::min(*due, at) : at; };
  const bool canPoll = !m_requestInFlight && !m_cancelling && m_order.has_value();
  switch (m_step) {
    case Step::Waiting:
      if (!m_cancelling && m_order) {
        consider(m_deadline);  // the timeout's cancel
      }
      if (canPoll) {
        consider(m_nextPoll);
      }
      break;
    case Step::Crediting:
      if (m_paidAt) {
        consider(*m_paidAt + m_context.settings.creditWait);
      }
      if (canPoll) {
        consider(m_nextPoll);
      }
      break;
    case Step::Failed:
      if (m_confirming && !m_requestInFlight && m_order) {
        consider(m_nextPoll);
      }
      break;
    default:
      break;
  }
  return due;
}

}  // namespace prepaid::kiosk
