// End to end: the backend's payment services (real store, real BillingService, PaymentService
// with the real WeChat Pay / Alipay clients over HTTP) against prepaid-pay-sim's server on
// loopback, with its signed answers and encrypted notifications. The notification endpoint is a
// loopback HTTP server that hands the raw request to PaymentService::handleNotification, as the
// backend's route does. Recharge commands are delivered by the fixture's stand-in for the
// collection engine, so "credited" means the command queue says done.

#include <thread>

#include "payments_fixture.hpp"
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "prepaid/payments/payment_service.hpp"
#include "prepaid/payments/provider_settings.hpp"
#include "prepaid/sim/pay_sim_server.hpp"

namespace prepaid::backend::payments {
namespace {

using Json = nlohmann::json;
using State = store::PaymentOrderState;
using namespace std::chrono_literals;
namespace sim = devices::sim;

domain::Instant wallClock() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

/// Polls `condition` until true or the deadline; never sleeps blindly for readiness.
template <typename Fn>
bool eventually(Fn condition, std::chrono::milliseconds deadline = 10s) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(20ms);
  }
  return condition();
}

class PaySimEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    site.setNow(wallClock());
    auto keys = sim::loadOrCreatePaySimKeys(m_keysDir.path());
    ASSERT_TRUE(keys.has_value()) << keys.error();
    paySim = std::make_unique<sim::PaySimServer>(*keys);
    ASSERT_TRUE(paySim->start("127.0.0.1", 0).has_value());

    // The backend's notification endpoint.
    m_notify.Post(
        R"(/notify/(wechat|alipay))", [this](const httplib::Request& req, httplib::Response& res) {
          HeaderMap headers;
          for (const auto& [name, value] : req.headers) {
            headers[name] = value;
          }
          auto result = service->handleNotification(
              req.matches[1] == "wechat" ? ProviderKind::Wechat : ProviderKind::Alipay, headers,
              req.body);
          res.status = result.ack.status;
          res.set_content(result.ack.body,
                          result.ack.contentType.empty() ? "text/plain" : result.ack.contentType);
        });
    m_notifyPort = m_notify.bind_to_any_port("127.0.0.1");
    m_notifyThread = std::thread([this] { m_notify.listen_after_bind(); });
    ASSERT_TRUE(eventually([this] { return m_notify.is_running(); }));

    ASSERT_TRUE(
        sim::writeProviderSettings(m_keysDir.path(), *keys, paySim->baseUrl(),
                                   "http://127.0.0.1:" + std::to_string(m_notifyPort) + "/notify")
            .has_value());
    // Exactly what a site does: read providers.json and build the clients.
    auto settings = loadProviderSettings(m_keysDir.path() / "providers.json");
    ASSERT_TRUE(settings.has_value()) << settings.error().message;
    HttpTransportOptions transport;
    transport.readTimeoutMs = 1500;
    auto providers = makeProviders(
        *settings, [this] { return site.now(); }, transport);
    ASSERT_TRUE(providers.has_value()) << providers.error().message;
    PaymentOptions options;
    options.codePayTimeoutS = 3;
    service = std::make_unique<PaymentService>(
        *site.store, *site.billing, [this] { return site.now(); }, options);
    for (auto& provider : *providers) {
      service->addProvider(std::move(provider));
    }
    // The clock follows the wall clock (the simulator checks timestamps against it).
    m_ticking = true;
    m_ticker = std::thread([this] {
      while (m_ticking) {
        site.setNow(wallClock());
        std::this_thread::sleep_for(20ms);
      }
    });
    service->start(50, 3600);
  }

  void TearDown() override {
    if (service) {
      service->stop();
    }
    m_ticking = false;
    if (m_ticker.joinable()) {
      m_ticker.join();
    }
    if (paySim) {
      paySim->stop();
    }
    m_notify.stop();
    if (m_notifyThread.joinable()) {
      m_notifyThread.join();
    }
  }

  store::PaymentOrder createQr(store::MeterId meter, std::int64_t fen, ProviderKind kind) {
    CreateOrderRequest request;
    request.meterId = meter;
    request.amountFen = fen;
    request.provider = kind;
    request.idempotencyKey = "k" + std::to_string(++m_keys);
    request.source = "kiosk-1";
    auto order = service->createOrder(request);
    EXPECT_TRUE(order.has_value()) << (order ? "" : order.error().message);
    return order.value_or(store::PaymentOrder{});
  }

  /// The customer's phone: the QR text is a URL naming the order; posting to it pays.
  void customerScansAndPays(const store::PaymentOrder& order) {
    ASSERT_TRUE(order.qrCode.starts_with(paySim->baseUrl())) << order.qrCode;
    httplib::Client phone(paySim->baseUrl());
    auto paid = phone.Post(order.qrCode.substr(paySim->baseUrl().size()), "", "application/json");
    ASSERT_TRUE(paid);
    ASSERT_EQ(paid->status, 200) << paid->body;
  }

  State stateOf(const store::PaymentOrder& order) { return service->order(order.id)->state; }

  /// Drives the order to credited: waits for crediting, delivers the command, waits for credited.
  void expectCreditedOnce(const store::PaymentOrder& order, store::MeterId meter,
                          std::int64_t fen) {
    ASSERT_TRUE(eventually([&] {
      site.deliverCommands();
      return stateOf(order) == State::Credited;
    })) << "state "
        << store::toString(stateOf(order));
    EXPECT_EQ(site.entries(meter).size(), 1U);
    const auto mode =
        site.mustRead([&](const store::ReadTransaction& t) { return t.meters().meter(meter); })
            .billingMode;
    EXPECT_EQ(site.rechargeCommands(meter).size(),
              mode == domain::BillingMode::MeterSide ? 1U : 0U);
    EXPECT_EQ(site.balanceFen(meter), fen);
  }

  [[nodiscard]] const std::filesystem::path& keysDir() const { return m_keysDir.path(); }

  test::PaymentSite site;
  std::unique_ptr<sim::PaySimServer> paySim;
  std::unique_ptr<PaymentService> service;

 private:
  test::TempDir m_keysDir;
  httplib::Server m_notify;
  int m_notifyPort = 0;
  std::thread m_notifyThread;
  std::atomic<bool> m_ticking{false};
  std::thread m_ticker;
  int m_keys = 0;
};

struct FaultCase {
  const char* name;
  sim::NotifyMode mode;
  ProviderKind provider;
};

TEST_F(PaySimEndToEnd, EveryNotificationFaultCreditsExactlyOnce) {
  const FaultCase cases[] = {
      {"normal", sim::NotifyMode::Normal, ProviderKind::Wechat},
      {"duplicate", sim::NotifyMode::Duplicate, ProviderKind::Wechat},
      {"late", sim::NotifyMode::Late, ProviderKind::Wechat},
      {"lost", sim::NotifyMode::Lost, ProviderKind::Wechat},
      {"normal", sim::NotifyMode::Normal, ProviderKind::Alipay},
      {"duplicate", sim::NotifyMode::Duplicate, ProviderKind::Alipay},
      {"late", sim::NotifyMode::Late, ProviderKind::Alipay},
      {"lost", sim::NotifyMode::Lost, ProviderKind::Alipay},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.name) + " " + toString(c.provider));
    sim::PaySimFaults faults;
    faults.notify = c.mode;
    faults.duplicates = 4;
    faults.lateMs = 1500;
    paySim->setFaults(faults);
    const auto meter = site.addMeter(domain::BillingMode::MeterSide);
    const auto order = createQr(meter, 1234, c.provider);
    ASSERT_EQ(order.state, State::Pending);
    customerScansAndPays(order);
    expectCreditedOnce(order, meter, 1234);
    if (c.mode == sim::NotifyMode::Late || c.mode == sim::NotifyMode::Duplicate) {
      // The late / extra notifications arrive after the order was credited: nothing changes.
      const auto expected = c.mode == sim::NotifyMode::Late ? 1 : 4;
      ASSERT_TRUE(eventually([&] {
        auto log = service->notifications(order.orderNo, 100);
        return log && static_cast<int>(log->size()) >= expected;
      }));
      EXPECT_EQ(site.entries(meter).size(), 1U);
      EXPECT_EQ(site.rechargeCommands(meter).size(), 1U);
    }
    if (c.mode == sim::NotifyMode::Lost) {
      EXPECT_TRUE(service->notifications(order.orderNo, 100)->empty());
    }
  }
}

TEST_F(PaySimEndToEnd, OutOfOrderRenotificationAfterReceiptChangesNothing) {
  const auto meter = site.addMeter(domain::BillingMode::ServerSide);
  const auto order = createQr(meter, 800, ProviderKind::Wechat);
  customerScansAndPays(order);
  expectCreditedOnce(order, meter, 800);
  ASSERT_TRUE(service->markReceipted(order.id).has_value());
  ASSERT_TRUE(paySim->renotify(order.orderNo).has_value());
  ASSERT_TRUE(paySim->renotify(order.orderNo).has_value());
  ASSERT_TRUE(eventually([&] { return service->notifications(order.orderNo, 100)->size() >= 3U; }));
  EXPECT_EQ(stateOf(order), State::Receipted);
  EXPECT_EQ(site.entries(meter).size(), 1U);
}

TEST_F(PaySimEndToEnd, ForgedNotificationsChangeNothing) {
  const auto meter = site.addMeter(domain::BillingMode::ServerSide);
  const auto order = createQr(meter, 1000, ProviderKind::Alipay);
  // Alipay-style form posts: unsigned, signed by a stranger, changed amount, unknown order.
  auto stranger = RsaPrivateKey::generate(2048);
  auto post = [&](std::map<std::string, std::string> params, bool sign) {
    params["sign_type"] = "RSA2";
    if (sign) {
      params["sign"] = *stranger->signBase64(alipaySignContent(params, {"sign", "sign_type"}));
    }
    return service->handleNotification(ProviderKind::Alipay, {}, formEncode(params));
  };
  const std::map<std::string, std::string> paid = {{"app_id", "2021000000000001"},
                                                   {"out_trade_no", order.orderNo},
                                                   {"trade_status", "TRADE_SUCCESS"},
                                                   {"total_amount", "10.00"},
                                                   {"notify_id", "x"}};
  EXPECT_EQ(post(paid, false).verdict, store::NotificationVerdict::Rejected);
  EXPECT_EQ(post(paid, true).verdict, store::NotificationVerdict::Rejected);
  auto unknown = paid;
  unknown["out_trade_no"] = "P0000";
  EXPECT_EQ(post(unknown, true).verdict, store::NotificationVerdict::Rejected);
  // A WeChat notification with a valid-looking but wrong signature.
  HeaderMap headers;
  headers["Wechatpay-Serial"] = "00";
  headers["Wechatpay-Timestamp"] = std::to_string(wallClock().time_since_epoch().count());
  headers["Wechatpay-Nonce"] = "n";
  headers["Wechatpay-Signature"] = *stranger->signBase64("x");
  EXPECT_EQ(
      service->handleNotification(ProviderKind::Wechat, headers, R"({"resource":{}})").verdict,
      store::NotificationVerdict::Rejected);
  EXPECT_EQ(stateOf(order), State::Pending);
  EXPECT_TRUE(site.entries(meter).empty());

  // Correctly signed with the provider's own key (the simulator's, read from its key directory)
  // but for another amount: rejected on the amount.
  auto alipayKey = RsaPrivateKey::fromPem(test::fixtureFile(keysDir() / "alipay_private_key.pem"));
  ASSERT_TRUE(alipayKey.has_value());
  auto changed = paid;
  changed["total_amount"] = "0.01";
  changed["sign_type"] = "RSA2";
  changed["sign"] = *alipayKey->signBase64(alipaySignContent(changed, {"sign", "sign_type"}));
  auto mismatch = service->handleNotification(ProviderKind::Alipay, {}, formEncode(changed));
  EXPECT_EQ(mismatch.verdict, store::NotificationVerdict::Rejected);
  EXPECT_NE(mismatch.reason.find("amount"), std::string::npos) << mismatch.reason;
  EXPECT_EQ(stateOf(order), State::Pending);
  EXPECT_TRUE(site.entries(meter).empty());

  // The genuine payment afterwards is credited once, with the order's amount.
  customerScansAndPays(order);
  expectCreditedOnce(order, meter, 1000);
  auto log = service->notifications("", 100);
  ASSERT_TRUE(log.has_value());
  EXPECT_GE(std::count_if(
                log->begin(), log->end(),
                [](const auto& r) { return r.verdict == store::NotificationVerdict::Rejected; }),
            5);
}

TEST_F(PaySimEndToEnd, CodePayUserPayingThenSuccess) {
  for (auto [code, kind] : {std::pair{"134567890123456789", ProviderKind::Wechat},
                            std::pair{"2812345678901234", ProviderKind::Alipay}}) {
    SCOPED_TRACE(toString(kind));
    sim::PaySimFaults faults;
    faults.userPayingS = 1;
    paySim->setFaults(faults);
    const auto meter = site.addMeter(domain::BillingMode::MeterSide);
    CreateOrderRequest request;
    request.meterId = meter;
    request.amountFen = 600;
    request.channel = store::PaymentChannel::Code;
    request.idempotencyKey = std::string("code-") + code;
    auto order = service->createOrder(request);
    ASSERT_TRUE(order.has_value());
    auto submitted = service->submitCode(order->id, code, "kiosk-1");
    ASSERT_TRUE(submitted.has_value()) << submitted.error().message;
    EXPECT_EQ(submitted->state, State::Pending);  // USERPAYING / 10003
    expectCreditedOnce(*order, meter, 600);
    EXPECT_EQ(paySim->trade(order->orderNo)->state, "SUCCESS");
  }
}

TEST_F(PaySimEndToEnd, CodePayTimeoutIsReversed) {
  for (auto [code, kind] : {std::pair{"104567890123456789", ProviderKind::Wechat},
                            std::pair{"301234567890123456", ProviderKind::Alipay}}) {
    SCOPED_TRACE(toString(kind));
    sim::PaySimFaults faults;
    faults.userPayingS = -1;  // the customer never confirms
    paySim->setFaults(faults);
    const auto meter = site.addMeter(domain::BillingMode::MeterSide);
    CreateOrderRequest request;
    request.meterId = meter;
    request.amountFen = 700;
    request.channel = store::PaymentChannel::Code;
    request.idempotencyKey = std::string("code-") + code;
    auto order = service->createOrder(request);
    ASSERT_TRUE(service->submitCode(order->id, code, "kiosk-1").has_value());
    ASSERT_TRUE(eventually([&] { return stateOf(*order) == State::Reversed; }, 15s))
        << store::toString(stateOf(*order));
    const std::string simState = paySim->trade(order->orderNo)->state;
    EXPECT_TRUE(simState == "REVOKED" || simState == "CLOSED") << simState;
    EXPECT_TRUE(site.entries(meter).empty());
  }
}

TEST_F(PaySimEndToEnd, CodePayErrorFailsTheOrder) {
  sim::PaySimFaults faults;
  faults.paymentError = true;
  paySim->setFaults(faults);
  const auto meter = site.addMeter(domain::BillingMode::MeterSide);
  CreateOrderRequest request;
  request.meterId = meter;
  request.amountFen = 700;
  request.channel = store::PaymentChannel::Code;
  request.idempotencyKey = "err";
  auto order = service->createOrder(request);
  auto submitted = service->submitCode(order->id, "134567890123456789", "kiosk-1");
  ASSERT_FALSE(submitted.has_value());
  EXPECT_EQ(submitted.error().code, PaymentErrorCode::ProviderRefused);
  EXPECT_EQ(stateOf(*order), State::Failed);
  EXPECT_TRUE(site.entries(meter).empty());
}

TEST_F(PaySimEndToEnd, ProviderTimeoutLeavesOrderToTheWorker) {
  sim::PaySimFaults faults;
  faults.answerDelayMs = 2500;  // longer than the client's 1.5 s read timeout
  paySim->setFaults(faults);
  const auto meter = site.addMeter(domain::BillingMode::ServerSide);
  CreateOrderRequest request;
  request.meterId = meter;
  request.amountFen = 900;
  request.provider = ProviderKind::Wechat;
  request.idempotencyKey = "slow";
  auto created = service->createOrder(request);
  ASSERT_FALSE(created.has_value());
  EXPECT_EQ(created.error().code, PaymentErrorCode::ProviderUnavailable);
  auto stuck = service->search({});
  ASSERT_EQ(stuck->size(), 1U);
  EXPECT_EQ(stuck->front().state, State::Created);  // the provider may hold it: not dropped
  paySim->setFaults({});
  // The worker asks the provider, finds the trade, and the customer can still pay it.
  ASSERT_TRUE(eventually([&] { return stateOf(stuck->front()) == State::Pending; }));
  ASSERT_TRUE(paySim->pay(stuck->front().orderNo).has_value());
  ASSERT_TRUE(eventually([&] { return stateOf(stuck->front()) == State::Credited; }));
  EXPECT_EQ(site.balanceFen(meter), 900);
}

TEST_F(PaySimEndToEnd, QrCreateRetriedAfterATimedOutAnswerGetsTheSameCode) {
  for (const auto kind : {ProviderKind::Wechat, ProviderKind::Alipay}) {
    SCOPED_TRACE(toString(kind));
    sim::PaySimFaults faults;
    faults.answerDelayMs = 2500;  // longer than the client's 1.5 s read timeout
    paySim->setFaults(faults);
    const auto meter = site.addMeter(domain::BillingMode::ServerSide);
    CreateOrderRequest request;
    request.meterId = meter;
    request.amountFen = 1100;
    request.provider = kind;
    request.idempotencyKey = std::string("retry-") + std::string(toString(kind));
    auto first = service->createOrder(request);
    ASSERT_FALSE(first.has_value());
    EXPECT_EQ(first.error().code, PaymentErrorCode::ProviderUnavailable);
    // The simulator did the work before the late answer: the trade exists already.
    store::OrderQuery ofMeter;
    ofMeter.meterId = meter;
    auto orders = service->search(ofMeter);
    ASSERT_EQ(orders->size(), 1U);
    const std::string no = orders->front().orderNo;
    ASSERT_TRUE(paySim->trade(no).has_value());
    EXPECT_EQ(paySim->trade(no)->state, "NOTPAY");
    paySim->setFaults({});
    // The kiosk's retry (same key) asks again for the same out_trade_no: the same QR comes back.
    auto retried = service->createOrder(request);
    ASSERT_TRUE(retried.has_value()) << retried.error().message;
    EXPECT_EQ(retried->orderNo, no);
    EXPECT_EQ(retried->state, State::Pending);
    EXPECT_EQ(retried->qrCode,
              paySim->baseUrl() + "/sim/qr/" + std::string(toString(kind)) + "/" + no);
    customerScansAndPays(*retried);
    expectCreditedOnce(*retried, meter, 1100);
  }
  // Another amount under a used out_trade_no is still refused (a real reuse, not a retry).
  auto settings = loadProviderSettings(keysDir() / "providers.json");
  ASSERT_TRUE(settings.has_value());
  auto providers = makeProviders(*settings, [this] { return site.now(); });
  ASSERT_TRUE(providers.has_value());
  for (auto& provider : *providers) {
    QrOrder reuse;
    reuse.outTradeNo = "PREUSE" + std::string(toString(provider->kind()));
    reuse.amountFen = 500;
    reuse.description = "test";
    reuse.expiresAt = site.now() + std::chrono::minutes(3);
    ASSERT_TRUE(provider->createQr(reuse).has_value());
    EXPECT_TRUE(provider->createQr(reuse).has_value()) << "the same content: the same QR";
    reuse.amountFen = 600;
    auto refused = provider->createQr(reuse);
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code, ProviderErrorCode::Rejected) << refused.error().message;
  }
}

TEST_F(PaySimEndToEnd, UncreditableOrderIsRefundedAtTheProvider) {
  const auto meter = site.addMeter(domain::BillingMode::MeterSide);
  const auto order = createQr(meter, 1500, ProviderKind::Wechat);
  site.closeAccountOf(meter);
  customerScansAndPays(order);
  ASSERT_TRUE(eventually([&] {
    auto current = service->order(order.id);
    return current->state == State::Paid && current->attention == store::OrderAttention::NeedsStaff;
  }));
  auto refunded = service->refund(order.id, "alice", "account closed before payment");
  ASSERT_TRUE(refunded.has_value()) << refunded.error().message;
  EXPECT_EQ(refunded->state, State::Refunded);
  const auto trade = paySim->trade(order.orderNo);
  EXPECT_EQ(trade->state, "REFUND");
  EXPECT_EQ(trade->refunds.at("R" + order.orderNo), 1500);
  EXPECT_TRUE(site.entries(meter).empty());
}

}  // namespace
}  // namespace prepaid::backend::payments
