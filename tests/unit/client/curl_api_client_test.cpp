#include "prepaid/client/curl_api_client.hpp"

#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>

namespace prepaid::kiosk {
namespace {

// A real HTTP server on a free loopback port (cpp-httplib's own test pattern).
class Server {
 public:
  Server() {
    m_server.Get("/api/v1/health", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"status":"ok","version":"0.1.0","api_version":"v1"})",
                      "application/json");
    });
    m_server.Post("/api/v1/kiosk/identify",
                  [this](const httplib::Request& req, httplib::Response& res) {
                    lastKioskKey = req.get_header_value("X-Kiosk-Key");
                    lastBody = req.body;
                    if (req.body.find("999") != std::string::npos) {
                      res.status = 404;
                      res.set_content(R"({"error":{"code":"unknown_shop","message":"no shop"}})",
                                      "application/json");
                      return;
                    }
                    res.set_content(R"({"account_id":7,"shop_number":"A101","tenant_name":"张*",
        "personal":true,"tenant_token":"tt","meters":[{"meter_id":3,"serial":"S3",
        "personal":true,"balance_fen":5000,"status":"alarm1","hoarding_cap_fen":100000}]})",
                                    "application/json");
                  });
    m_server.Get(R"(/api/v1/kiosk/accounts/(\d+)/meters/(\d+)/usage)",
                 [this](const httplib::Request& req, httplib::Response& res) {
                   lastTenantToken = req.get_header_value("X-Tenant-Token");
                   lastQuery = req.get_param_value("granularity");
                   res.set_content(R"({"meter_id":3,"granularity":"day","points":[]})",
                                   "application/json");
                 });
    m_server.Post(
        "/api/v1/kiosk/orders", [this](const httplib::Request& req, httplib::Response& res) {
          lastIdempotencyKey = req.get_header_value("Idempotency-Key");
          res.set_content(R"({"order_no":"O9","meter_id":3,"amount_fen":10000,"state":"pending",
        "qr_code":"weixin://x"})",
                          "application/json");
        });
    m_server.Post("/api/v1/audit/events",
                  [this](const httplib::Request& req, httplib::Response& res) {
                    lastAuthorization = req.get_header_value("Authorization");
                    res.status = 204;
                  });
    m_server.Get("/api/v1/kiosk/orders/slow", [](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(std::chrono::milliseconds(800));  // the client times out first
      res.set_content("{}", "application/json");
    });
    m_port = m_server.bind_to_any_port("127.0.0.1");
    m_thread = std::thread([this] { m_server.listen_after_bind(); });
    // This cpp-httplib has no wait_until_ready(): poll is_running() with a deadline.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!m_server.is_running() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
  }
  ~Server() {
    m_server.stop();
    m_thread.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }

  std::string lastKioskKey, lastBody, lastTenantToken, lastQuery, lastIdempotencyKey,
      lastAuthorization;

 private:
  httplib::Server m_server;
  int m_port = 0;
  std::thread m_thread;
};

ClientConfig config(const std::string& url) {
  ClientConfig c;
  c.baseUrl = url + "/";
  c.kioskKey = "kiosk-key-1";
  c.timeout = std::chrono::milliseconds(3000);
  return c;
}

TEST(CurlApiClient, HealthMeasuresLatency) {
  Server server;
  CurlApiClient::globalInit();
  CurlApiClient client(config(server.url()));
  auto health = client.health();
  ASSERT_TRUE(health) << health.error().message;
  EXPECT_EQ(health->health.status, "ok");
  EXPECT_GE(health->latency.count(), 0);
}

TEST(CurlApiClient, IdentifySendsTheKioskKeyAndParsesTheAccount) {
  Server server;
  CurlApiClient client(config(server.url()));
  IdentifyRequest request;
  request.shopNumber = "A101";
  auto account = client.identify(request);
  ASSERT_TRUE(account) << account.error().message;
  EXPECT_EQ(server.lastKioskKey, "kiosk-key-1");
  EXPECT_EQ(account->tenantToken, "tt");
  ASSERT_EQ(account->meters.size(), 1U);
  EXPECT_EQ(account->meters[0].status, api::MeterStatusCode::Alarm1);
}

TEST(CurlApiClient, ApiErrorsCarryTheirCode) {
  Server server;
  CurlApiClient client(config(server.url()));
  IdentifyRequest request;
  request.shopNumber = "999";
  auto account = client.identify(request);
  ASSERT_FALSE(account);
  EXPECT_EQ(account.error().kind, ClientErrorKind::Api);
  EXPECT_EQ(account.error().apiCode, api::ErrorCode::UnknownShop);
  EXPECT_FALSE(account.error().offline());
}

TEST(CurlApiClient, TenantTokenQueryAndIdempotencyHeaders) {
  Server server;
  CurlApiClient client(config(server.url()));
  ASSERT_TRUE(client.usage(7, 3, Granularity::Day, "tt"));
  EXPECT_EQ(server.lastTenantToken, "tt");
  EXPECT_EQ(server.lastQuery, "day");
  CreateOrderRequest create;
  create.meterId = 3;
  create.amountFen = 10000;
  create.idempotencyKey = "kiosk-abc";
  auto order = client.createOrder(create);
  ASSERT_TRUE(order);
  EXPECT_EQ(order->qrCode, "weixin://x");
  EXPECT_EQ(server.lastIdempotencyKey, "kiosk-abc");
  ASSERT_TRUE(client.audit("staff", "kiosk.printer.test", "x"));
  EXPECT_EQ(server.lastAuthorization, "Bearer staff");
}

TEST(CurlApiClient, UnreachableBackendIsOffline) {
  CurlApiClient client(config("http://127.0.0.1:1"));
  auto health = client.health();
  ASSERT_FALSE(health);
  EXPECT_EQ(health.error().kind, ClientErrorKind::Network);
  EXPECT_TRUE(health.error().offline());
}

TEST(CurlApiClient, SlowAnswerTimesOut) {
  Server server;
  auto c = config(server.url());
  c.timeout = std::chrono::milliseconds(200);
  CurlApiClient client(c);
  auto order = client.order("slow");
  ASSERT_FALSE(order);
  EXPECT_EQ(order.error().kind, ClientErrorKind::Timeout);
  EXPECT_TRUE(order.error().offline());
}

}  // namespace
}  // namespace prepaid::kiosk
