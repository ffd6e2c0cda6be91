// Payment order routes over a real HTTP server on a free loopback port: the backend's
// PaymentService with the real WeChat Pay / Alipay clients against prepaid-pay-sim (in process,
// its own loopback server), provider notifications posted by the simulator to the server's
// notification routes. Every kiosk and staff route, every error code, idempotent creation, and
// forged notifications that change nothing.

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <thread>

#include "api_fixture.hpp"
#include "error_code_coverage.hpp"

#include "prepaid/api/order_types.hpp"
#include "prepaid/payments/alipay_provider.hpp"
#include "prepaid/payments/payment_service.hpp"
#include "prepaid/payments/provider_settings.hpp"
#include "prepaid/sim/pay_sim_server.hpp"

namespace prepaid::backend::http::testing {
namespace {

using namespace std::chrono_literals;
using Headers = httplib::Headers;
namespace sim = devices::sim;

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

/// A whole file (stdio: istreambuf_iterator trips GCC 12's -Wnull-dereference at -O2).
std::string readFile(const std::filesystem::path& path) {
  std::string text;
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    ADD_FAILURE() << "cannot open " << path;
    return text;
  }
  char buffer[4096];
  std::size_t got = 0;
  while ((got = std::fread(buffer, 1, sizeof buffer, file)) > 0) {
    text.append(buffer, got);
  }
  std::fclose(file);
  return text;
}

constexpr const char* WechatCode = "134567890123456789";  // 18 digits, 10-15
constexpr const char* AlipayCode = "2812345678901234";    // 16 digits, 25-30

class OrderApi : public ApiFixture {
 protected:
  void beforeServer() override {
    payments::PaymentOptions options;
    options.codePayTimeoutS = 3;
    options.log = [](const std::string&) {};
    m_service = std::make_unique<payments::PaymentService>(*m_store, *m_billing, m_clock, options);
    m_payments = m_service.get();
  }

  void SetUp() override {
    ApiFixture::SetUp();
    if (::testing::Test::HasFatalFailure()) {
      return;
    }
    m_keysDir = m_dir / "pay-sim";
    auto keys = sim::loadOrCreatePaySimKeys(m_keysDir);
    ASSERT_TRUE(keys.has_value()) << keys.error();
    m_paySim = std::make_unique<sim::PaySimServer>(*keys);
    ASSERT_TRUE(m_paySim->start("127.0.0.1", 0).has_value());
    // Notifications go to this server's routes; the port is known only now, and no request has
    // reached the payment service yet, so the providers can still be added.
    ASSERT_TRUE(sim::writeProviderSettings(
                    m_keysDir, *keys, m_paySim->baseUrl(),
                    "http://127.0.0.1:" + std::to_string(m_port) + "/api/v1/payments/notify")
                    .has_value());
    auto settings = payments::loadProviderSettings(m_keysDir / "providers.json");
    ASSERT_TRUE(settings.has_value()) << settings.error().message;
    payments::HttpTransportOptions transport;
    transport.readTimeoutMs = 1500;
    auto providers = payments::makeProviders(*settings, m_clock, transport);
    ASSERT_TRUE(providers.has_value()) << providers.error().message;
    for (auto& provider : *providers) {
      m_service->addProvider(std::move(provider));
    }
    m_service->start(50, 3600);
  }

  void afterServer() override {
    if (m_service) {
      m_service->stop();
    }
    if (m_paySim) {
      m_paySim->stop();
    }
  }

  Reply kioskPost(const std::string& path, const Json& body, const std::string& key,
                  const std::string& kioskKey = {}) {
    Headers headers{{"X-Kiosk-Key", kioskKey.empty() ? m_kioskKey : kioskKey}};
    if (!key.empty()) {
      headers.emplace("Idempotency-Key", key);
    }
    return call("POST", path, body.dump(), headers);
  }

  Reply createOrder(const Json& body, const std::string& key) {
    return kioskPost("/api/v1/kiosk/orders", body, key);
  }

  Reply qrOrder(std::int64_t meter, std::int64_t fen, const std::string& provider,
                const std::string& key) {
    return createOrder(
        Json{{"meter_id", meter}, {"amount_fen", fen}, {"channel", "qr"}, {"provider", provider}},
        key);
  }

  Reply order(const std::string& orderNo) {
    return kiosk("GET", "/api/v1/kiosk/orders/" + orderNo);
  }

  std::string stateOf(const std::string& orderNo) { return order(orderNo).json.value("state", ""); }

  /// The customer's phone posts to the QR text, as after scanning it.
  void customerPays(const Json& created) {
    const auto qr = created["qr_code"].get<std::string>();
    ASSERT_TRUE(qr.starts_with(m_paySim->baseUrl())) << qr;
    httplib::Client phone(m_paySim->baseUrl());
    auto paid = phone.Post(qr.substr(m_paySim->baseUrl().size()), "", "application/json");
    ASSERT_TRUE(paid);
    ASSERT_EQ(paid->status, 200) << paid->body;
  }

  /// The collection engine's part for meter-side recharges: claim and confirm every command.
  int deliverCommands(std::int64_t gatewayId) {
    int delivered = 0;
    while (true) {
      std::optional<store::Command> claimed;
      const auto done = m_store->write(
          [&](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
            auto next = tx.commands().claimNext(gatewayId, m_clock());
            if (!next) {
              return std::unexpected(next.error());
            }
            claimed = *next;
            if (claimed) {
              if (auto marked = tx.commands().markDone(claimed->id, m_clock()); !marked) {
                return std::unexpected(marked.error());
              }
            }
            return {};
          });
      EXPECT_TRUE(done.has_value());
      if (!done || !claimed) {
        return delivered;
      }
      ++delivered;
    }
  }

  std::int64_t meterSideMeter(const Site& site, int unit) {
    const auto reply = staff("POST", "/api/v1/meters",
                             Json{{"serial", "MS" + std::to_string(unit)},
                                  {"profile", "ddsy1352"},
                                  {"unit_address", 100 + unit},
                                  {"gateway_id", site.gatewayId},
                                  {"shop_id", site.shopIds.at(0)},
                                  {"billing_mode", "meter_side"}});
    EXPECT_EQ(reply.status, 201) << reply.body;
    return reply.json.value("meter_id", 0);
  }

  /// Recharge entries of a meter (kiosk payments post recharges).
  std::int64_t entries(std::int64_t meter) {
    return sqlInt("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'recharge' AND meter_id = " +
                  std::to_string(meter));
  }

  std::filesystem::path m_keysDir;
  std::unique_ptr<payments::PaymentService> m_service;
  std::unique_ptr<sim::PaySimServer> m_paySim;
};

// [SECTION] kiosk

TEST_F(OrderApi, QrOrderIsCreatedOnceAndCreditedThroughTheNotificationRoute) {
  const auto site = makeSite(1);
  openAccount("张三", site.meterIds[0]);
  const Json body{{"meter_id", site.meterIds[0]},
                  {"amount_fen", 2500},
                  {"channel", "qr"},
                  {"provider", "wechat"}};
  const auto created = createOrder(body, "intent-1");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.json["state"], "pending");
  EXPECT_EQ(created.json["stage"], "awaiting_payment");
  EXPECT_EQ(created.json["provider"], "wechat");
  EXPECT_EQ(created.json["shop_number"], "A101");
  EXPECT_FALSE(created.json["credit_pending"].get<bool>());
  EXPECT_TRUE(created.json["qr_code"].get<std::string>().starts_with("http://127.0.0.1:"));
  EXPECT_GT(created.json["expires_in_s"].get<std::int64_t>(), 170);
  EXPECT_LE(created.json["expires_in_s"].get<std::int64_t>(), 180);
  const auto orderNo = created.json["order_no"].get<std::string>();

  // A retry with the same key is the same order (the same bytes); another body is refused.
  const auto replay = createOrder(body, "intent-1");
  EXPECT_EQ(replay.status, 201);
  EXPECT_EQ(replay.body, created.body);
  auto other = body;
  other["amount_fen"] = 2600;
  EXPECT_EQ(createOrder(other, "intent-1").code(), "idempotency_conflict");
  EXPECT_EQ(createOrder(body, "").code(), "missing_idempotency_key");
  EXPECT_EQ(sqlInt("SELECT COUNT(*) FROM payment_orders"), 1);
  EXPECT_EQ(m_paySim->trades().size(), 1U);

  customerPays(created.json);
  ASSERT_TRUE(eventually([&] { return stateOf(orderNo) == "credited"; })) << stateOf(orderNo);
  // The simulator's notification reached the route and was verified (it may have arrived
  // before or after the kiosk's polling settled the order).
  ASSERT_TRUE(eventually([&] { return m_paySim->notificationsDelivered() >= 1; }));
  EXPECT_EQ(sqlInt("SELECT COUNT(*) FROM payment_notifications WHERE verdict = 'rejected'"), 0);
  const auto done = order(orderNo);
  EXPECT_EQ(done.json["stage"], "credited");
  EXPECT_EQ(done.json["expires_in_s"], 0);
  EXPECT_EQ(done.json["balance_after_fen"], 2500);
  ASSERT_TRUE(done.json["receipt"].is_object()) << done.body;
  EXPECT_EQ(done.json["receipt"]["amount_fen"], 2500);
  EXPECT_EQ(done.json["receipt"]["payment_method"], "wechat");
  EXPECT_EQ(done.json["receipt"]["operator"], "");
  EXPECT_EQ(done.json["receipt"]["shop_number"], "A101");
  // The wire type reads what the server wrote, field for field (the kiosk's side).
  const auto view = done.json.get<api::OrderView>();
  EXPECT_EQ(view.stage, api::OrderStage::Credited);
  ASSERT_TRUE(view.receipt.has_value());
  EXPECT_EQ(view.receipt->paymentMethod, "wechat");
  EXPECT_EQ(Json(view), done.json);
  EXPECT_EQ(entries(site.meterIds[0]), 1);

  // The receipt was printed: receipted, idempotently.
  const auto receipted = kioskPost("/api/v1/kiosk/orders/" + orderNo + "/receipted", {}, "");
  EXPECT_EQ(receipted.status, 200) << receipted.body;
  EXPECT_EQ(receipted.json["state"], "receipted");
  EXPECT_EQ(kioskPost("/api/v1/kiosk/orders/" + orderNo + "/receipted", {}, "").status, 200);
  // A late duplicate of the notification changes nothing.
  ASSERT_TRUE(m_paySim->renotify(orderNo).has_value());
  ASSERT_TRUE(eventually([&] {
    return sqlInt("SELECT COUNT(*) FROM payment_notifications WHERE verdict = 'duplicate'") >= 1;
  }));
  EXPECT_EQ(stateOf(orderNo), "receipted");
  EXPECT_EQ(entries(site.meterIds[0]), 1);
}

TEST_F(OrderApi, MeterSideOrderShowsPaidCreditPendingUntilTheMeterConfirms) {
  const auto site = makeSite(1);
  const auto meter = meterSideMeter(site, 1);
  openAccount("李四", meter);
  const auto created = qrOrder(meter, 1000, "alipay", "ms-1");
  ASSERT_EQ(created.status, 201) << created.body;
  const auto orderNo = created.json["order_no"].get<std::string>();
  EXPECT_EQ(created.json["provider"], "alipay");

  // Receipt before the credit: refused.
  EXPECT_EQ(kioskPost("/api/v1/kiosk/orders/" + orderNo + "/receipted", {}, "").code(),
            "invalid_state");

  customerPays(created.json);
  ASSERT_TRUE(eventually([&] { return stateOf(orderNo) == "crediting"; })) << stateOf(orderNo);
  const auto pending = order(orderNo);
  EXPECT_EQ(pending.json["stage"], "credit_pending");
  EXPECT_TRUE(pending.json["credit_pending"].get<bool>());
  EXPECT_EQ(pending.json["balance_after_fen"], 1000);
  EXPECT_TRUE(pending.json["receipt"].is_null());
  EXPECT_EQ(pending.json["paid_fen"], 1000);

  EXPECT_EQ(deliverCommands(site.gatewayId), 1);
  ASSERT_TRUE(eventually([&] { return stateOf(orderNo) == "credited"; })) << stateOf(orderNo);
  EXPECT_TRUE(order(orderNo).json["receipt"].is_object());

  // The recharge reached a meter-side meter: staff cannot take it back.
  const auto refused = staff("POST", "/api/v1/orders/" + orderNo + "/refund",
                             Json{{"reason", "customer asked"}}, {{"Idempotency-Key", "rf-ms"}});
  EXPECT_EQ(refused.status, 409);
  EXPECT_EQ(refused.code(), "not_refundable");
}

TEST_F(OrderApi, CreationIsCheckedWithClearCodes) {
  const auto site = makeSite(3);
  openAccount("王五", site.meterIds[0]);
  openAccount("赵六", site.meterIds[2]);
  const auto m = site.meterIds[0];
  const auto expectCode = [&](const Json& body, int status, const std::string& code) {
    static int key = 0;
    const auto reply = createOrder(body, "check-" + std::to_string(++key));
    EXPECT_EQ(reply.status, status) << body.dump() << " -> " << reply.body;
    EXPECT_EQ(reply.code(), code) << body.dump();
  };
  const auto qr = [](std::int64_t meter, std::int64_t fen) {
    return Json{{"meter_id", meter}, {"amount_fen", fen}, {"provider", "wechat"}};
  };
  expectCode(qr(m, 99), 400, "invalid_amount");      // below 1.00 yuan
  expectCode(qr(m, 0), 400, "invalid_amount");       // nothing
  expectCode(qr(m, -100), 400, "invalid_amount");    // negative
  expectCode(qr(m, 500001), 400, "invalid_amount");  // above 5000.00 yuan
  expectCode(qr(99999, 1000), 404, "unknown_meter");
  expectCode(qr(site.meterIds[1], 1000), 409, "account_not_open");
  expectCode(Json{{"meter_id", m}, {"amount_fen", 1000}}, 400, "missing_field");
  expectCode(
      Json{{"meter_id", m}, {"amount_fen", 1000}, {"channel", "code"}, {"provider", "wechat"}}, 400,
      "invalid_field");
  expectCode(Json{{"meter_id", m}, {"amount_fen", 1000}, {"provider", "paypal"}}, 400,
             "invalid_field");
  expectCode(Json{{"meter_id", m}, {"amount_fen", 10.5}, {"provider", "wechat"}}, 400,
             "invalid_field");
  expectCode(Json{{"meter_id", m}, {"amount", 1000}, {"provider", "wechat"}}, 400, "invalid_field");
  EXPECT_EQ(call("POST", "/api/v1/kiosk/orders", "[1]",
                 {{"X-Kiosk-Key", m_kioskKey}, {"Idempotency-Key", "bad-json"}})
                .code(),
            "invalid_json");
  EXPECT_EQ(call("POST", "/api/v1/kiosk/orders", qr(m, 1000).dump(), {{"Idempotency-Key", "nokey"}})
                .code(),
            "unauthenticated");

  // Hoarding cap: the balance plus the order may not exceed it.
  ASSERT_EQ(staff("PATCH", "/api/v1/settings", Json{{"hoarding_cap_fen", 50000}}).status, 200);
  expectCode(qr(m, 50001), 409, "above_hoarding_cap");
  const auto sale = staff("POST", "/api/v1/sales", Json{{"meter_id", m}, {"amount_fen", 49950}},
                          {{"Idempotency-Key", "cash-1"}});
  ASSERT_EQ(sale.status, 201) << sale.body;
  expectCode(qr(m, 100), 409, "above_hoarding_cap");

  // A blocked meter (purchase-count mismatch) takes no order.
  sqlExec(
      "UPDATE meters SET sales_blocked = 1, sales_blocked_reason = 'count mismatch' WHERE id = " +
      std::to_string(site.meterIds[2]));
  expectCode(qr(site.meterIds[2], 1000), 409, "sales_blocked");
  EXPECT_EQ(sqlInt("SELECT COUNT(*) FROM payment_orders"), 0);
  EXPECT_TRUE(m_paySim->trades().empty());
}

TEST_F(OrderApi, CodePayRefusesMalformedCodesAndCreditsAScannedCode) {
  const auto site = makeSite(2);
  openAccount("孙七", site.meterIds[0]);
  openAccount("周八", site.meterIds[1]);
  const auto created = createOrder(
      Json{{"meter_id", site.meterIds[0]}, {"amount_fen", 800}, {"channel", "code"}}, "code-1");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.json["state"], "created");
  EXPECT_EQ(created.json["channel"], "code");
  EXPECT_EQ(created.json["provider"], "");
  const auto orderNo = created.json["order_no"].get<std::string>();
  const auto path = "/api/v1/kiosk/orders/" + orderNo + "/code";

  for (const char* bad : {"123", "094567890123456789", "1345678901234567890", "31234567890123456",
                          "13456789012345678x", "abc"}) {
    const auto refused = kioskPost(path, Json{{"auth_code", bad}}, "");
    EXPECT_EQ(refused.status, 400) << bad;
    EXPECT_EQ(refused.code(), "invalid_payment_code") << bad;
    EXPECT_FALSE(refused.json["error"]["message"].get<std::string>().empty());
  }
  EXPECT_EQ(kioskPost(path, Json{{"code", WechatCode}}, "").code(), "invalid_field");
  EXPECT_EQ(kioskPost(path, Json::object(), "").code(), "missing_field");
  EXPECT_EQ(stateOf(orderNo), "created");

  const auto submitted = kioskPost(path, Json{{"auth_code", WechatCode}}, "");
  ASSERT_EQ(submitted.status, 200) << submitted.body;
  EXPECT_EQ(submitted.json["provider"], "wechat");
  ASSERT_TRUE(eventually([&] { return stateOf(orderNo) == "credited"; })) << stateOf(orderNo);
  EXPECT_EQ(entries(site.meterIds[0]), 1);
  // A second code for the same order: refused, nothing paid twice.
  EXPECT_EQ(kioskPost(path, Json{{"auth_code", AlipayCode}}, "").code(), "invalid_state");

  // The provider refuses the payment: provider_refused.
  sim::PaySimFaults faults;
  faults.paymentError = true;
  m_paySim->setFaults(faults);
  const auto second = createOrder(
      Json{{"meter_id", site.meterIds[1]}, {"amount_fen", 900}, {"channel", "code"}}, "code-2");
  ASSERT_EQ(second.status, 201);
  const auto refused =
      kioskPost("/api/v1/kiosk/orders/" + second.json["order_no"].get<std::string>() + "/code",
                Json{{"auth_code", AlipayCode}}, "");
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_EQ(refused.code(), "provider_refused");
  EXPECT_EQ(stateOf(second.json["order_no"]), "failed");
  EXPECT_EQ(entries(site.meterIds[1]), 0);

  // A QR order takes no code.
  m_paySim->setFaults({});
  const auto qr = qrOrder(site.meterIds[1], 1000, "alipay", "qr-no-code");
  EXPECT_EQ(kioskPost("/api/v1/kiosk/orders/" + qr.json["order_no"].get<std::string>() + "/code",
                      Json{{"auth_code", AlipayCode}}, "")
                .code(),
            "invalid_state");
}

TEST_F(OrderApi, KioskRechargeHistoryShowsPaidOrdersAsOnlineAndSalesAsCounter) {
  const auto site = makeSite(1);
  const auto account = openAccount("钱九", site.meterIds[0]);
  const auto created = qrOrder(site.meterIds[0], 1500, "alipay", "history-1");
  ASSERT_EQ(created.status, 201) << created.body;
  const auto orderNo = created.json["order_no"].get<std::string>();
  customerPays(created.json);
  ASSERT_TRUE(eventually([&] { return stateOf(orderNo) == "credited"; })) << stateOf(orderNo);
  const auto sale =
      staff("POST", "/api/v1/sales", Json{{"meter_id", site.meterIds[0]}, {"amount_fen", 700}},
            Headers{{"Idempotency-Key", "history-sale"}});
  ASSERT_EQ(sale.status, 201) << sale.body;
  // The ledger holds what payments wrote ("pay:alipay"), not a bare "pay".
  EXPECT_EQ(sqlText("SELECT source FROM ledger_entries WHERE kind = 'recharge' AND amount_fen = "
                    "1500"),
            "pay:alipay");

  const auto identified = kiosk("POST", "/api/v1/kiosk/identify", Json{{"shop_number", "A101"}});
  ASSERT_EQ(identified.status, 200) << identified.body;
  const auto token = identified.json["tenant_token"].get<std::string>();
  const auto history = kiosk(
      "GET", "/api/v1/kiosk/accounts/" + std::to_string(account) + "/recharges", nullptr, token);
  ASSERT_EQ(history.status, 200) << history.body;
  ASSERT_EQ(history.json["recharges"].size(), 2U) << history.body;
  // Newest first: the counter sale, then the paid order.
  EXPECT_EQ(history.json["recharges"][0]["amount_fen"], 700);
  EXPECT_EQ(history.json["recharges"][0]["source"], "counter");
  EXPECT_EQ(history.json["recharges"][1]["amount_fen"], 1500);
  EXPECT_EQ(history.json["recharges"][1]["source"], "online");
  const auto receipt =
      kiosk("GET",
            "/api/v1/kiosk/accounts/" + std::to_string(account) + "/receipts/" +
                std::to_string(history.json["recharges"][1]["entry_id"].get<std::int64_t>()),
            nullptr, token);
  EXPECT_EQ(receipt.json["payment_method"], "alipay") << receipt.body;
  EXPECT_EQ(receipt.json["operator"], "");
}

TEST_F(OrderApi, EveryPaymentErrorCodeIsProducedOverHttp) {
  std::set<std::string> seen;
  const auto produced = [&](const Reply& reply, const std::string& code) {
    EXPECT_EQ(reply.code(), code) << reply.body;
    const auto parsed = api::parseErrorCode(code);
    ASSERT_TRUE(parsed.has_value()) << code;
    EXPECT_EQ(reply.status, api::httpStatus(*parsed)) << code << ": " << reply.body;
    if (reply.code() == code) {
      seen.insert(code);
    }
  };
  const auto site = makeSite(2);
  openAccount("冯十", site.meterIds[0]);
  const auto meterSide = meterSideMeter(site, 7);
  openAccount("陈十一", meterSide);

  produced(qrOrder(site.meterIds[0], 50, "wechat", "cov-1"), "invalid_amount");
  // The provider does not answer within the transport's 1.5 s: provider_unavailable.
  sim::PaySimFaults slow;
  slow.answerDelayMs = 2500;
  m_paySim->setFaults(slow);
  produced(qrOrder(site.meterIds[0], 1000, "wechat", "cov-2"), "provider_unavailable");
  m_paySim->setFaults({});
  produced(order("P20240101000000123456789012"), "unknown_order");
  const auto code = createOrder(
      Json{{"meter_id", site.meterIds[0]}, {"amount_fen", 800}, {"channel", "code"}}, "cov-3");
  ASSERT_EQ(code.status, 201) << code.body;
  const auto codePath =
      "/api/v1/kiosk/orders/" + code.json["order_no"].get<std::string>() + "/code";
  produced(kioskPost(codePath, Json{{"auth_code", "123"}}, ""), "invalid_payment_code");
  sim::PaySimFaults faults;
  faults.paymentError = true;
  m_paySim->setFaults(faults);
  produced(kioskPost(codePath, Json{{"auth_code", WechatCode}}, ""), "provider_refused");
  m_paySim->setFaults({});

  // Money that reached a meter-side meter cannot be refunded here.
  const auto created = qrOrder(meterSide, 1000, "alipay", "cov-4");
  ASSERT_EQ(created.status, 201) << created.body;
  const auto orderNo = created.json["order_no"].get<std::string>();
  customerPays(created.json);
  ASSERT_TRUE(eventually([&] { return stateOf(orderNo) == "crediting"; })) << stateOf(orderNo);
  EXPECT_EQ(deliverCommands(site.gatewayId), 1);
  ASSERT_TRUE(eventually([&] { return stateOf(orderNo) == "credited"; })) << stateOf(orderNo);
  produced(staff("POST", "/api/v1/orders/" + orderNo + "/refund", Json{{"reason", "asked"}},
                 {{"Idempotency-Key", "cov-refund"}}),
           "not_refundable");

  EXPECT_EQ(seen, PaymentErrorCodes);
  for (const auto& name : PaymentErrorCodes) {
    EXPECT_TRUE(allErrorCodeNames().contains(name)) << name << " is not in backend/api's list";
  }
}

TEST_F(OrderApi, CancelUnknownOrdersAndOtherKiosks) {
  const auto site = makeSite(1);
  openAccount("吴九", site.meterIds[0]);
  const auto created = qrOrder(site.meterIds[0], 1500, "alipay", "cancel-1");
  ASSERT_EQ(created.status, 201);
  const auto orderNo = created.json["order_no"].get<std::string>();

  // Another kiosk cannot see or touch this kiosk's order.
  const auto otherKey = createKiosk(*m_store, "entrance", m_clock(), "test").value().key;
  Headers other{{"X-Kiosk-Key", otherKey}};
  EXPECT_EQ(call("GET", "/api/v1/kiosk/orders/" + orderNo, "", other).code(), "unknown_order");
  EXPECT_EQ(kioskPost("/api/v1/kiosk/orders/" + orderNo + "/cancel", {}, "", otherKey).code(),
            "unknown_order");

  const auto cancelled = kioskPost("/api/v1/kiosk/orders/" + orderNo + "/cancel", {}, "");
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  EXPECT_EQ(cancelled.json["state"], "closed");  // Alipay: cancelled at once
  EXPECT_EQ(cancelled.json["stage"], "not_paid");
  EXPECT_EQ(m_paySim->trade(orderNo)->state, "CLOSED");
  EXPECT_EQ(kioskPost("/api/v1/kiosk/orders/" + orderNo + "/cancel", {}, "").status, 200);

  // WeChat allows no close within 5 minutes of creation: closing until then (or until expiry).
  const auto wechat = qrOrder(site.meterIds[0], 1500, "wechat", "cancel-2");
  const auto closing = kioskPost(
      "/api/v1/kiosk/orders/" + wechat.json["order_no"].get<std::string>() + "/cancel", {}, "");
  EXPECT_EQ(closing.json["state"], "closing");
  EXPECT_EQ(closing.json["stage"], "not_paid");

  EXPECT_EQ(order("P20240101000000123456789012").code(), "unknown_order");
  EXPECT_EQ(order("P20240101000000123456789012").status, 404);
  EXPECT_EQ(order("bad%20no").code(), "invalid_parameter");
  EXPECT_EQ(call("GET", "/api/v1/kiosk/orders/" + orderNo).code(), "unauthenticated");
}

// [SECTION] provider notifications

TEST_F(OrderApi, ForgedNotificationsThroughHttpChangeNothing) {
  const auto site = makeSite(1);
  openAccount("郑十", site.meterIds[0]);
  const auto created = qrOrder(site.meterIds[0], 1000, "alipay", "forge-1");
  ASSERT_EQ(created.status, 201);
  const auto orderNo = created.json["order_no"].get<std::string>();
  const auto formPost = [&](const std::string& path, std::map<std::string, std::string> params,
                            const std::optional<payments::RsaPrivateKey>& key) {
    params["sign_type"] = "RSA2";
    if (key) {
      params["sign"] = *key->signBase64(payments::alipaySignContent(params, {"sign", "sign_type"}));
    }
    return call("POST", path, payments::formEncode(params), {},
                "application/x-www-form-urlencoded; charset=utf-8");
  };
  const std::map<std::string, std::string> paid = {{"app_id", "2021000000000001"},
                                                   {"out_trade_no", orderNo},
                                                   {"trade_status", "TRADE_SUCCESS"},
                                                   {"total_amount", "10.00"},
                                                   {"notify_id", "forged"}};
  const auto stranger = payments::RsaPrivateKey::generate(2048);
  ASSERT_TRUE(stranger.has_value());
  const std::string alipay = "/api/v1/payments/notify/alipay";
  auto unsignedReply = formPost(alipay, paid, std::nullopt);
  EXPECT_EQ(unsignedReply.status, 200);
  EXPECT_EQ(unsignedReply.body, "fail");
  EXPECT_EQ(formPost(alipay, paid, *stranger).body, "fail");

  // Signed with the provider's own key (the simulator's key file) but another amount / order.
  auto alipayKey = payments::RsaPrivateKey::fromPem(readFile(m_keysDir / "alipay_private_key.pem"));
  ASSERT_TRUE(alipayKey.has_value());
  auto changed = paid;
  changed["total_amount"] = "0.01";
  EXPECT_EQ(formPost(alipay, changed, *alipayKey).body, "fail");
  auto unknown = paid;
  unknown["out_trade_no"] = "P20240101000000000000000000";
  EXPECT_EQ(formPost(alipay, unknown, *alipayKey).body, "fail");

  // WeChat: unsigned, and signed by a stranger under an unknown serial.
  const std::string wechat = "/api/v1/payments/notify/wechat";
  auto plain = call("POST", wechat, R"({"resource":{}})");
  EXPECT_EQ(plain.status, 400);
  EXPECT_EQ(plain.json["code"], "FAIL");
  Headers forged{{"Wechatpay-Serial", "00"},
                 {"Wechatpay-Timestamp",
                  std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count())},
                 {"Wechatpay-Nonce", "n"},
                 {"Wechatpay-Signature", *stranger->signBase64("x")}};
  auto signedByStranger = call("POST", wechat, R"({"resource":{}})", forged);
  EXPECT_GE(signedByStranger.status, 400);
  EXPECT_EQ(signedByStranger.json["code"], "FAIL");

  EXPECT_EQ(stateOf(orderNo), "pending");
  EXPECT_EQ(entries(site.meterIds[0]), 0);
  EXPECT_GE(sqlInt("SELECT COUNT(*) FROM payment_notifications WHERE verdict = 'rejected'"), 6);

  // The genuine notification is answered with exactly "success" and credits once.
  customerPays(created.json);
  ASSERT_TRUE(eventually([&] { return stateOf(orderNo) == "credited"; }));
  EXPECT_EQ(entries(site.meterIds[0]), 1);
  ASSERT_TRUE(eventually([&] { return m_paySim->notificationsDelivered() >= 1; }));
  const auto detail = staff("GET", "/api/v1/orders/" + orderNo);
  ASSERT_EQ(detail.status, 200) << detail.body;
  bool accepted = false;
  int rejected = 0;
  for (const auto& record : detail.json["notifications"]) {
    accepted = accepted || record["verdict"] == "accepted";
    rejected += record["verdict"] == "rejected" ? 1 : 0;
  }
  EXPECT_TRUE(accepted) << detail.body;
  // Those that passed the signature check name the order (changed amount); the others could not
  // be read and are logged without an order number.
  EXPECT_GE(rejected, 1);
}

// [SECTION] staff

TEST_F(OrderApi, StaffSearchAndRefundOfAnUncreditableOrder) {
  const auto site = makeSite(2);
  openAccount("冯一", site.meterIds[0]);
  const auto account = openAccount("陈二", site.meterIds[1]);
  // Notifications are lost: the kiosk's polling settles the order.
  sim::PaySimFaults faults;
  faults.notify = sim::NotifyMode::Lost;
  m_paySim->setFaults(faults);

  const auto first = qrOrder(site.meterIds[0], 1000, "wechat", "s-1");
  const auto second = qrOrder(site.meterIds[1], 2000, "alipay", "s-2");
  ASSERT_EQ(first.status, 201);
  ASSERT_EQ(second.status, 201);
  const auto secondNo = second.json["order_no"].get<std::string>();
  // The tenant's account is closed before the payment arrives: paid, not creditable.
  ASSERT_EQ(staff("POST", "/api/v1/accounts/" + std::to_string(account) + "/close", Json::object())
                .status,
            200);
  customerPays(second.json);
  ASSERT_TRUE(eventually([&] {
    const auto reply = order(secondNo);
    return reply.json["state"] == "paid" && reply.json["attention"] == "needs_staff";
  })) << order(secondNo).body;
  EXPECT_TRUE(order(secondNo).json["credit_pending"].get<bool>());

  auto list = staff("GET", "/api/v1/orders");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.json["count"], 2);
  EXPECT_EQ(list.json["orders"][0]["order_no"], secondNo);  // newest first
  EXPECT_EQ(list.json["orders"][0]["source"], "kiosk:lobby");
  EXPECT_FALSE(list.json["orders"][0]["provider_trade_no"].get<std::string>().empty());
  const auto staffView = list.json["orders"][0].get<api::StaffOrderView>();
  EXPECT_EQ(staffView.order.orderNo, secondNo);
  EXPECT_EQ(staffView.order.stage, api::OrderStage::CreditPending);
  EXPECT_EQ(Json(staffView), list.json["orders"][0]);
  EXPECT_EQ(staff("GET", "/api/v1/orders?needs_staff=true").json["count"], 1);
  EXPECT_EQ(staff("GET", "/api/v1/orders?needs_staff=true").json["orders"][0]["order_no"],
            secondNo);
  EXPECT_EQ(staff("GET", "/api/v1/orders?state=pending").json["count"], 1);
  EXPECT_EQ(staff("GET", "/api/v1/orders?shop_number=A102").json["count"], 1);
  EXPECT_EQ(staff("GET", "/api/v1/orders?shop_id=" + std::to_string(site.shopIds[0])).json["count"],
            1);
  EXPECT_EQ(
      staff("GET", "/api/v1/orders?meter_id=" + std::to_string(site.meterIds[0])).json["count"], 1);
  EXPECT_EQ(staff("GET", "/api/v1/orders?order_no=" + secondNo).json["count"], 1);
  EXPECT_EQ(
      staff("GET", "/api/v1/orders?from=2000-01-01T00:00:00%2B08:00&to=2001-01-01T00:00:00%2B08:00")
          .json["count"],
      0);
  EXPECT_EQ(staff("GET", "/api/v1/orders?from=2000-01-01T00:00:00%2B08:00").json["count"], 2);
  EXPECT_EQ(staff("GET", "/api/v1/orders?limit=1").json["count"], 1);
  EXPECT_EQ(staff("GET", "/api/v1/orders?state=bogus").code(), "invalid_parameter");
  EXPECT_EQ(staff("GET", "/api/v1/orders?needs_staff=maybe").code(), "invalid_parameter");
  EXPECT_EQ(staff("GET", "/api/v1/orders?from=yesterday").code(), "invalid_parameter");
  EXPECT_EQ(staff("GET", "/api/v1/orders?shop_number=Z999").code(), "unknown_shop");
  EXPECT_EQ(staff("GET", "/api/v1/orders/P1").code(), "unknown_order");
  EXPECT_EQ(call("GET", "/api/v1/orders").code(), "unauthenticated");

  // Permissions: a technician neither reads nor refunds orders.
  ASSERT_TRUE(createOperator(*m_store, PasswordHasher(1000), "tech", "Tech", "tech-password",
                             "technician", m_clock(), "test"));
  const auto tech = login("tech", "tech-password");
  EXPECT_EQ(staff("GET", "/api/v1/orders", nullptr, {}, tech).code(), "forbidden");
  const std::string refund = "/api/v1/orders/" + secondNo + "/refund";
  EXPECT_EQ(staff("POST", refund, Json{{"reason", "x"}}, {{"Idempotency-Key", "t"}}, tech).code(),
            "forbidden");

  // Refund: validated, idempotent, audited, and the customer's money goes back.
  EXPECT_EQ(staff("POST", refund, Json{{"reason", "account closed"}}).code(),
            "missing_idempotency_key");
  EXPECT_EQ(staff("POST", refund, Json::object(), {{"Idempotency-Key", "r0"}}).code(),
            "missing_field");
  const auto cashier = login("cashier", "cashier-password");
  const auto refunded = staff("POST", refund, Json{{"reason", "account closed"}},
                              {{"Idempotency-Key", "r1"}}, cashier);
  ASSERT_EQ(refunded.status, 200) << refunded.body;
  EXPECT_EQ(refunded.json["order"]["state"], "refunded");
  EXPECT_EQ(refunded.json["order"]["stage"], "refunded");
  EXPECT_EQ(refunded.json["order"]["refunded_by"], "cashier");
  EXPECT_EQ(refunded.json["order"]["refund_no"], "R" + secondNo);
  EXPECT_EQ(m_paySim->trade(secondNo)->state, "REFUND");
  const auto again = staff("POST", refund, Json{{"reason", "account closed"}},
                           {{"Idempotency-Key", "r1"}}, cashier);
  EXPECT_EQ(again.body, refunded.body);
  EXPECT_EQ(sqlInt("SELECT COUNT(*) FROM audit_log WHERE action = 'order.refund' AND actor = "
                   "'cashier' AND outcome = 'ok'"),
            1);
  EXPECT_EQ(entries(site.meterIds[1]), 0);  // nothing was credited

  // An unpaid order has nothing to refund.
  const auto unpaid =
      staff("POST", "/api/v1/orders/" + first.json["order_no"].get<std::string>() + "/refund",
            Json{{"reason", "x"}}, {{"Idempotency-Key", "r2"}});
  EXPECT_EQ(unpaid.code(), "invalid_state");
  EXPECT_GE(sqlInt("SELECT COUNT(*) FROM audit_log WHERE outcome = 'invalid_state'"), 1);
}

// [SECTION] without payments

TEST_F(ApiFixture, OrderRoutesWithoutPaymentsAnswerPaymentsUnavailable) {
  const auto created = kiosk("POST", "/api/v1/kiosk/orders",
                             Json{{"meter_id", 1}, {"amount_fen", 1000}, {"provider", "wechat"}});
  // Idempotency is checked before the handler; with a key the service's absence shows.
  EXPECT_EQ(created.code(), "missing_idempotency_key");
  const auto withKey =
      call("POST", "/api/v1/kiosk/orders",
           Json{{"meter_id", 1}, {"amount_fen", 1000}, {"provider", "wechat"}}.dump(),
           {{"X-Kiosk-Key", m_kioskKey}, {"Idempotency-Key", "k"}});
  EXPECT_EQ(withKey.status, 503);
  EXPECT_EQ(withKey.code(), "payments_unavailable");
  EXPECT_EQ(kiosk("GET", "/api/v1/kiosk/orders/P1").code(), "payments_unavailable");
  EXPECT_EQ(staff("GET", "/api/v1/orders").code(), "payments_unavailable");
  const auto notify = call("POST", "/api/v1/payments/notify/alipay", "a=b", {},
                           "application/x-www-form-urlencoded");
  EXPECT_EQ(notify.status, 503);
  EXPECT_EQ(notify.code(), "payments_unavailable");
}

}  // namespace
}  // namespace prepaid::backend::http::testing
