#include <cstdio>
#include <set>

#include "api_fixture.hpp"

#include "prepaid/store/store.hpp"

namespace prepaid::backend::http::testing {
namespace {

using Headers = httplib::Headers;

// [SECTION] system

TEST_F(ApiFixture, HealthMetricsAndOpenApiMatchTheRoutes) {
  const auto health = call("GET", "/api/v1/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.json["status"], "ok");
  EXPECT_EQ(health.json["api_version"], "v1");
  EXPECT_EQ(health.json["schema_version"], m_store->schemaVersion());

  makeSite(2);
  const auto metrics = call("GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("prepaid_meters{link=\"online\"} 2"), std::string::npos);
  EXPECT_NE(metrics.body.find("prepaid_commands_pending{state=\"queued\"} 0"), std::string::npos);

  const auto openapi = call("GET", "/api/v1/openapi.json");
  ASSERT_EQ(openapi.status, 200);
  EXPECT_EQ(openapi.json["openapi"], "3.0.3");
  std::set<std::string> documented;
  for (const auto& [path, methods] : openapi.json["paths"].items()) {
    for (const auto& [method, operation] : methods.items()) {
      std::string upper = method;
      for (auto& c : upper) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      }
      documented.insert(upper + " " + path);
    }
  }
  const auto routes = m_server->routes();
  const std::set<std::string> registered(routes.begin(), routes.end());
  EXPECT_EQ(documented, registered);
  EXPECT_GE(registered.size(), 45u);
}

TEST_F(ApiFixture, CurlSeesTheSameJson) {
  const auto command =
      "curl -s -H 'Accept: application/json' http://127.0.0.1:" + std::to_string(m_port) +
      "/api/v1/health";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[512];
  while (std::fgets(buffer, sizeof(buffer), pipe) != nullptr) {
    output += buffer;
  }
  ASSERT_EQ(pclose(pipe), 0);
  const auto json = Json::parse(output, nullptr, false);
  ASSERT_TRUE(json.is_object()) << output;
  EXPECT_EQ(json["status"], "ok");
}

TEST_F(ApiFixture, UnknownRouteWrongMethodAndErrorsAreJson) {
  auto reply = call("GET", "/api/v1/nope");
  EXPECT_EQ(reply.status, 404);
  EXPECT_EQ(reply.code(), "not_found");
  reply = call("DELETE", "/api/v1/health");
  EXPECT_EQ(reply.status, 405);
  EXPECT_EQ(reply.code(), "method_not_allowed");
  EXPECT_TRUE(reply.json["error"]["message"].is_string());
}

TEST_F(ApiFixture, PlainHttpIsRefusedOffLoopbackAndTlsWorks) {
  HttpServer other(HttpServices{*m_store, nullptr, nullptr, {}, {}});
  auto refused = other.start("0.0.0.0", 0, std::nullopt);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, HttpErrorCode::PlainHttpNotOnLoopback);
  auto badTls =
      other.start("127.0.0.1", 0, TlsOptions{m_dir / "missing.crt", m_dir / "missing.key"});
  ASSERT_FALSE(badTls);
  EXPECT_EQ(badTls.error().code, HttpErrorCode::TlsSetupFailed);

  const auto cert = m_dir / "site.crt";
  const auto key = m_dir / "site.key";
  const auto command =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
      "-keyout " +
      key.string() + " -out " + cert.string() + " 2>/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0);
  HttpServer tls(HttpServices{*m_store, nullptr, nullptr, {}, {}});
  auto port = tls.start("127.0.0.1", 0, TlsOptions{cert, key});
  ASSERT_TRUE(port) << port.error().message;
  httplib::SSLClient client("127.0.0.1", *port);
  client.enable_server_certificate_verification(false);
  auto result = client.Get("/api/v1/health");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  tls.stop();
}

// [SECTION] staff auth

TEST_F(ApiFixture, LoginSessionsAndPermissions) {
  auto reply = call("POST", "/api/v1/auth/login",
                    Json{{"username", "admin"}, {"password", "wrong-password"}}.dump());
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(reply.code(), "invalid_credentials");
  reply =
      call("POST", "/api/v1/auth/login", Json{{"username", "nobody"}, {"password", "x"}}.dump());
  EXPECT_EQ(reply.code(), "invalid_credentials");
  reply = call("POST", "/api/v1/auth/login", Json{{"username", "admin"}}.dump());
  EXPECT_EQ(reply.code(), "missing_field");

  reply = call("GET", "/api/v1/auth/me");
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(reply.code(), "unauthenticated");
  reply = staff("GET", "/api/v1/auth/me", nullptr, {}, "forged-token");
  EXPECT_EQ(reply.code(), "unauthenticated");
  reply = staff("GET", "/api/v1/auth/me");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.json["operator"]["username"], "admin");

  const auto cashier = login("cashier", "cashier-password");
  ASSERT_FALSE(cashier.empty());
  reply = staff("PATCH", "/api/v1/settings", Json{{"alarm1_fen", 6000}}, {}, cashier);
  EXPECT_EQ(reply.status, 403);
  EXPECT_EQ(reply.code(), "forbidden");
  reply = staff("GET", "/api/v1/operators", nullptr, {}, cashier);
  EXPECT_EQ(reply.status, 403);

  reply = staff("POST", "/api/v1/auth/logout", nullptr, {}, cashier);
  EXPECT_EQ(reply.status, 200);
  reply = staff("GET", "/api/v1/auth/me", nullptr, {}, cashier);
  EXPECT_EQ(reply.code(), "unauthenticated");
}

TEST_F(ApiFixture, SessionsExpire) {
  const auto token = login("cashier", "cashier-password");
  EXPECT_EQ(staff("GET", "/api/v1/auth/me", nullptr, {}, token).status, 200);
  m_clockOffsetS = 31 * 60;  // idle timeout is 30 minutes
  const auto reply = staff("GET", "/api/v1/auth/me", nullptr, {}, token);
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(reply.code(), "session_expired");
}

TEST_F(ApiFixture, TenFailedLoginsLockTheAccountFor15Minutes) {
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(call("POST", "/api/v1/auth/login",
                   Json{{"username", "cashier"}, {"password", "bad-password"}}.dump())
                  .code(),
              "invalid_credentials");
  }
  auto reply = call("POST", "/api/v1/auth/login",
                    Json{{"username", "cashier"}, {"password", "cashier-password"}}.dump());
  EXPECT_EQ(reply.status, 423);
  EXPECT_EQ(reply.code(), "account_locked");
  m_clockOffsetS = 16 * 60;
  EXPECT_FALSE(login("cashier", "cashier-password").empty());
}

TEST_F(ApiFixture, ChangePasswordAndOperatorsAndRoles) {
  auto reply = staff("POST", "/api/v1/auth/password",
                     Json{{"current_password", "wrong-one"}, {"new_password", "new-password-1"}});
  EXPECT_EQ(reply.code(), "invalid_credentials");
  reply = staff("POST", "/api/v1/auth/password",
                Json{{"current_password", "admin-password"}, {"new_password", "short"}});
  EXPECT_EQ(reply.code(), "invalid_field");
  reply = staff("POST", "/api/v1/auth/password",
                Json{{"current_password", "admin-password"}, {"new_password", "new-password-1"}});
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(staff("GET", "/api/v1/auth/me").status, 200);  // this session is kept
  EXPECT_TRUE(login("admin", "admin-password").empty());
  EXPECT_FALSE(login("admin", "new-password-1").empty());

  reply = staff("GET", "/api/v1/permissions");
  EXPECT_EQ(reply.json["permissions"].size(), 12u);  // DOMAIN.md functions + tariffs.manage
  reply =
      staff("POST", "/api/v1/roles", Json{{"name", "auditor"}, {"permissions", {"audit.read"}}});
  ASSERT_EQ(reply.status, 201);
  const auto roleId = reply.json["role_id"].get<std::int64_t>();
  EXPECT_EQ(staff("POST", "/api/v1/roles", Json{{"name", "x"}, {"permissions", {"root"}}}).code(),
            "invalid_field");
  EXPECT_EQ(staff("PUT", "/api/v1/roles/" + std::to_string(roleId),
                  Json{{"name", "auditor"}, {"permissions", {"audit.read", "reports.read"}}})
                .json["permissions"]
                .size(),
            2u);
  EXPECT_EQ(staff("GET", "/api/v1/roles").json["roles"].size(), 5u);

  reply = staff("POST", "/api/v1/operators",
                Json{{"username", "wang"}, {"password", "wang-password"}, {"role_id", roleId}});
  ASSERT_EQ(reply.status, 201);
  const auto wangId = reply.json["operator_id"].get<std::int64_t>();
  EXPECT_EQ(staff("POST", "/api/v1/operators",
                  Json{{"username", "wang"}, {"password", "wang-password"}, {"role_id", roleId}})
                .code(),
            "conflict");
  const auto wang = login("wang", "wang-password");
  EXPECT_EQ(staff("GET", "/api/v1/audit", nullptr, {}, wang).status, 200);
  EXPECT_EQ(
      staff("PATCH", "/api/v1/operators/" + std::to_string(wangId), Json{{"state", "disabled"}})
          .status,
      200);
  EXPECT_EQ(staff("GET", "/api/v1/auth/me", nullptr, {}, wang).code(), "unauthenticated");
  EXPECT_EQ(staff("GET", "/api/v1/operators").json["operators"].size(), 3u);
  EXPECT_EQ(staff("PATCH", "/api/v1/operators/abc", Json{{"state", "active"}}).code(),
            "invalid_parameter");
}

// [SECTION] site configuration

TEST_F(ApiFixture, SiteConfigurationAndBadInputChangeNothing) {
  const auto site = makeSite(2);
  EXPECT_EQ(staff("GET", "/api/v1/buildings").json["buildings"][0]["floors"].size(), 1u);
  EXPECT_EQ(staff("GET", "/api/v1/shops").json["shops"].size(), 2u);
  EXPECT_EQ(staff("GET", "/api/v1/gateways").json["gateways"].size(), 1u);
  EXPECT_EQ(staff("GET", "/api/v1/meters").json["meters"].size(), 2u);
  EXPECT_EQ(staff("GET", "/api/v1/meters/" + std::to_string(site.meterIds[0])).json["serial"],
            "MA101");
  EXPECT_EQ(staff("GET", "/api/v1/meters/9999").code(), "unknown_meter");

  const auto before = sqlInt("SELECT COUNT(*) FROM meters");
  const Json base{
      {"serial", "X1"}, {"profile", "p"}, {"unit_address", 9}, {"gateway_id", site.gatewayId}};
  auto with = [&](const std::string& key, const Json& value) {
    Json body = base;
    body[key] = value;
    return staff("POST", "/api/v1/meters", body);
  };
  EXPECT_EQ(with("unit_address", "9").code(), "invalid_field");
  EXPECT_EQ(with("unit_address", 9.5).code(), "invalid_field");
  EXPECT_EQ(with("unit_address", 0).code(), "invalid_field");
  EXPECT_EQ(with("gateway_id", 999).code(), "invalid_field");
  EXPECT_EQ(with("shop_id", 999).code(), "invalid_field");
  EXPECT_EQ(with("billing_mode", "free").code(), "invalid_field");
  EXPECT_EQ(with("serial", "MA101").code(), "conflict");
  EXPECT_EQ(with("serial", "x'; DROP TABLE meters; --").status, 201);  // stored as text
  EXPECT_EQ(with("amonut", 1).code(), "invalid_field");
  Json missing = base;
  missing.erase("serial");
  EXPECT_EQ(staff("POST", "/api/v1/meters", missing).code(), "missing_field");
  EXPECT_EQ(
      call("POST", "/api/v1/meters", "{not json", Headers{{"Authorization", "Bearer " + m_admin}})
          .code(),
      "invalid_json");
  EXPECT_EQ(call("POST", "/api/v1/meters", "[1,2]", Headers{{"Authorization", "Bearer " + m_admin}})
                .code(),
            "invalid_json");
  EXPECT_EQ(call("POST", "/api/v1/meters", base.dump(),
                 Headers{{"Authorization", "Bearer " + m_admin}}, "text/plain")
                .code(),
            "unsupported_media_type");
  Json huge = base;
  huge["serial"] = std::string(200 * 1024, 'x');
  auto tooLarge = staff("POST", "/api/v1/meters", huge);
  EXPECT_EQ(tooLarge.status, 413);
  EXPECT_EQ(tooLarge.code(), "payload_too_large");
  auto enormous = call("POST", "/api/v1/meters", std::string(3 * 1024 * 1024, ' '),
                       Headers{{"Authorization", "Bearer " + m_admin}});
  EXPECT_EQ(enormous.status, 413);
  EXPECT_EQ(sqlInt("SELECT COUNT(*) FROM meters"), before + 1);
  EXPECT_EQ(sqlInt("SELECT COUNT(*) FROM sqlite_master WHERE name = 'meters'"), 1);

  EXPECT_EQ(staff("POST", "/api/v1/buildings", Json{{"name", "A"}}).code(), "conflict");
  EXPECT_EQ(staff("POST", "/api/v1/buildings/999/floors", Json{{"name", "B1"}}).code(),
            "not_found");
  EXPECT_EQ(staff("POST", "/api/v1/shops", Json{{"floor_id", 999}, {"number", "Z"}}).code(),
            "invalid_field");

  auto settings =
      staff("PATCH", "/api/v1/settings", Json{{"alarm1_fen", 8000}, {"pin_required", true}});
  EXPECT_EQ(settings.status, 200);
  EXPECT_EQ(staff("GET", "/api/v1/settings").json["alarm1_fen"], 8000);
  EXPECT_EQ(staff("PATCH", "/api/v1/settings", Json{{"alarm2_fen", 9000}}).code(), "invalid_field");
  EXPECT_EQ(staff("PATCH", "/api/v1/settings", Json{{"hoarding_cap_fen", -5}}).code(),
            "invalid_field");
  EXPECT_EQ(staff("GET", "/api/v1/settings").json["alarm2_fen"], 2000);

  // Kiosk order limits: both ends settable, never crossed.
  EXPECT_EQ(
      staff("PATCH", "/api/v1/settings", Json{{"order_min_fen", 500}, {"order_max_fen", 20000}})
          .status,
      200);
  const auto limits = staff("GET", "/api/v1/settings").json;
  EXPECT_EQ(limits["order_min_fen"], 500);
  EXPECT_EQ(limits["order_max_fen"], 20000);
  EXPECT_EQ(staff("PATCH", "/api/v1/settings", Json{{"order_max_fen", 400}}).code(),
            "invalid_field");
  EXPECT_EQ(staff("PATCH", "/api/v1/settings", Json{{"order_min_fen", 0}}).code(), "invalid_field");
  EXPECT_EQ(staff("PATCH", "/api/v1/settings", Json{{"order_min_fen", 1.5}}).code(),
            "invalid_field");
  EXPECT_EQ(staff("GET", "/api/v1/settings").json["order_max_fen"], 20000);
}

TEST_F(ApiFixture, CsvImportIsAllOrNothingWithPerRowErrors) {
  makeSite(1);
  const Headers auth{{"Authorization", "Bearer " + m_admin}};
  const std::string bad =
      "serial,profile,unit_address,gateway,shop_number,billing_mode\n"
      "C1,ddsy1352,10,gw1,A101,server_side\n"
      "C2,ddsy1352,abc,gw1,,server_side\n"
      "C3,ddsy1352,12,nogw,,server_side\n"
      "C1,ddsy1352,13,gw1,,server_side\n"
      "C5,ddsy1352,14,gw1,Z999,meter_side\n";
  auto reply = call("POST", "/api/v1/meters/import", bad, auth, "text/csv");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.code(), "invalid_csv");
  const auto rows = reply.json["error"]["details"]["rows"];
  ASSERT_GE(rows.size(), 1u);
  EXPECT_EQ(rows[0]["row"], 3);
  EXPECT_EQ(rows[0]["column"], "unit_address");
  EXPECT_EQ(sqlInt("SELECT COUNT(*) FROM meters WHERE serial LIKE 'C%'"), 0);
  // Syntax and reference problems in the same report, every row's problems at once: row 3
  // (bad address), 4 (unknown gateway), 5 (serial twice), 6 (unknown shop).
  ASSERT_EQ(rows.size(), 4u) << reply.body;
  EXPECT_EQ(rows[1]["row"], 4);
  EXPECT_EQ(rows[1]["column"], "gateway");
  EXPECT_EQ(rows[2]["row"], 5);
  EXPECT_EQ(rows[2]["column"], "serial");
  EXPECT_EQ(rows[3]["row"], 6);
  EXPECT_EQ(rows[3]["column"], "shop_number");
  // One row with several problems reports them all; a serial already stored is reported with
  // the syntax errors of other rows.
  const std::string many =
      "serial,profile,unit_address,gateway,shop_number\n"
      "MA101,ddsy1352,30,gw1,\n"
      "C7,ddsy1352,x,nogw,Z1\n";
  reply = call("POST", "/api/v1/meters/import", many, auth, "text/csv");
  EXPECT_EQ(reply.code(), "invalid_csv");
  const auto manyRows = reply.json["error"]["details"]["rows"];
  ASSERT_EQ(manyRows.size(), 4u) << reply.body;
  EXPECT_EQ(manyRows[0]["row"], 2);
  EXPECT_EQ(manyRows[0]["column"], "serial");  // exists already
  for (std::size_t i = 1; i < 4; ++i) {
    EXPECT_EQ(manyRows[i]["row"], 3) << reply.body;
  }
  EXPECT_EQ(manyRows[1]["column"], "unit_address");
  EXPECT_EQ(manyRows[2]["column"], "gateway");
  EXPECT_EQ(manyRows[3]["column"], "shop_number");
  EXPECT_EQ(sqlInt("SELECT COUNT(*) FROM meters WHERE serial LIKE 'C%'"), 0);

  const std::string badRefs =
      "serial,profile,unit_address,gateway,shop_number\n"
      "C1,ddsy1352,10,gw1,A101\n"
      "C3,ddsy1352,12,nogw,\n"
      "C1,ddsy1352,13,gw1,\n"
      "C5,ddsy1352,14,gw1,Z999\n";
  reply = call("POST", "/api/v1/meters/import", badRefs, auth, "text/csv");
  EXPECT_EQ(reply.code(), "invalid_csv");
  const auto refRows = reply.json["error"]["details"]["rows"];
  ASSERT_EQ(refRows.size(), 3u) << reply.body;
  EXPECT_EQ(refRows[0]["row"], 3);
  EXPECT_EQ(refRows[1]["row"], 4);
  EXPECT_EQ(refRows[2]["row"], 5);
  EXPECT_EQ(sqlInt("SELECT COUNT(*) FROM meters WHERE serial LIKE 'C%'"), 0);

  const std::string good =
      "\xEF\xBB\xBFserial,profile,unit_address,gateway,shop_number,medium,billing_mode\r\n"
      "C1,ddsy1352,10,gw1,A101,electricity,server_side\r\n"
      "\"C2\",dtsy1352,11,gw1,,water,meter_side\r\n";
  reply = call("POST", "/api/v1/meters/import", good, auth, "text/csv");
  EXPECT_EQ(reply.status, 201) << reply.body;
  EXPECT_EQ(reply.json["imported"], 2);
  EXPECT_EQ(sqlInt("SELECT COUNT(*) FROM meters WHERE serial LIKE 'C%'"), 2);
  EXPECT_EQ(call("POST", "/api/v1/meters/import", "", auth, "text/csv").code(), "invalid_csv");
}

// [SECTION] accounts and kiosk

TEST_F(ApiFixture, AccountsOpenReplaceCloseWithRecords) {
  const auto site = makeSite(3);
  const auto account = openAccount("张三", site.meterIds[0]);
  ASSERT_GT(account, 0);
  EXPECT_EQ(staff("POST", "/api/v1/accounts",
                  Json{{"tenant_name", "李四"}, {"meter_ids", {site.meterIds[0]}}})
                .code(),
            "conflict");
  EXPECT_EQ(
      staff("POST", "/api/v1/accounts", Json{{"tenant_name", "李四"}, {"meter_ids", {999}}}).code(),
      "unknown_meter");
  EXPECT_EQ(
      staff("POST", "/api/v1/accounts", Json{{"tenant_name", "李四"}, {"meter_ids", Json::array()}})
          .code(),
      "invalid_field");
  EXPECT_EQ(staff("GET", "/api/v1/accounts?shop_number=A101").json["account_id"], account);
  EXPECT_EQ(staff("GET", "/api/v1/accounts?shop_number=A102").code(), "unknown_account");
  EXPECT_EQ(staff("GET", "/api/v1/accounts?shop_number=%27%20OR%201%3D1").code(), "unknown_shop");

  const Headers key{{"Idempotency-Key", "sale-1"}};
  ASSERT_EQ(staff("POST", "/api/v1/sales",
                  Json{{"meter_id", site.meterIds[0]}, {"amount_fen", 5000}}, key)
                .status,
            201);
  // Replace meter 0 by meter 1: the balance moves to the new meter.
  auto reply = staff("POST", "/api/v1/accounts/" + std::to_string(account) + "/meters",
                     Json{{"meter_id", site.meterIds[1]}, {"replaces_meter_id", site.meterIds[0]}});
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.json["transferred_fen"], 5000);
  EXPECT_EQ(staff("GET", "/api/v1/meters/" + std::to_string(site.meterIds[1])).json["balance_fen"],
            5000);
  EXPECT_EQ(staff("GET", "/api/v1/meters/" + std::to_string(site.meterIds[0])).json["balance_fen"],
            0);
  // Add a third meter later.
  reply = staff("POST", "/api/v1/accounts/" + std::to_string(account) + "/meters",
                Json{{"meter_id", site.meterIds[2]}});
  ASSERT_EQ(reply.status, 200) << reply.body;

  reply = staff("POST", "/api/v1/accounts/" + std::to_string(account) + "/close", Json::object());
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.json["total_settled_fen"], 5000);
  EXPECT_EQ(reply.json["settlements"].size(), 2u);
  EXPECT_EQ(reply.json["account"]["state"], "closed");
  EXPECT_EQ(staff("GET", "/api/v1/meters/" + std::to_string(site.meterIds[1])).json["balance_fen"],
            0);
  EXPECT_EQ(staff("GET", "/api/v1/meters/" + std::to_string(site.meterIds[1])).json["status"],
            "closed");
  EXPECT_EQ(staff("POST", "/api/v1/accounts/" + std::to_string(account) + "/close", Json::object())
                .code(),
            "invalid_state");
  EXPECT_EQ(staff("GET", "/api/v1/accounts/" + std::to_string(account)).json["state"], "closed");
  EXPECT_TRUE(m_store->verifyLedger().value().ok());
}

TEST_F(ApiFixture, KioskLookupPrivacyPinAndLockout) {
  const auto site = makeSite(2);
  const auto account = openAccount("张三丰", site.meterIds[0], "1234");
  // Without a kiosk key nothing is answered.
  EXPECT_EQ(call("POST", "/api/v1/kiosk/identify", Json{{"shop_number", "A101"}}.dump()).code(),
            "unauthenticated");
  EXPECT_EQ(call("POST", "/api/v1/kiosk/identify", Json{{"shop_number", "A101"}}.dump(),
                 Headers{{"X-Kiosk-Key", "pk_forged"}})
                .code(),
            "unauthenticated");
  EXPECT_EQ(kiosk("POST", "/api/v1/kiosk/identify", Json{{"shop_number", "Z9"}}).code(),
            "unknown_shop");
  EXPECT_EQ(kiosk("POST", "/api/v1/kiosk/identify", Json{{"shop_number", "A102"}}).code(),
            "unknown_account");
  EXPECT_EQ(kiosk("POST", "/api/v1/kiosk/identify", Json::object()).code(), "missing_field");
  EXPECT_EQ(kiosk("POST", "/api/v1/kiosk/identify", Json{{"shop_number", 101}}).code(),
            "invalid_field");

  // No PIN policy: personal view at once, name masked, phone masked.
  auto reply = kiosk("POST", "/api/v1/kiosk/identify", Json{{"shop_number", "A101"}});
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.json["tenant_name"], "张*");
  EXPECT_EQ(reply.json["phone"], "138****5678");
  EXPECT_EQ(reply.body.find("13812345678"), std::string::npos);
  EXPECT_TRUE(reply.json["personal"].get<bool>());
  const auto token = reply.json["tenant_token"].get<std::string>();
  const auto& meter = reply.json["meters"][0];
  EXPECT_EQ(meter["balance_fen"], 0);
  EXPECT_EQ(meter["status"], "arrears");
  EXPECT_EQ(meter["relay"], "unknown");
  EXPECT_EQ(meter["days_left_state"], "known");  // balance 0: 0 days
  const auto base = "/api/v1/kiosk/accounts/" + std::to_string(account);
  EXPECT_EQ(kiosk("GET", base, nullptr, token).status, 200);
  EXPECT_EQ(kiosk("GET", base).code(), "unauthenticated");
  EXPECT_EQ(
      kiosk("GET", "/api/v1/kiosk/accounts/" + std::to_string(account + 1), nullptr, token).code(),
      "forbidden");

  // PIN required: without PIN a limited view (enough to pay), with a wrong PIN 401, 5 -> 423.
  ASSERT_EQ(staff("PATCH", "/api/v1/settings", Json{{"pin_required", true}}).status, 200);
  reply = kiosk("POST", "/api/v1/kiosk/identify", Json{{"shop_number", "A101"}});
  EXPECT_FALSE(reply.json["personal"].get<bool>());
  EXPECT_FALSE(reply.json.contains("tenant_token"));
  EXPECT_FALSE(reply.json["meters"][0].contains("balance_fen"));
  EXPECT_EQ(reply.json["phone"], "");
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(
        kiosk("POST", "/api/v1/kiosk/identify", Json{{"shop_number", "A101"}, {"pin", "9999"}})
            .code(),
        "invalid_pin");
  }
  reply = kiosk("POST", "/api/v1/kiosk/identify", Json{{"shop_number", "A101"}, {"pin", "1234"}});
  EXPECT_EQ(reply.status, 423);
  EXPECT_EQ(reply.code(), "account_locked");
  m_clockOffsetS = 16 * 60;
  reply = kiosk("POST", "/api/v1/kiosk/identify", Json{{"shop_number", "A101"}, {"pin", "1234"}});
  EXPECT_EQ(reply.status, 200);
  EXPECT_TRUE(reply.json["personal"].get<bool>());

  // QR card.
  reply = staff("POST", "/api/v1/accounts/" + std::to_string(account) + "/card");
  ASSERT_EQ(reply.status, 201);
  const auto card = reply.json["card_token"].get<std::string>();
  reply = kiosk("POST", "/api/v1/kiosk/identify", Json{{"card_token", card}, {"pin", "1234"}});
  EXPECT_EQ(reply.json["account_id"], account);
  EXPECT_EQ(
      kiosk("POST", "/api/v1/kiosk/identify", Json{{"card_token", std::string(32, 'a')}}).code(),
      "unknown_account");
  EXPECT_EQ(
      staff("PUT", "/api/v1/accounts/" + std::to_string(account) + "/pin", Json{{"pin", "12ab"}})
          .code(),
      "invalid_field");
  EXPECT_EQ(
      staff("PUT", "/api/v1/accounts/" + std::to_string(account) + "/pin", Json{{"pin", "4321"}})
          .status,
      200);
}

TEST_F(ApiFixture, KioskUsageAlarmsRechargesAndReceipts) {
  const auto site = makeSite(1);
  const auto meterId = site.meterIds[0];
  const auto account = openAccount("王五", meterId);
  // The readings are "today" in the site's zone (UTC+8): in the first hour of the local day,
  // move the server's clock an hour on so that 20 minutes ago is still today.
  const auto realNow =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  const auto localSeconds = (realNow.time_since_epoch().count() + 8 * 3600) % 86400;
  if (localSeconds < 3600) {
    m_clockOffsetS = 3600;
    m_admin = login("admin", "admin-password");  // the old session idled out in that hour
  }
  const auto now = m_clock();
  std::vector<store::Reading> readings;
  for (int i = 0; i < 3; ++i) {
    store::Reading reading;
    reading.meterId = meterId;
    reading.readAt = now - std::chrono::minutes(20 - i * 5);
    reading.energyTotalCentiKwh = 1000 + i * 150;
    reading.energyByRateCentiKwh = {0, 0, 1000 + i * 150, 0};
    reading.relay = domain::RelayState::Closed;
    readings.push_back(reading);
  }
  auto sale = staff("POST", "/api/v1/sales", Json{{"meter_id", meterId}, {"amount_fen", 20000}},
                    Headers{{"Idempotency-Key", "k-usage"}});
  ASSERT_EQ(sale.status, 201) << sale.body;
  const auto entryId = sale.json["receipt"]["entry_id"].get<std::int64_t>();
  ASSERT_TRUE(m_store->writeReadings(readings));
  ASSERT_TRUE(
      m_store->write([&](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
        auto raised = tx.alarms().raise(store::AlarmSubject::meter(meterId),
                                        store::AlarmKind::Alarm1, now, "low");
        if (!raised) {
          return std::unexpected(raised.error());
        }
        return {};
      }));

  auto reply = kiosk("POST", "/api/v1/kiosk/identify", Json{{"shop_number", "A101"}});
  const auto token = reply.json["tenant_token"].get<std::string>();
  EXPECT_EQ(reply.json["meters"][0]["relay"], "closed");
  EXPECT_EQ(reply.json["meters"][0]["today_energy_centi_kwh"], 300);
  EXPECT_EQ(reply.json["meters"][0]["balance_fen"], 20000);
  const auto base = "/api/v1/kiosk/accounts/" + std::to_string(account);
  for (const auto& [granularity, points] : std::vector<std::pair<std::string, std::size_t>>{
           {"hour", 24u}, {"day", 30u}, {"month", 12u}}) {
    reply = kiosk("GET",
                  base + "/meters/" + std::to_string(meterId) + "/usage?granularity=" + granularity,
                  nullptr, token);
    ASSERT_EQ(reply.status, 200) << reply.body;
    EXPECT_EQ(reply.json["points"].size(), points);
    std::int64_t total = 0;
    for (const auto& point : reply.json["points"]) {
      total += point["energy_centi_kwh"].get<std::int64_t>();
      EXPECT_EQ(point["energy_by_rate_centi_kwh"].size(), 4u);
    }
    EXPECT_EQ(total, 300) << granularity;
  }
  EXPECT_EQ(kiosk("GET", base + "/meters/" + std::to_string(meterId) + "/usage?granularity=week",
                  nullptr, token)
                .code(),
            "invalid_parameter");
  EXPECT_EQ(kiosk("GET", base + "/meters/999/usage", nullptr, token).code(), "unknown_meter");
  reply = kiosk("GET", base + "/alarms", nullptr, token);
  ASSERT_EQ(reply.json["alarms"].size(), 1u);
  EXPECT_EQ(reply.json["alarms"][0]["kind"], "alarm1");
  reply = kiosk("GET", base + "/recharges", nullptr, token);
  ASSERT_EQ(reply.json["recharges"].size(), 1u);
  EXPECT_EQ(reply.json["recharges"][0]["amount_fen"], 20000);
  reply = kiosk("GET", base + "/receipts/" + std::to_string(entryId), nullptr, token);
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.json["amount_fen"], 20000);
  EXPECT_EQ(reply.json["operator"], "");
  EXPECT_EQ(kiosk("GET", base + "/receipts/99999", nullptr, token).code(), "not_found");
}

// [SECTION] sales

TEST_F(ApiFixture, SalesAreIdempotentAndValidated) {
  const auto site = makeSite(1);
  const auto meterId = site.meterIds[0];
  openAccount("赵六", meterId);
  const Json sale{{"meter_id", meterId}, {"amount_fen", 10000}, {"payment_method", "cash"}};
  const Headers key{{"Idempotency-Key", "order-42"}};
  auto first = staff("POST", "/api/v1/sales", sale, key);
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(first.json["receipt"]["amount_fen"], 10000);
  EXPECT_EQ(first.json["receipt"]["balance_after_fen"], 10000);
  EXPECT_EQ(first.json["receipt"]["shop_number"], "A101");
  EXPECT_EQ(first.json["receipt"]["payment_method"], "cash");
  EXPECT_EQ(first.json["receipt"]["operator"], "admin");
  auto replay = staff("POST", "/api/v1/sales", sale, key);
  EXPECT_EQ(replay.status, 201);
  EXPECT_EQ(replay.body, first.body);
  EXPECT_EQ(staff("GET", "/api/v1/meters/" + std::to_string(meterId)).json["balance_fen"], 10000);
  Json other = sale;
  other["amount_fen"] = 20000;
  auto conflict = staff("POST", "/api/v1/sales", other, key);
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.code(), "idempotency_conflict");

  const auto entries = sqlInt("SELECT COUNT(*) FROM ledger_entries");
  auto bad = [&](const Json& body, const std::string& keyName = "k-bad") {
    return staff("POST", "/api/v1/sales", body, Headers{{"Idempotency-Key", keyName}});
  };
  EXPECT_EQ(staff("POST", "/api/v1/sales", sale).code(), "missing_idempotency_key");
  EXPECT_EQ(bad(Json{{"meter_id", meterId}, {"amount_fen", -100}}).code(), "invalid_field");
  EXPECT_EQ(bad(Json{{"meter_id", meterId}, {"amount_fen", 0}}).code(), "invalid_field");
  EXPECT_EQ(bad(Json{{"meter_id", meterId}, {"amount_fen", 100.5}}).code(), "invalid_field");
  EXPECT_EQ(bad(Json{{"meter_id", meterId}, {"amount_fen", "100"}}).code(), "invalid_field");
  EXPECT_EQ(bad(Json{{"meter_id", meterId}}).code(), "missing_field");
  EXPECT_EQ(bad(Json{{"meter_id", 999}, {"amount_fen", 100}}).code(), "unknown_meter");
  EXPECT_EQ(bad(Json{{"meter_id", meterId}, {"amount_fen", 600000}}).code(), "above_hoarding_cap");
  EXPECT_EQ(bad(Json{{"meter_id", meterId},
                     {"amount_fen", 100},
                     {"note", "'); DELETE FROM ledger_entries; --"}},
                "k-sql")
                .status,
            201);
  EXPECT_EQ(sqlInt("SELECT COUNT(*) FROM ledger_entries"), entries + 1);
  EXPECT_EQ(
      staff("POST", "/api/v1/sales", sale, Headers{{"Idempotency-Key", std::string(200, 'k')}})
          .code(),
      "invalid_parameter");

  const auto cashier = login("cashier", "cashier-password");
  EXPECT_EQ(staff("POST", "/api/v1/corrections", Json{{"entry_id", 1}},
                  Headers{{"Idempotency-Key", "c"}}, cashier)
                .code(),
            "forbidden");
  // Cashier keys are scoped: the same key as the admin's is a new sale.
  auto cashierSale = staff("POST", "/api/v1/sales", sale, key, cashier);
  EXPECT_EQ(cashierSale.status, 201);
  EXPECT_NE(cashierSale.json["receipt"]["entry_id"], first.json["receipt"]["entry_id"]);

  auto refund = staff("POST", "/api/v1/refunds", Json{{"meter_id", meterId}, {"amount_fen", 500}},
                      Headers{{"Idempotency-Key", "r-1"}});
  ASSERT_EQ(refund.status, 201) << refund.body;
  EXPECT_EQ(refund.json["receipt"]["amount_fen"], -500);
  EXPECT_EQ(
      staff("POST", "/api/v1/refunds", Json{{"meter_id", meterId}, {"amount_fen", 10'000'000}},
            Headers{{"Idempotency-Key", "r-2"}})
          .code(),
      "refund_above_balance");
  const auto saleEntry = first.json["receipt"]["entry_id"].get<std::int64_t>();
  auto correction = staff("POST", "/api/v1/corrections", Json{{"entry_id", saleEntry}},
                          Headers{{"Idempotency-Key", "c-1"}});
  ASSERT_EQ(correction.status, 201) << correction.body;
  EXPECT_EQ(correction.json["receipt"]["amount_fen"], -10000);
  EXPECT_EQ(correction.json["receipt"]["corrects_entry_id"], saleEntry);
  EXPECT_EQ(staff("POST", "/api/v1/corrections", Json{{"entry_id", saleEntry}},
                  Headers{{"Idempotency-Key", "c-2"}})
                .code(),
            "already_corrected");
  EXPECT_EQ(staff("POST", "/api/v1/corrections", Json{{"entry_id", 99999}},
                  Headers{{"Idempotency-Key", "c-3"}})
                .code(),
            "not_found");

  auto list = staff("GET", "/api/v1/sales?meter_id=" + std::to_string(meterId));
  EXPECT_EQ(list.json["sales"].size(), 5u);
  EXPECT_EQ(staff("GET", "/api/v1/sales?kind=refund").json["sales"].size(), 1u);
  EXPECT_EQ(staff("GET", "/api/v1/sales?kind=charge").code(), "invalid_parameter");
  EXPECT_EQ(staff("GET", "/api/v1/sales?from=yesterday").code(), "invalid_parameter");
  EXPECT_EQ(staff("GET", "/api/v1/receipts/" + std::to_string(saleEntry)).json["receipt_number"],
            "R" + std::to_string(saleEntry));
  EXPECT_TRUE(m_store->verifyLedger().value().ok());
}

// [SECTION] operations

TEST_F(ApiFixture, StatusListReadingsAlarmsAndBatchCommands) {
  const auto site = makeSite(3);
  openAccount("甲", site.meterIds[0]);
  openAccount("乙", site.meterIds[1]);
  ASSERT_EQ(
      staff("POST", "/api/v1/sales", Json{{"meter_id", site.meterIds[0]}, {"amount_fen", 100000}},
            Headers{{"Idempotency-Key", "s1"}})
          .status,
      201);
  ASSERT_EQ(
      staff("POST", "/api/v1/sales", Json{{"meter_id", site.meterIds[1]}, {"amount_fen", 1000}},
            Headers{{"Idempotency-Key", "s2"}})
          .status,
      201);
  auto reply = staff("GET", "/api/v1/meters/status");
  ASSERT_EQ(reply.status, 200);
  ASSERT_EQ(reply.json["meters"].size(), 3u);
  std::map<std::int64_t, std::string> colours;
  for (const auto& meter : reply.json["meters"]) {
    colours[meter["meter_id"].get<std::int64_t>()] = meter["colour"];
  }
  EXPECT_EQ(colours[site.meterIds[0]], "opened");
  EXPECT_EQ(colours[site.meterIds[1]], "alarm2");
  EXPECT_EQ(colours[site.meterIds[2]], "not_opened");
  EXPECT_EQ(reply.json["counts"]["opened"], 1);
  EXPECT_EQ(staff("GET", "/api/v1/meters/status?building_id=" + std::to_string(site.buildingId))
                .json["meters"]
                .size(),
            3u);
  EXPECT_EQ(staff("GET", "/api/v1/meters/status?floor_id=999").json["meters"].size(), 0u);
  EXPECT_EQ(staff("GET", "/api/v1/meters/status?floor_id=-1").code(), "invalid_parameter");

  store::Reading reading;
  reading.meterId = site.meterIds[0];
  reading.readAt =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()) -
      std::chrono::minutes(1);
  reading.energyTotalCentiKwh = 4242;
  ASSERT_TRUE(m_store->writeReadings({reading}));
  reply = staff("GET", "/api/v1/meters/" + std::to_string(site.meterIds[0]) + "/readings");
  ASSERT_EQ(reply.json["readings"].size(), 1u);
  EXPECT_EQ(reply.json["readings"][0]["energy_total_centi_kwh"], 4242);
  EXPECT_EQ(staff("GET", "/api/v1/meters/999/readings").code(), "unknown_meter");
  EXPECT_EQ(staff("GET", "/api/v1/meters/1/readings?limit=0").code(), "invalid_parameter");

  EXPECT_EQ(staff("GET", "/api/v1/alarms").status, 200);
  const auto history = staff("GET", "/api/v1/alarms?from=2024-01-01T00:00:00Z");
  EXPECT_EQ(history.status, 200) << history.body;

  reply = staff("POST", "/api/v1/commands",
                Json{{"kind", "trip"}, {"meter_ids", {site.meterIds[0], 999}}});
  ASSERT_EQ(reply.status, 202) << reply.body;
  EXPECT_EQ(reply.json["accepted"], 1);
  EXPECT_EQ(reply.json["results"][1]["error_code"], "unknown_meter");
  const auto batch = reply.json["batch_id"].get<std::string>();
  reply = staff("GET", "/api/v1/commands/batches/" + batch);
  ASSERT_EQ(reply.json["commands"].size(), 1u);
  EXPECT_EQ(reply.json["commands"][0]["state"], "queued");
  EXPECT_EQ(staff("GET", "/api/v1/commands/batches/nope").code(), "not_found");
  EXPECT_EQ(staff("POST", "/api/v1/commands", Json{{"kind", "explode"}, {"meter_ids", {1}}}).code(),
            "invalid_field");
  EXPECT_EQ(staff("POST", "/api/v1/commands", Json{{"kind", "trip"}, {"meter_ids", {1, 1}}}).code(),
            "invalid_field");
  const auto cashier = login("cashier", "cashier-password");
  EXPECT_EQ(
      staff("POST", "/api/v1/commands", Json{{"kind", "trip"}, {"meter_ids", {1}}}, {}, cashier)
          .code(),
      "forbidden");
  EXPECT_EQ(sqlInt("SELECT COUNT(*) FROM audit_log WHERE action = 'command.trip'"), 1);
  EXPECT_GE(sqlInt("SELECT COUNT(*) FROM audit_log WHERE outcome = 'forbidden'"), 1);
}

TEST_F(ApiFixture, ServicesMissingAnswerUnavailable) {
  HttpOptions options;
  options.passwordIterations = 1000;
  HttpServer bare(HttpServices{*m_store, nullptr, nullptr, {}, {}}, options);
  auto port = bare.start("127.0.0.1", 0, std::nullopt);
  ASSERT_TRUE(port);
  httplib::Client client("127.0.0.1", *port);
  const Headers headers{{"Authorization", "Bearer " + m_admin}, {"Idempotency-Key", "u1"}};
  auto result = client.Post("/api/v1/sales", headers, R"({"meter_id":1,"amount_fen":100})",
                            "application/json");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 503);
  EXPECT_EQ(Json::parse(result->body)["error"]["code"], "unavailable");
  result = client.Post("/api/v1/commands", headers, R"({"kind":"read_now","meter_ids":[1]})",
                       "application/json");
  EXPECT_EQ(result->status, 503);
  bare.stop();
}

// [SECTION] audit

TEST_F(ApiFixture, EveryStaffActionIsAuditedAndTamperingIsNamed) {
  const auto site = makeSite(1);
  openAccount("钱七", site.meterIds[0]);
  ASSERT_EQ(
      staff("POST", "/api/v1/sales", Json{{"meter_id", site.meterIds[0]}, {"amount_fen", 300}},
            Headers{{"Idempotency-Key", "a1"}})
          .status,
      201);
  auto reply = staff("GET", "/api/v1/audit?action=sale");
  ASSERT_EQ(reply.json["records"].size(), 1u);
  EXPECT_EQ(reply.json["records"][0]["actor"], "admin");
  EXPECT_EQ(reply.json["records"][0]["after"]["amount_fen"], 300);
  EXPECT_NE(reply.json["records"][0]["client"].get<std::string>().find("127.0.0.1"),
            std::string::npos);
  reply = staff("GET", "/api/v1/audit?action=settings.update");
  EXPECT_EQ(reply.json["records"].size(), 0u);
  staff("PATCH", "/api/v1/settings", Json{{"alarm1_fen", 7000}});
  reply = staff("GET", "/api/v1/audit?action=settings.update");
  ASSERT_EQ(reply.json["records"].size(), 1u);
  EXPECT_EQ(reply.json["records"][0]["before"]["alarm1_fen"], 5000);
  EXPECT_EQ(reply.json["records"][0]["after"]["alarm1_fen"], 7000);
  EXPECT_GE(staff("GET", "/api/v1/audit?action=login").json["records"].size(), 1u);
  EXPECT_EQ(staff("GET", "/api/v1/audit?limit=5000").code(), "invalid_parameter");

  reply = staff("GET", "/api/v1/audit/verify");
  ASSERT_EQ(reply.status, 200);
  EXPECT_TRUE(reply.json["ok"].get<bool>());
  const auto saleRecord = sqlInt("SELECT id FROM audit_log WHERE action = 'sale'");
  sqlExec(
      "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET after_json = "
      "'{\"amount_fen\":30000}' WHERE id = " +
      std::to_string(saleRecord));
  reply = staff("GET", "/api/v1/audit/verify");
  EXPECT_FALSE(reply.json["ok"].get<bool>());
  ASSERT_GE(reply.json["problems"].size(), 1u);
  EXPECT_EQ(reply.json["problems"][0]["audit_id"], saleRecord);
  const auto verification = verifyAuditChain(*m_store).value();
  ASSERT_EQ(verification.problems.size(), 1u);
  EXPECT_EQ(verification.problems[0].recordId, saleRecord);
}

TEST_F(ApiFixture, KiosksAreRegisteredByStaff) {
  auto reply = staff("POST", "/api/v1/kiosks", Json{{"name", "east-door"}});
  ASSERT_EQ(reply.status, 201);
  const auto key = reply.json["key"].get<std::string>();
  EXPECT_EQ(staff("GET", "/api/v1/kiosks").json["kiosks"].size(), 2u);
  EXPECT_EQ(staff("POST", "/api/v1/kiosks", Json{{"name", "east-door"}}).code(), "conflict");
  makeSite(1);
  auto lookup = call("POST", "/api/v1/kiosk/identify", Json{{"shop_number", "A101"}}.dump(),
                     Headers{{"X-Kiosk-Key", key}});
  EXPECT_EQ(lookup.code(), "unknown_account");  // authenticated: the shop simply has no account
}

}  // namespace
}  // namespace prepaid::backend::http::testing
