#include "prepaid/payments/payment_service.hpp"

#include "payments_fixture.hpp"
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace prepaid::backend::payments {
namespace {

using Json = nlohmann::json;
using State = store::PaymentOrderState;

/// An in-memory provider. Notifications are JSON {"out_trade_no","state","amount","valid"}:
/// "valid": false stands for a bad signature (the real verification is tested per provider).
class FakeProvider final : public PaymentProvider {
 public:
  explicit FakeProvider(ProviderKind kind) : m_kind(kind) {}
  ProviderKind kind() const override { return m_kind; }
  std::expected<std::string, ProviderError> createQr(const QrOrder& order) override {
    ++creates;
    if (createUnanswered) {
      // The provider took the order but the answer was lost.
      trades[order.outTradeNo] = {TradeState::NotPaid, order.amountFen, "", ""};
      return std::unexpected(ProviderError{ProviderErrorCode::Unknown, "", "timeout"});
    }
    trades[order.outTradeNo] = {TradeState::NotPaid, order.amountFen, "", ""};
    lastExpiresAt = order.expiresAt;
    return "https://pay.example/qr/" + order.outTradeNo;
  }
  std::expected<TradeStatus, ProviderError> payByCode(const CodeOrder& order) override {
    trades[order.outTradeNo] = {codeAnswer, order.amountFen, "T-" + order.outTradeNo, ""};
    return trades[order.outTradeNo];
  }
  std::expected<TradeStatus, ProviderError> query(const std::string& no) override {
    ++queries;
    if (unreachable) {
      return std::unexpected(ProviderError{ProviderErrorCode::Unknown, "", "timeout"});
    }
    if (!trades.contains(no)) {
      return TradeStatus{TradeState::NotFound, 0, "", ""};
    }
    return trades[no];
  }
  std::expected<CancelOutcome, ProviderError> close(const std::string& no) override {
    closes.push_back(no);
    trades[no].state = TradeState::Closed;
    return CancelOutcome::Closed;
  }
  std::expected<CancelOutcome, ProviderError> reverse(const std::string& no) override {
    reverses.push_back(no);
    const bool paid = trades[no].state == TradeState::Paid;
    trades[no].state = TradeState::Closed;
    return paid ? CancelOutcome::Refunded : CancelOutcome::Closed;
  }
  std::expected<RefundState, ProviderError> refund(const RefundOrder& order) override {
    refunds.push_back(order);
    if (refundUnreachable) {
      return std::unexpected(ProviderError{ProviderErrorCode::Unknown, "", "timeout"});
    }
    if (refundRefused) {
      return std::unexpected(
          ProviderError{ProviderErrorCode::Rejected, "NOT_ENOUGH", "merchant balance too low"});
    }
    return refundAnswer;
  }
  std::expected<Notification, ProviderError> parseNotification(const HeaderMap&,
                                                               const std::string& body,
                                                               domain::Instant) override {
    const Json json = Json::parse(body);
    if (!json.value("valid", true)) {
      return std::unexpected(ProviderError{ProviderErrorCode::BadSignature, "", "bad signature"});
    }
    Notification n;
    n.outTradeNo = json["out_trade_no"];
    n.status.state = json.value("state", "paid") == "paid" ? TradeState::Paid : TradeState::Closed;
    n.status.amountFen = json["amount"];
    n.status.providerTradeNo = "T-" + n.outTradeNo;
    return n;
  }
  NotificationAck acknowledge(Verdict verdict, const std::string&) const override {
    return {verdict == Verdict::Accepted ? 200 : 400, "text/plain", ""};
  }

  void customerPays(const std::string& no) {
    trades[no].state = TradeState::Paid;
    trades[no].providerTradeNo = "T-" + no;
  }

  std::map<std::string, TradeStatus> trades;
  TradeState codeAnswer = TradeState::Paid;
  bool unreachable = false;
  bool createUnanswered = false;
  bool refundUnreachable = false;
  bool refundRefused = false;
  RefundState refundAnswer = RefundState::Success;
  int queries = 0;
  int creates = 0;
  std::vector<std::string> closes;
  std::vector<std::string> reverses;
  std::vector<RefundOrder> refunds;
  domain::Instant lastExpiresAt{};

 private:
  ProviderKind m_kind;
};

class PaymentServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto wechat = std::make_unique<FakeProvider>(ProviderKind::Wechat);
    auto alipay = std::make_unique<FakeProvider>(ProviderKind::Alipay);
    m_wechat = wechat.get();
    m_alipay = alipay.get();
    service =
        std::make_unique<PaymentService>(*site.store, *site.billing, [this] { return site.now(); });
    service->addProvider(std::move(wechat));
    service->addProvider(std::move(alipay));
  }

  store::PaymentOrder createQr(store::MeterId meter, std::int64_t fen, const std::string& key,
                               ProviderKind kind = ProviderKind::Wechat) {
    CreateOrderRequest request;
    request.meterId = meter;
    request.amountFen = fen;
    request.provider = kind;
    request.idempotencyKey = key;
    request.source = "kiosk-1";
    auto order = service->createOrder(request);
    EXPECT_TRUE(order.has_value()) << (order ? "" : order.error().message);
    return *order;
  }

  NotificationResult notify(const store::PaymentOrder& order, std::int64_t fen, bool valid = true,
                            ProviderKind kind = ProviderKind::Wechat) {
    return service->handleNotification(
        kind, {}, Json{{"out_trade_no", order.orderNo}, {"amount", fen}, {"valid", valid}}.dump());
  }

  store::PaymentOrder reload(const store::PaymentOrder& order) { return *service->order(order.id); }

  test::PaymentSite site;
  std::unique_ptr<PaymentService> service;
  FakeProvider* m_wechat = nullptr;
  FakeProvider* m_alipay = nullptr;
};

TEST_F(PaymentServiceTest, QrOrderIsCreditedExactlyOnceUnderDuplicateNotifications) {
  const auto meter = site.addMeter(domain::BillingMode::ServerSide);
  auto order = createQr(meter, 5000, "k1");
  EXPECT_EQ(order.state, State::Pending);
  EXPECT_EQ(order.qrCode, "https://pay.example/qr/" + order.orderNo);
  EXPECT_EQ(m_wechat->lastExpiresAt, site.now() + std::chrono::seconds(180));  // time_expire set
  m_wechat->customerPays(order.orderNo);
  EXPECT_EQ(notify(order, 5000).verdict, store::NotificationVerdict::Accepted);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(notify(order, 5000).verdict, store::NotificationVerdict::Duplicate);
  }
  (void)service->reconcileAll();
  EXPECT_EQ(reload(order).state, State::Credited);
  EXPECT_EQ(site.entries(meter).size(), 1U);
  EXPECT_EQ(site.balanceFen(meter), 5000);
  EXPECT_EQ(service->markReceipted(order.id)->state, State::Receipted);
  EXPECT_EQ(notify(order, 5000).verdict, store::NotificationVerdict::Duplicate);  // late
  EXPECT_EQ(site.entries(meter).size(), 1U);
}

TEST_F(PaymentServiceTest, MeterSideOrderIsCreditedWhenTheMeterConfirms) {
  const auto meter = site.addMeter(domain::BillingMode::MeterSide);
  auto order = createQr(meter, 2000, "k1");
  m_wechat->customerPays(order.orderNo);
  site.advance(1);
  // No notification at all (NAT): the kiosk's polling finds the payment.
  order = reload(order);
  EXPECT_EQ(order.state, State::Crediting);
  ASSERT_TRUE(order.commandId.has_value());
  EXPECT_EQ(site.rechargeCommands(meter).size(), 1U);
  EXPECT_EQ(reload(order).state, State::Crediting);
  EXPECT_EQ(site.deliverCommands(), 1);
  EXPECT_EQ(reload(order).state, State::Credited);
  EXPECT_EQ(notify(order, 2000).verdict, store::NotificationVerdict::Duplicate);
  EXPECT_EQ(site.rechargeCommands(meter).size(), 1U);
  EXPECT_EQ(site.entries(meter).size(), 1U);
}

TEST_F(PaymentServiceTest, CrashBetweenSaleAndSaveDoesNotCreditTwice) {
  const auto meter = site.addMeter(domain::BillingMode::MeterSide);
  auto order = createQr(meter, 3000, "k1");
  // The sale happened but the process died before the order moved to crediting.
  billing::SaleRequest sale;
  sale.meterId = meter;
  sale.amountFen = 3000;
  sale.idempotencyKey = "pay:" + order.orderNo;
  sale.source = "pay:wechat";
  ASSERT_TRUE(site.billing->sell(sale).has_value());
  m_wechat->customerPays(order.orderNo);
  (void)service->reconcileAll();
  order = reload(order);
  EXPECT_EQ(order.state, State::Crediting);
  EXPECT_EQ(site.entries(meter).size(), 1U);
  EXPECT_EQ(site.rechargeCommands(meter).size(), 1U);
}

TEST_F(PaymentServiceTest, ForgedNotificationsChangeNothing) {
  const auto meter = site.addMeter(domain::BillingMode::ServerSide);
  auto order = createQr(meter, 5000, "k1");
  EXPECT_EQ(notify(order, 5000, false).verdict, store::NotificationVerdict::Rejected);
  EXPECT_EQ(notify(order, 9000).verdict, store::NotificationVerdict::Rejected);  // amount
  store::PaymentOrder unknown = order;
  unknown.orderNo = "P-UNKNOWN";
  EXPECT_EQ(notify(unknown, 5000).verdict, store::NotificationVerdict::Rejected);
  EXPECT_EQ(notify(order, 5000, true, ProviderKind::Alipay).verdict,
            store::NotificationVerdict::Rejected);  // another provider's order
  EXPECT_EQ(reload(order).state, State::Pending);
  EXPECT_TRUE(site.entries(meter).empty());
  auto log = service->notifications("", 100);
  ASSERT_TRUE(log.has_value());
  EXPECT_EQ(log->size(), 4U);
}

TEST_F(PaymentServiceTest, CreateChecksAmountAccountBlockCapAndIdempotency) {
  const auto meter = site.addMeter(domain::BillingMode::ServerSide);
  CreateOrderRequest request;
  request.meterId = meter;
  request.provider = ProviderKind::Wechat;
  request.idempotencyKey = "k";
  request.amountFen = 99;
  EXPECT_EQ(service->createOrder(request).error().code, PaymentErrorCode::InvalidAmount);
  request.amountFen = 500001;
  EXPECT_EQ(service->createOrder(request).error().code, PaymentErrorCode::InvalidAmount);
  // P15: the limits are the site's settings.
  site.mustWrite([&](store::WriteTransaction& t) -> std::expected<void, store::StoreError> {
    auto settings = t.site().settings();
    if (!settings) {
      return std::unexpected(settings.error());
    }
    settings->orderMinFen = 1000;
    settings->orderMaxFen = 2000;
    return t.site().updateSettings(*settings);
  });
  request.amountFen = 999;
  auto belowSite = service->createOrder(request);
  ASSERT_FALSE(belowSite.has_value());
  EXPECT_EQ(belowSite.error().code, PaymentErrorCode::InvalidAmount);
  EXPECT_NE(belowSite.error().message.find("between 1000 and 2000 fen"), std::string::npos)
      << belowSite.error().message;
  request.amountFen = 2001;
  EXPECT_EQ(service->createOrder(request).error().code, PaymentErrorCode::InvalidAmount);
  site.mustWrite([&](store::WriteTransaction& t) -> std::expected<void, store::StoreError> {
    auto settings = t.site().settings();
    if (!settings) {
      return std::unexpected(settings.error());
    }
    EXPECT_EQ(settings->orderMaxFen, 2000);  // stored
    auto inverted = *settings;
    inverted.orderMinFen = 3000;  // above the maximum: the schema refuses it
    EXPECT_FALSE(t.site().updateSettings(inverted).has_value());
    settings->orderMinFen = 100;
    settings->orderMaxFen = 500000;
    return t.site().updateSettings(*settings);
  });
  request.amountFen = 1000;
  request.meterId = 999;
  EXPECT_EQ(service->createOrder(request).error().code, PaymentErrorCode::UnknownMeter);
  request.meterId = site.addMeter(domain::BillingMode::ServerSide, false);
  EXPECT_EQ(service->createOrder(request).error().code, PaymentErrorCode::AccountNotOpen);
  request.meterId = meter;
  site.mustWrite([&](store::WriteTransaction& t) {
    return t.meters().setSalesBlock(meter, store::SalesBlock::Blocked, "purchase count mismatch");
  });
  EXPECT_EQ(service->createOrder(request).error().code, PaymentErrorCode::SalesBlocked);
  site.mustWrite([&](store::WriteTransaction& t) {
    return t.meters().setSalesBlock(meter, store::SalesBlock::Allowed, "");
  });
  request.amountFen = 500000;  // the cap is 500000 fen; balance 0 + 500000 is allowed
  auto first = service->createOrder(request);
  ASSERT_TRUE(first.has_value());
  auto replay = service->createOrder(request);
  ASSERT_TRUE(replay.has_value());
  EXPECT_EQ(replay->id, first->id);
  request.amountFen = 1000;
  EXPECT_EQ(service->createOrder(request).error().code, PaymentErrorCode::IdempotencyConflict);
  m_wechat->customerPays(first->orderNo);
  (void)service->reconcileAll();
  request.idempotencyKey = "k2";
  request.amountFen = 100;
  EXPECT_EQ(service->createOrder(request).error().code, PaymentErrorCode::AboveHoardingCap);
}

// P10: the hoarding cap counts the meter's other open orders at creation; if the cap is still
// exceeded at credit time (a staff sale in between), the payment stays paid and not creditable
// for staff, with the reason, and is refundable: the money is never dropped.
TEST_F(PaymentServiceTest, HoardingCapCountsOpenOrdersAndIsCheckedAgainAtCredit) {
  site.mustWrite([&](store::WriteTransaction& t) -> std::expected<void, store::StoreError> {
    auto settings = t.site().settings();
    if (!settings) {
      return std::unexpected(settings.error());
    }
    settings->hoardingCapFen = 10000;
    return t.site().updateSettings(*settings);
  });
  const auto meter = site.addMeter(domain::BillingMode::ServerSide);
  auto a = createQr(meter, 6000, "a");
  CreateOrderRequest request;
  request.meterId = meter;
  request.amountFen = 5000;
  request.provider = ProviderKind::Alipay;  // another kiosk, another provider: counted all the same
  request.idempotencyKey = "b";
  auto refused = service->createOrder(request);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, PaymentErrorCode::AboveHoardingCap);
  EXPECT_NE(refused.error().message.find("open orders 6000 fen"), std::string::npos)
      << refused.error().message;
  auto c = createQr(meter, 4000, "c");  // 6000 + 4000 = the cap: allowed

  m_wechat->customerPays(a.orderNo);
  (void)notify(a, 6000);
  ASSERT_EQ(reload(a).state, State::Credited);
  request.amountFen = 100;
  request.idempotencyKey = "d";
  EXPECT_EQ(service->createOrder(request).error().code, PaymentErrorCode::AboveHoardingCap);

  // A staff sale at the counter meanwhile (billing knows nothing of the open order).
  billing::SaleRequest sale;
  sale.meterId = meter;
  sale.amountFen = 3000;
  sale.idempotencyKey = "counter-1";
  sale.source = "staff:alice";
  ASSERT_TRUE(site.billing->sell(sale).has_value());
  m_wechat->customerPays(c.orderNo);
  EXPECT_EQ(notify(c, 4000).verdict, store::NotificationVerdict::Accepted);
  const auto stuck = reload(c);
  EXPECT_EQ(stuck.state, State::Paid);
  EXPECT_EQ(stuck.attention, store::OrderAttention::NeedsStaff);
  EXPECT_NE(stuck.attentionReason.find("not creditable"), std::string::npos)
      << stuck.attentionReason;
  EXPECT_EQ(site.balanceFen(meter), 9000);
  store::OrderQuery query;
  query.attentionOnly = true;
  ASSERT_EQ(service->search(query)->size(), 1U);
  auto refunded = service->refund(c.id, "alice", "above the cap");
  ASSERT_TRUE(refunded.has_value()) << refunded.error().message;
  EXPECT_EQ(refunded->state, State::Refunded);
  ASSERT_EQ(m_wechat->refunds.size(), 1U);
  EXPECT_EQ(m_wechat->refunds[0].refundFen, 4000);
  EXPECT_EQ(site.balanceFen(meter), 9000);
}

TEST_F(PaymentServiceTest, CodePayRefusesBadCodesWaitsForUserPayingThenSucceeds) {
  const auto meter = site.addMeter(domain::BillingMode::ServerSide);
  CreateOrderRequest request;
  request.meterId = meter;
  request.amountFen = 1000;
  request.channel = store::PaymentChannel::Code;
  request.idempotencyKey = "c1";
  auto order = service->createOrder(request);
  ASSERT_TRUE(order.has_value());
  EXPECT_EQ(order->state, State::Created);
  EXPECT_EQ(service->submitCode(order->id, "6901234567892", "kiosk").error().code,
            PaymentErrorCode::InvalidPaymentCode);
  m_wechat->codeAnswer = TradeState::Paying;
  auto submitted = service->submitCode(order->id, "134567890123456789", "kiosk");
  ASSERT_TRUE(submitted.has_value()) << submitted.error().message;
  EXPECT_EQ(submitted->state, State::Pending);
  EXPECT_EQ(submitted->provider, "wechat");
  site.advance(5);
  EXPECT_EQ(reload(*order).state, State::Pending);
  m_wechat->customerPays(order->orderNo);
  site.advance(1);
  EXPECT_EQ(reload(*order).state, State::Credited);
  EXPECT_EQ(site.balanceFen(meter), 1000);
  EXPECT_TRUE(m_wechat->reverses.empty());
}

TEST_F(PaymentServiceTest, CodePayTimesOutAndIsReversed) {
  const auto meter = site.addMeter(domain::BillingMode::ServerSide);
  CreateOrderRequest request;
  request.meterId = meter;
  request.amountFen = 1000;
  request.channel = store::PaymentChannel::Code;
  request.idempotencyKey = "c1";
  auto order = service->createOrder(request);
  m_alipay->codeAnswer = TradeState::Paying;
  ASSERT_TRUE(service->submitCode(order->id, "2812345678901234", "kiosk").has_value());
  site.advance(61);
  EXPECT_EQ(reload(*order).state, State::Reversed);
  ASSERT_EQ(m_alipay->reverses.size(), 1U);
  EXPECT_TRUE(site.entries(meter).empty());
}

TEST_F(PaymentServiceTest, UncreditableOrderStaysVisibleAndIsRefunded) {
  const auto meter = site.addMeter(domain::BillingMode::ServerSide);
  auto order = createQr(meter, 4000, "k1");
  site.closeAccountOf(meter);  // closed while the tenant was paying
  m_wechat->customerPays(order.orderNo);
  EXPECT_EQ(notify(order, 4000).verdict, store::NotificationVerdict::Accepted);
  order = reload(order);
  EXPECT_EQ(order.state, State::Paid);
  EXPECT_EQ(order.attention, store::OrderAttention::NeedsStaff);
  store::OrderQuery query;
  query.attentionOnly = true;
  ASSERT_EQ(service->search(query)->size(), 1U);
  auto refunded = service->refund(order.id, "alice", "account closed");
  ASSERT_TRUE(refunded.has_value()) << refunded.error().message;
  EXPECT_EQ(refunded->state, State::Refunded);
  ASSERT_EQ(m_wechat->refunds.size(), 1U);
  EXPECT_EQ(m_wechat->refunds[0].outRefundNo, "R" + order.orderNo);
  EXPECT_EQ(m_wechat->refunds[0].refundFen, 4000);
  EXPECT_TRUE(site.entries(meter).empty());
  EXPECT_EQ(service->refund(order.id, "alice", "again")->state, State::Refunded);  // idempotent
  EXPECT_EQ(m_wechat->refunds.size(), 1U);
}

// P11: the refund's intent is persisted before the ledger correction; an outage or a crash
// between the steps leaves a refunding order (never one that reads paid while its money was
// taken back), and the worker completes the missing steps.
TEST_F(PaymentServiceTest, RefundIsPersistedFirstAndCompletedAfterACrash) {
  const auto meter = site.addMeter(domain::BillingMode::ServerSide);
  auto order = createQr(meter, 2500, "k1");
  m_wechat->customerPays(order.orderNo);
  (void)notify(order, 2500);
  ASSERT_EQ(reload(order).state, State::Credited);
  EXPECT_EQ(site.balanceFen(meter), 2500);

  // The provider does not answer: the order is refunding and the ledger already corrected.
  m_wechat->refundUnreachable = true;
  auto asked = service->refund(order.id, "alice", "wrong shop");
  ASSERT_TRUE(asked.has_value()) << asked.error().message;
  EXPECT_EQ(asked->state, State::Refunding);
  EXPECT_EQ(asked->refundNo, "R" + order.orderNo);
  EXPECT_EQ(site.balanceFen(meter), 0);
  EXPECT_EQ(asked->attention, store::OrderAttention::None);  // not refused, just no answer

  // A crash right after the refunding save (before the correction) of a second order: the
  // worker posts the correction and then refunds.
  auto second = createQr(meter, 1500, "k2");
  m_wechat->customerPays(second.orderNo);
  (void)notify(second, 1500);
  second = reload(second);
  ASSERT_EQ(second.state, State::Credited);
  second.state = State::Refunding;
  second.refundNo = "R" + second.orderNo;
  second.refundedBy = "bob";
  second.refundReason = "double payment";
  second.checks = 0;
  site.mustWrite(
      [&](store::WriteTransaction& t) { return t.orders().update(second, State::Credited); });
  EXPECT_EQ(site.balanceFen(meter), 1500);  // the crash left the money on the balance

  m_wechat->refundUnreachable = false;
  site.advance(5);
  service->reconcileAll();  // at start-up
  EXPECT_EQ(reload(order).state, State::Refunded);
  EXPECT_EQ(reload(second).state, State::Refunded);
  EXPECT_EQ(site.balanceFen(meter), 0);
  const auto entries = site.entries(meter);
  EXPECT_EQ(std::ranges::count_if(entries,
                                  [](const store::LedgerEntry& e) {
                                    return e.kind == domain::EntryKind::Correction;
                                  }),
            2);
  // Every provider refund used the order's refund number (safe to repeat at the provider).
  for (const auto& refund : m_wechat->refunds) {
    EXPECT_TRUE(refund.outRefundNo == "R" + order.orderNo ||
                refund.outRefundNo == "R" + second.orderNo);
  }
}

// P11: a crash between the sale and the paid -> crediting save leaves a ledger entry the order
// does not name; a refund still takes it back (found by the ledger key).
TEST_F(PaymentServiceTest, RefundTakesBackAnEntryTheOrderDoesNotNameYet) {
  const auto meter = site.addMeter(domain::BillingMode::MeterSide);
  auto order = createQr(meter, 1200, "k1");
  m_wechat->customerPays(order.orderNo);
  // The sale happens as stepPaid would, but the order is left paid (the save was lost).
  billing::SaleRequest sale;
  sale.meterId = meter;
  sale.amountFen = 1200;
  sale.idempotencyKey = "pay:" + order.orderNo;
  sale.source = "pay:wechat";
  ASSERT_TRUE(site.billing->sell(sale).has_value());
  order = reload(order);
  order.state = State::Paid;
  order.paidFen = 1200;
  site.mustWrite(
      [&](store::WriteTransaction& t) { return t.orders().update(order, State::Pending); });
  ASSERT_EQ(reload(order).state, State::Paid);
  ASSERT_FALSE(reload(order).ledgerEntryId.has_value());
  auto refunded = service->refund(order.id, "alice", "tenant left");
  ASSERT_TRUE(refunded.has_value()) << refunded.error().message;
  EXPECT_EQ(refunded->state, State::Refunded);
  EXPECT_EQ(site.balanceFen(meter), 0);
  EXPECT_EQ(site.deliverCommands(), 0);  // the queued recharge was cancelled
}

// P11: a refused provider refund flags the order for staff and is retried with backoff, not
// every few seconds; a staff retry asks at once.
TEST_F(PaymentServiceTest, RefusedRefundNeedsStaffAndBacksOff) {
  EXPECT_EQ(refundRetryDelayS(1), 5);
  EXPECT_EQ(refundRetryDelayS(2), 30);
  EXPECT_EQ(refundRetryDelayS(3), 300);
  EXPECT_EQ(refundRetryDelayS(4), 3600);
  EXPECT_EQ(refundRetryDelayS(40), 3600);

  const auto meter = site.addMeter(domain::BillingMode::ServerSide);
  auto order = createQr(meter, 3000, "k1");
  m_wechat->customerPays(order.orderNo);
  (void)notify(order, 3000);
  m_wechat->refundRefused = true;
  auto asked = service->refund(order.id, "alice", "tenant asked");
  ASSERT_TRUE(asked.has_value()) << asked.error().message;
  EXPECT_EQ(asked->state, State::Refunding);
  EXPECT_EQ(asked->attention, store::OrderAttention::NeedsStaff);
  EXPECT_NE(asked->attentionReason.find("refund failed"), std::string::npos)
      << asked->attentionReason;
  store::OrderQuery query;
  query.attentionOnly = true;
  ASSERT_EQ(service->search(query)->size(), 1U);  // in the staff list
  ASSERT_EQ(m_wechat->refunds.size(), 1U);

  const std::vector<std::int64_t> expectedDelays{5, 30, 300, 3600, 3600};
  for (const auto delay : expectedDelays) {
    const auto calls = m_wechat->refunds.size();
    site.advance(delay - 1);
    service->pollDue();
    EXPECT_EQ(m_wechat->refunds.size(), calls) << "before " << delay << " s";
    site.advance(1);
    service->pollDue();
    EXPECT_EQ(m_wechat->refunds.size(), calls + 1) << "after " << delay << " s";
  }
  // No call in between: exactly one attempt per delay.
  EXPECT_EQ(m_wechat->refunds.size(), 1U + expectedDelays.size());

  // Staff sorted it out with the provider and retry: at once, and the flag goes.
  m_wechat->refundRefused = false;
  auto retried = service->refund(order.id, "alice", "retry");
  ASSERT_TRUE(retried.has_value());
  EXPECT_EQ(retried->state, State::Refunded);
  EXPECT_EQ(retried->attention, store::OrderAttention::None);
  EXPECT_EQ(site.balanceFen(meter), 0);
}

// P11: a receipted order can be refunded (server-side: the balance is corrected).
TEST_F(PaymentServiceTest, ReceiptedOrderCanBeRefunded) {
  const auto meter = site.addMeter(domain::BillingMode::ServerSide);
  auto order = createQr(meter, 800, "k1");
  m_wechat->customerPays(order.orderNo);
  (void)notify(order, 800);
  ASSERT_EQ(service->markReceipted(order.id)->state, State::Receipted);
  auto refunded = service->refund(order.id, "alice", "printed, then changed their mind");
  ASSERT_TRUE(refunded.has_value()) << refunded.error().message;
  EXPECT_EQ(refunded->state, State::Refunded);
  EXPECT_EQ(site.balanceFen(meter), 0);
}

TEST_F(PaymentServiceTest, DeliveredMeterSideRechargeIsNotRefundable) {
  const auto meter = site.addMeter(domain::BillingMode::MeterSide);
  auto order = createQr(meter, 1000, "k1");
  m_wechat->customerPays(order.orderNo);
  (void)notify(order, 1000);
  site.deliverCommands();
  EXPECT_EQ(reload(order).state, State::Credited);
  ASSERT_EQ(service->markReceipted(order.id)->state, State::Receipted);
  auto refused = service->refund(order.id, "alice", "why not");
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, PaymentErrorCode::NotRefundable);
  EXPECT_TRUE(m_wechat->refunds.empty());
  // The refund did not happen: the order is back where it was, without a refund number.
  const auto after = reload(order);
  EXPECT_EQ(after.state, State::Receipted);
  EXPECT_TRUE(after.refundNo.empty());
  EXPECT_EQ(site.balanceFen(meter), 1000);
}

TEST_F(PaymentServiceTest, WechatCancelRespectsTheFiveMinuteRuleAndKeepsLatePayments) {
  const auto meter = site.addMeter(domain::BillingMode::ServerSide);
  auto order = createQr(meter, 1000, "k1");
  site.advance(10);
  auto cancelled = service->cancel(order.id);
  EXPECT_EQ(cancelled->state, State::Closing);
  EXPECT_TRUE(m_wechat->closes.empty());  // not within 5 minutes of creation
  site.advance(200);                      // past time_expire (180 s)
  (void)service->pollDue();
  EXPECT_EQ(reload(order).state, State::Closed);
  EXPECT_TRUE(m_wechat->closes.empty());

  // A payment that the provider confirms after we gave up is still credited.
  m_wechat->customerPays(order.orderNo);
  EXPECT_EQ(notify(order, 1000).verdict, store::NotificationVerdict::Accepted);
  EXPECT_EQ(reload(order).state, State::Credited);
  EXPECT_EQ(site.balanceFen(meter), 1000);
}

TEST_F(PaymentServiceTest, AlipayCancelClosesAtOnceAndExpiryIsDetectedByPolling) {
  const auto meter = site.addMeter(domain::BillingMode::ServerSide);
  auto order = createQr(meter, 1000, "k1", ProviderKind::Alipay);
  EXPECT_EQ(service->cancel(order.id)->state, State::Closed);
  EXPECT_EQ(m_alipay->closes.size(), 1U);  // no 5-minute rule on Alipay

  auto other = createQr(meter, 1000, "k2", ProviderKind::Alipay);
  site.advance(181);
  (void)service->pollDue();
  EXPECT_EQ(reload(other).state, State::Expired);
}

// P9: a payment accepted right at time_expire, without a notification (NAT), is found by the
// reconciliation's query of recently expired/closed/failed orders and credited; one whose meter
// can no longer take it stays paid for staff; orders given up long ago are not asked again.
TEST_F(PaymentServiceTest, ReconciliationFindsPaymentsOfRecentlyExpiredOrders) {
  const auto meter = site.addMeter(domain::BillingMode::ServerSide);
  const auto closingMeter = site.addMeter(domain::BillingMode::ServerSide);
  auto old = createQr(meter, 700, "old");
  site.advance(181);
  (void)service->pollDue();
  ASSERT_EQ(reload(old).state, State::Expired);
  site.advance(2 * 86400);

  auto late = createQr(meter, 1000, "late");
  auto cancelled = createQr(closingMeter, 2000, "cancelled", ProviderKind::Alipay);
  EXPECT_EQ(service->cancel(cancelled.id)->state, State::Closed);
  site.advance(181);
  (void)service->pollDue();
  ASSERT_EQ(reload(late).state, State::Expired);
  // The customers' payments went through at the last moment; no notification ever arrives.
  m_wechat->customerPays(late.orderNo);
  m_alipay->customerPays(cancelled.orderNo);
  m_wechat->customerPays(old.orderNo);
  site.closeAccountOf(closingMeter);
  site.advance(600);
  (void)service->pollDue();
  EXPECT_EQ(reload(late).state, State::Expired);  // nothing polls given-up orders

  const int queriesBefore = m_wechat->queries;
  const auto summary = service->reconcileAll();
  EXPECT_GE(summary.changed, 2);
  const auto credited = reload(late);
  EXPECT_EQ(credited.state, State::Credited);
  EXPECT_NE(credited.attentionReason.find("expired"), std::string::npos)
      << credited.attentionReason;
  EXPECT_EQ(site.balanceFen(meter), 1000);
  const auto uncreditable = reload(cancelled);
  EXPECT_EQ(uncreditable.state, State::Paid);
  EXPECT_EQ(uncreditable.attention, store::OrderAttention::NeedsStaff);
  EXPECT_EQ(site.balanceFen(closingMeter), 0);
  // The order given up two days ago is outside the window: not asked, not changed.
  EXPECT_EQ(reload(old).state, State::Expired);
  EXPECT_EQ(m_wechat->queries, queriesBefore + 1);

  // Another reconciliation changes nothing more (one credit).
  (void)service->reconcileAll();
  EXPECT_EQ(site.balanceFen(meter), 1000);
  EXPECT_EQ(site.entries(meter).size(), 1U);
}

TEST_F(PaymentServiceTest, ReconciliationSettlesOrdersAfterProviderOutage) {
  const auto meter = site.addMeter(domain::BillingMode::ServerSide);
  auto order = createQr(meter, 1000, "k1");
  m_wechat->unreachable = true;
  m_wechat->customerPays(order.orderNo);
  site.advance(2);
  EXPECT_GE(service->pollDue().errors, 1);
  EXPECT_EQ(reload(order).state, State::Pending);
  m_wechat->unreachable = false;
  auto summary = service->reconcileAll();
  EXPECT_EQ(summary.changed, 1);
  EXPECT_EQ(reload(order).state, State::Credited);
}

}  // namespace
}  // namespace prepaid::backend::payments

namespace prepaid::backend::payments {
namespace {

TEST_F(PaymentServiceTest, ReplayOfAQrOrderWithoutItsQrAsksTheProviderAgain) {
  const auto meter = site.addMeter(domain::BillingMode::ServerSide);
  CreateOrderRequest request;
  request.meterId = meter;
  request.amountFen = 1000;
  request.provider = ProviderKind::Wechat;
  request.idempotencyKey = "lost-answer";
  m_wechat->createUnanswered = true;
  auto first = service->createOrder(request);
  ASSERT_FALSE(first.has_value());
  EXPECT_EQ(first.error().code, PaymentErrorCode::ProviderUnavailable);
  m_wechat->createUnanswered = false;
  auto retried = service->createOrder(request);
  ASSERT_TRUE(retried.has_value()) << retried.error().message;
  EXPECT_EQ(retried->state, State::Pending);
  EXPECT_FALSE(retried->qrCode.empty());
  EXPECT_EQ(m_wechat->creates, 2);
  // The same order (one out_trade_no at the provider), and a further replay asks nothing.
  EXPECT_EQ(m_wechat->trades.size(), 1U);
  auto again = service->createOrder(request);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->orderNo, retried->orderNo);
  EXPECT_EQ(m_wechat->creates, 2);
  auto byNo = service->orderByNo(retried->orderNo);
  ASSERT_TRUE(byNo.has_value());
  EXPECT_EQ(byNo->id, retried->id);
  EXPECT_EQ(service->orderByNo("P0").error().code, PaymentErrorCode::UnknownOrder);
}

TEST_F(PaymentServiceTest, ReplayAsksForTheQrEvenAfterTheWorkerFoundTheOrderUnpaid) {
  // The kiosk's create timed out; before it retries, the worker queries the order, the provider
  // says NOTPAY and the order becomes pending, still without a QR. The retry must get one.
  const auto meter = site.addMeter(domain::BillingMode::ServerSide);
  CreateOrderRequest request;
  request.meterId = meter;
  request.amountFen = 1000;
  request.provider = ProviderKind::Alipay;
  request.idempotencyKey = "lost-answer-polled";
  m_alipay->createUnanswered = true;
  ASSERT_FALSE(service->createOrder(request).has_value());
  m_alipay->createUnanswered = false;
  site.advance(5);
  EXPECT_EQ(service->pollDue().changed, 1);
  auto polled = service->search({});
  ASSERT_EQ(polled->size(), 1U);
  ASSERT_EQ(polled->front().state, State::Pending);
  ASSERT_TRUE(polled->front().qrCode.empty());
  auto retried = service->createOrder(request);
  ASSERT_TRUE(retried.has_value()) << retried.error().message;
  EXPECT_EQ(retried->state, State::Pending);
  EXPECT_EQ(retried->qrCode, "https://pay.example/qr/" + retried->orderNo);
  EXPECT_EQ(m_alipay->creates, 2);
  EXPECT_EQ(reload(*retried).qrCode, retried->qrCode);
}

TEST_F(PaymentServiceTest, HooksSeeEveryTransitionAndWakeTheBusesOncePerCredit) {
  int wakes = 0;
  std::vector<std::pair<State, State>> transitions;
  PaymentOptions options;
  options.commandsQueued = [&] { ++wakes; };
  options.onTransition = [&](const store::PaymentOrder& order, State from) {
    transitions.emplace_back(from, order.state);
  };
  PaymentService hooked(
      *site.store, *site.billing, [this] { return site.now(); }, options);
  auto provider = std::make_unique<FakeProvider>(ProviderKind::Alipay);
  auto* alipay = provider.get();
  hooked.addProvider(std::move(provider));
  const auto meter = site.addMeter(domain::BillingMode::MeterSide);
  CreateOrderRequest request;
  request.meterId = meter;
  request.amountFen = 500;
  request.provider = ProviderKind::Alipay;
  request.idempotencyKey = "hooks";
  auto order = hooked.createOrder(request);
  ASSERT_TRUE(order.has_value());
  alipay->customerPays(order->orderNo);
  const auto paid = Json{{"out_trade_no", order->orderNo}, {"amount", 500}, {"valid", true}}.dump();
  EXPECT_EQ(hooked.handleNotification(ProviderKind::Alipay, {}, paid).verdict,
            store::NotificationVerdict::Accepted);
  EXPECT_EQ(hooked.handleNotification(ProviderKind::Alipay, {}, paid).verdict,
            store::NotificationVerdict::Duplicate);
  EXPECT_EQ(wakes, 1);  // one Recharge command, one wake-up
  EXPECT_EQ(site.deliverCommands(), 1);
  site.advance(1);
  (void)hooked.pollDue();
  EXPECT_EQ(hooked.order(order->id)->state, State::Credited);
  const std::vector<std::pair<State, State>> expected = {{State::Created, State::Pending},
                                                         {State::Pending, State::Paid},
                                                         {State::Paid, State::Crediting},
                                                         {State::Crediting, State::Credited}};
  EXPECT_EQ(transitions, expected);
}

}  // namespace
}  // namespace prepaid::backend::payments
