// POST /api/v1/audit/events: staff actions reported by a client (the kiosk's maintenance mode),
// exercised with the kiosk's own libcurl client so the route matches what the kiosk sends.

#include "api_fixture.hpp"

#include "prepaid/client/curl_api_client.hpp"

namespace prepaid::backend::http::testing {
namespace {

class AuditEventsTest : public ApiFixture {
 protected:
  kiosk::CurlApiClient kioskClient(const std::string& kioskKey) {
    kiosk::CurlApiClient::globalInit();
    kiosk::ClientConfig config;
    config.baseUrl = "http://127.0.0.1:" + std::to_string(m_port);
    config.kioskKey = kioskKey;
    return kiosk::CurlApiClient(config);
  }
  std::int64_t records() { return sqlInt("SELECT COUNT(*) FROM audit_log"); }
};

TEST_F(AuditEventsTest, TheKioskClientsEventsAreChainedWithWhoWhatWhenAndWhere) {
  auto client = kioskClient(m_kioskKey);
  const auto session = client.staffLogin("admin", "admin-password");
  ASSERT_TRUE(session) << session.error().message;
  const auto sent = client.audit(session->token, "kiosk.printer.test", "EscPosPrinter file:/tmp/x");
  ASSERT_TRUE(sent) << sent.error().message;
  ASSERT_TRUE(client.audit(session->token, "kiosk.settings.save",
                           "backend_url=http://10.0.0.2:8080 idle_timeout_s=60 language=zh-CN"));

  const auto reply = staff("GET", "/api/v1/audit?actor=admin&action=client.kiosk.printer.test");
  ASSERT_EQ(reply.status, 200);
  ASSERT_EQ(reply.json["records"].size(), 1u);
  const auto& record = reply.json["records"][0];
  EXPECT_EQ(record["actor"], "admin");
  EXPECT_EQ(record["target"], "kiosk:lobby");
  EXPECT_EQ(record["outcome"], "ok");
  EXPECT_EQ(record["after"]["detail"], "EscPosPrinter file:/tmp/x");
  EXPECT_EQ(record["after"]["kiosk"], "lobby");
  EXPECT_EQ(record["after"]["reported_by"], "client");
  EXPECT_EQ(record["client"].get<std::string>().rfind("127.0.0.1:", 0), 0u);
  EXPECT_FALSE(record["at"].get<std::string>().empty());
  // Part of the hash chain: the verifier recomputes it.
  const auto verify = staff("GET", "/api/v1/audit/verify");
  EXPECT_EQ(verify.json["ok"], true) << verify.body;
}

TEST_F(AuditEventsTest, TheRouteAnswersWithTheRecordAndNamesAnUnknownKiosk) {
  auto reply = staff("POST", "/api/v1/audit/events",
                     Json{{"action", "kiosk.maintenance.enter"}, {"detail", "staff opened"}},
                     {{"X-Kiosk-Key", m_kioskKey}});
  ASSERT_EQ(reply.status, 201) << reply.body;
  EXPECT_GT(reply.json["audit_id"].get<std::int64_t>(), 0);
  EXPECT_EQ(reply.json["action"], "client.kiosk.maintenance.enter");
  EXPECT_EQ(reply.json["target"], "kiosk:lobby");

  // From an office console (no kiosk key), and with a key the backend does not know.
  reply = staff("POST", "/api/v1/audit/events",
                Json{{"action", "console.report.export"}, {"detail", ""}});
  ASSERT_EQ(reply.status, 201) << reply.body;
  EXPECT_EQ(reply.json["target"], "client");
  reply =
      staff("POST", "/api/v1/audit/events", Json{{"action", "kiosk.app.quit"}, {"detail", "left"}},
            {{"X-Kiosk-Key", "pk_not_a_key"}});
  ASSERT_EQ(reply.status, 201) << reply.body;
  EXPECT_EQ(reply.json["target"], "kiosk:unknown-key");
}

TEST_F(AuditEventsTest, BadEventsAreRefusedAndNothingIsAppended) {
  const auto okBefore = sqlInt("SELECT COUNT(*) FROM audit_log WHERE outcome = 'ok'");
  struct Case {
    std::string what;
    std::string body;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"server action name", R"({"action": "sale", "detail": "x"})", "invalid_field"},
      {"server action in a namespace", R"({"action": "login.ok", "detail": "x"})", "invalid_field"},
      {"already prefixed", R"({"action": "client.kiosk.x", "detail": "x"})", "invalid_field"},
      {"upper case", R"({"action": "kiosk.Printer", "detail": "x"})", "invalid_field"},
      {"double dot", R"({"action": "kiosk..x", "detail": "x"})", "invalid_field"},
      {"trailing dot", R"({"action": "kiosk.x.", "detail": "x"})", "invalid_field"},
      {"no event after the client", R"({"action": "kiosk", "detail": "x"})", "invalid_field"},
      {"too long action", R"({"action": "kiosk.)" + std::string(80, 'a') + R"(", "detail": "x"})",
       "invalid_field"},
      {"action not a string", R"({"action": 5, "detail": "x"})", "invalid_field"},
      {"no action", R"({"detail": "x"})", "missing_field"},
      {"no detail", R"({"action": "kiosk.x"})", "missing_field"},
      {"detail too long", R"({"action": "kiosk.x", "detail": ")" + std::string(1001, 'd') + R"("})",
       "invalid_field"},
      {"control character", R"({"action": "kiosk.x", "detail": "a\u0007b"})", "invalid_field"},
      {"unknown field", R"({"action": "kiosk.x", "detail": "x", "actor": "root"})",
       "invalid_field"},
      {"not JSON", "action=kiosk.x", "invalid_json"},
      {"an array", R"(["kiosk.x"])", "invalid_json"},
  };
  for (const auto& c : cases) {
    const auto reply =
        call("POST", "/api/v1/audit/events", c.body, {{"Authorization", "Bearer " + m_admin}});
    EXPECT_EQ(reply.status, 400) << c.what;
    EXPECT_EQ(reply.code(), c.code) << c.what << ": " << reply.body;
  }
  // Refusals after authentication leave a record of the refusal (the normal staff rule), never
  // an event record.
  EXPECT_EQ(sqlInt("SELECT COUNT(*) FROM audit_log WHERE outcome = 'ok'"), okBefore);
  EXPECT_EQ(sqlInt("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'client.%'"), 0);

  // A staff session is required: no token, a kiosk key alone, a bogus token.
  const auto count = records();
  Json body{{"action", "kiosk.x"}, {"detail", "x"}};
  EXPECT_EQ(call("POST", "/api/v1/audit/events", body.dump()).code(), "unauthenticated");
  EXPECT_EQ(kiosk("POST", "/api/v1/audit/events", body).code(), "unauthenticated");
  EXPECT_EQ(call("POST", "/api/v1/audit/events", body.dump(),
                 {{"Authorization", "Bearer " + std::string(64, '0')}})
                .code(),
            "unauthenticated");
  EXPECT_EQ(records(), count);
  // A body above the JSON limit is refused before it is read.
  EXPECT_EQ(staff("POST", "/api/v1/audit/events",
                  Json{{"action", "kiosk.x"}, {"detail", std::string(70 * 1024, 'x')}})
                .status,
            413);
  // Any logged-in operator may report their own actions (the cashier has no audit.read).
  const auto cashier = login("cashier", "cashier-password");
  EXPECT_EQ(staff("POST", "/api/v1/audit/events", body, {}, cashier).status, 201);
}

}  // namespace
}  // namespace prepaid::backend::http::testing
