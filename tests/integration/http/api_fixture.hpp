#pragma once

// A real backend HTTP server on a free loopback port over a real SQLite store in a temporary
// directory, with a real BillingService, a test clock, and an httplib client.

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>
#include <stdlib.h>

#include "prepaid/billing/billing_service.hpp"
#include "prepaid/collect/command_service.hpp"
#include "prepaid/http/access_admin.hpp"
#include "prepaid/http/audit_log.hpp"
#include "prepaid/http/collect_command_dispatcher.hpp"
#include "prepaid/http/command_dispatcher.hpp"
#include "prepaid/http/http_server.hpp"

namespace prepaid::backend::payments {
class PaymentService;
}

namespace prepaid::backend::http::testing {

using Json = nlohmann::json;

struct Reply {
  int status = 0;
  Json json;
  std::string body;
  httplib::Headers headers;
  [[nodiscard]] std::string code() const {
    return json.is_object() && json.contains("error") ? json["error"].value("code", "")
                                                      : std::string();
  }
};

class ApiFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "prepaid-api-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    m_dir = pattern;
    m_store = store::openSqliteStore(m_dir / "site.db").value();
    auto clock = [this] {
      return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()) +
             std::chrono::seconds(m_clockOffsetS.load());
    };
    m_billing = std::make_unique<billing::BillingService>(*m_store, clock);
    m_commandService = std::make_unique<collect::CommandService>(*m_store, clock);
    m_dispatcher = std::make_unique<CollectCommandDispatcher>(*m_commandService);
    m_clock = clock;
    beforeServer();
    HttpServices services{*m_store, m_billing.get(), m_dispatcher.get(), m_metricsProviders, clock};
    services.payments = m_payments;
    HttpOptions options;
    options.threads = 8;
    options.passwordIterations = m_passwordIterations;  // 600,000 is checked in the unit tests
    options.meterProfiles = m_meterProfiles;
    options.log = [](const std::string&) {};
    m_server = std::make_unique<HttpServer>(services, options);
    auto port = m_server->start("127.0.0.1", 0, std::nullopt);
    ASSERT_TRUE(port) << port.error().message;
    m_port = *port;
    m_client = std::make_unique<httplib::Client>("127.0.0.1", m_port);
    m_client->set_read_timeout(30, 0);
    const PasswordHasher hasher(m_passwordIterations);
    const auto now = clock();
    ASSERT_TRUE(
        createOperator(*m_store, hasher, "admin", "Admin", "admin-password", "admin", now, "test"));
    ASSERT_TRUE(createOperator(*m_store, hasher, "cashier", "Cashier", "cashier-password",
                               "cashier", now, "test"));
    m_kioskKey = createKiosk(*m_store, "lobby", now, "test").value().key;
    m_admin = login("admin", "admin-password");
    ASSERT_FALSE(m_admin.empty());
  }

  /// Called after the store and billing exist, before the server starts (payments tests create
  /// their PaymentService here and set m_payments).
  virtual void beforeServer() {}
  /// Called after the server stopped, before billing and the store go (payments tests stop their
  /// service and simulator here).
  virtual void afterServer() {}

  void TearDown() override {
    m_client.reset();
    if (m_server) {
      m_server->stop();
    }
    m_server.reset();
    afterServer();
    m_billing.reset();
    m_store.reset();
    std::error_code ec;
    std::filesystem::remove_all(m_dir, ec);
  }

  Reply call(const std::string& method, const std::string& path, const std::string& body = "",
             httplib::Headers headers = {}, const std::string& type = "application/json") {
    httplib::Result result{nullptr, httplib::Error::Unknown};
    if (method == "GET") {
      result = m_client->Get(path, headers);
    } else if (method == "POST") {
      result = m_client->Post(path, headers, body, type);
    } else if (method == "PUT") {
      result = m_client->Put(path, headers, body, type);
    } else if (method == "PATCH") {
      result = m_client->Patch(path, headers, body, type);
    } else if (method == "DELETE") {
      result = m_client->Delete(path, headers, body, type);
    }
    Reply reply;
    if (!result) {
      ADD_FAILURE() << "request failed: " << method << " " << path;
      return reply;
    }
    reply.status = result->status;
    reply.body = result->body;
    reply.headers = result->headers;
    reply.json = Json::parse(result->body, nullptr, false);
    return reply;
  }

  Reply staff(const std::string& method, const std::string& path, const Json& body = nullptr,
              httplib::Headers extra = {}, const std::string& token = {}) {
    extra.emplace("Authorization", "Bearer " + (token.empty() ? m_admin : token));
    return call(method, path, body.is_null() ? std::string() : body.dump(), extra);
  }

  Reply kiosk(const std::string& method, const std::string& path, const Json& body = nullptr,
              const std::string& tenantToken = {}) {
    httplib::Headers headers{{"X-Kiosk-Key", m_kioskKey}};
    if (!tenantToken.empty()) {
      headers.emplace("X-Tenant-Token", tenantToken);
    }
    return call(method, path, body.is_null() ? std::string() : body.dump(), headers);
  }

  std::string login(const std::string& user, const std::string& password) {
    const auto reply =
        call("POST", "/api/v1/auth/login", Json{{"username", user}, {"password", password}}.dump());
    return reply.status == 200 ? reply.json["token"].get<std::string>() : std::string();
  }

  /// Raw SQL on the database file (tampering, counting).
  std::int64_t sqlInt(const std::string& sql) {
    sqlite3* db = nullptr;
    sqlite3_open((m_dir / "site.db").c_str(), &db);
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
    std::int64_t value = -1;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      value = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return value;
  }
  std::string sqlText(const std::string& sql) {
    sqlite3* db = nullptr;
    sqlite3_open((m_dir / "site.db").c_str(), &db);
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
    std::string value = "<no row>";
    if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
      value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return value;
  }
  void sqlExec(const std::string& sql) {
    sqlite3* db = nullptr;
    sqlite3_open((m_dir / "site.db").c_str(), &db);
    sqlite3_busy_timeout(db, 5000);
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
        << (error != nullptr ? error : "");
    sqlite3_free(error);
    sqlite3_close(db);
  }

  /// Building A, floor 1, shops A101..A10n, gateway gw1, one server-side meter per shop.
  struct Site {
    std::int64_t buildingId = 0;
    std::int64_t floorId = 0;
    std::int64_t gatewayId = 0;
    std::vector<std::int64_t> shopIds;
    std::vector<std::int64_t> meterIds;
  };
  Site makeSite(int shops) {
    Site site;
    site.buildingId = staff("POST", "/api/v1/buildings", Json{{"name", "A"}}).json["building_id"];
    site.floorId = staff("POST", "/api/v1/buildings/" + std::to_string(site.buildingId) + "/floors",
                         Json{{"name", "1F"}, {"ordinal", 1}})
                       .json["floor_id"];
    site.gatewayId = staff("POST", "/api/v1/gateways",
                           Json{{"name", "gw1"}, {"transport_uri", "tcp://127.0.0.1:1502"}})
                         .json["gateway_id"];
    for (int i = 1; i <= shops; ++i) {
      const auto number = "A1" + std::string(i < 10 ? "0" : "") + std::to_string(i);
      site.shopIds.push_back(
          staff("POST", "/api/v1/shops", Json{{"floor_id", site.floorId}, {"number", number}})
              .json["shop_id"]);
      site.meterIds.push_back(staff("POST", "/api/v1/meters",
                                    Json{{"serial", "M" + number},
                                         {"profile", "ddsy1352"},
                                         {"unit_address", i},
                                         {"gateway_id", site.gatewayId},
                                         {"shop_id", site.shopIds.back()}})
                                  .json["meter_id"]);
    }
    return site;
  }

  std::int64_t openAccount(const std::string& name, std::int64_t meterId,
                           const std::string& pin = {}) {
    Json body{{"tenant_name", name}, {"phone", "13812345678"}, {"meter_ids", {meterId}}};
    if (!pin.empty()) {
      body["pin"] = pin;
    }
    const auto reply = staff("POST", "/api/v1/accounts", body);
    EXPECT_EQ(reply.status, 201) << reply.body;
    return reply.json.value("account_id", 0);
  }

  std::filesystem::path m_dir;
  std::unique_ptr<store::Store> m_store;
  std::unique_ptr<billing::BillingService> m_billing;
  std::unique_ptr<collect::CommandService> m_commandService;
  std::unique_ptr<CollectCommandDispatcher> m_dispatcher;
  std::unique_ptr<HttpServer> m_server;
  std::unique_ptr<httplib::Client> m_client;
  std::atomic<std::int64_t> m_clockOffsetS{0};
  std::function<domain::Instant()> m_clock;
  payments::PaymentService* m_payments = nullptr;          // HttpServices::payments (null: 503)
  std::vector<const MetricsProvider*> m_metricsProviders;  // set in beforeServer()
  std::int64_t m_passwordIterations = 1000;  // the server's PBKDF2 count (set before SetUp)
  std::vector<std::string> m_meterProfiles;  // HttpOptions::meterProfiles (set before SetUp)
  int m_port = 0;
  std::string m_kioskKey;
  std::string m_admin;
};

}  // namespace prepaid::backend::http::testing
