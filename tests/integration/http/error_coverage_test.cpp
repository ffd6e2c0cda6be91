// Every error code of backend/api's list is produced over HTTP (the payment codes by
// test-http-orders, see error_code_coverage.hpp), each with its documented status; and the
// meter status words and colours of the staff status list, for every status and colour.

#include <map>
#include <set>

#include "api_fixture.hpp"
#include "error_code_coverage.hpp"

namespace prepaid::backend::http::testing {
namespace {

using Headers = httplib::Headers;

class ErrorCoverage : public ApiFixture {
 protected:
  /// Checks `reply` carries `code` with the code's status, and records it as produced.
  void produced(const Reply& reply, const std::string& code) {
    EXPECT_EQ(reply.code(), code) << reply.body;
    const auto parsed = api::parseErrorCode(code);
    ASSERT_TRUE(parsed.has_value()) << code;
    EXPECT_EQ(reply.status, api::httpStatus(*parsed)) << code << ": " << reply.body;
    EXPECT_FALSE(reply.json["error"].value("message", "").empty()) << code;
    if (reply.code() == code) {
      m_seen.insert(code);
    }
  }

  Reply sale(std::int64_t meter, std::int64_t fen, const std::string& key) {
    return staff("POST", "/api/v1/sales", Json{{"meter_id", meter}, {"amount_fen", fen}},
                 Headers{{"Idempotency-Key", key}});
  }

  std::set<std::string> m_seen;
};

TEST_F(ErrorCoverage, EveryNonPaymentErrorCodeIsProducedOverHttp) {
  const auto site = makeSite(3);
  const auto m0 = site.meterIds[0];  // account with a PIN
  const auto m1 = site.meterIds[1];  // no account
  const auto m2 = site.meterIds[2];  // account, sales blocked later
  const auto account = openAccount("韩梅梅", m0, "1234");
  openAccount("李雷", m2);
  const Headers auth{{"Authorization", "Bearer " + m_admin}};
  const Headers keyed{{"Authorization", "Bearer " + m_admin}, {"Idempotency-Key", "raw-1"}};

  // Requests that are malformed.
  produced(call("POST", "/api/v1/sales", "{", keyed), "invalid_json");
  produced(sale(m0, 0, "k-zero"), "invalid_field");
  produced(staff("POST", "/api/v1/sales", Json::object(), Headers{{"Idempotency-Key", "k-empty"}}),
           "missing_field");
  produced(staff("GET", "/api/v1/meters/abc"), "invalid_parameter");
  produced(staff("POST", "/api/v1/sales", Json{{"meter_id", m0}, {"amount_fen", 100}}),
           "missing_idempotency_key");
  produced(call("POST", "/api/v1/meters/import",
                "serial,profile,unit_address,gateway\nX1,ddsy1352,abc,gw1\n", auth, "text/csv"),
           "invalid_csv");
  produced(call("POST", "/api/v1/sales", std::string(200 * 1024, ' '), keyed), "payload_too_large");
  produced(call("POST", "/api/v1/sales", R"({"meter_id":1,"amount_fen":1})", keyed, "text/plain"),
           "unsupported_media_type");
  produced(staff("DELETE", "/api/v1/health"), "method_not_allowed");

  // Who is asking.
  produced(call("GET", "/api/v1/meters"), "unauthenticated");
  produced(call("POST", "/api/v1/auth/login",
                Json{{"username", "admin"}, {"password", "not-the-password"}}.dump()),
           "invalid_credentials");
  const auto cashier = login("cashier", "cashier-password");
  produced(staff("GET", "/api/v1/roles", nullptr, {}, cashier), "forbidden");

  // What is asked for.
  produced(staff("GET", "/api/v1/receipts/99999"), "not_found");
  produced(staff("GET", "/api/v1/meters/99999"), "unknown_meter");
  produced(kiosk("POST", "/api/v1/kiosk/identify", Json{{"shop_number", "Z9"}}), "unknown_shop");
  produced(kiosk("POST", "/api/v1/kiosk/identify", Json{{"shop_number", "A102"}}),
           "unknown_account");
  produced(staff("GET", "/api/v1/tariffs/99999"), "unknown_tariff");
  produced(staff("POST", "/api/v1/tariffs",
                 Json{{"name", "overlap"}, {"definition", Json::parse(R"({"kind": "tou",
                        "prices_micro_yuan": {"flat": 700000},
                        "seasons": [{"first": "01-01", "last": "12-31",
                          "workday": [{"from": "00:00", "to": "12:00", "rate": "flat"},
                                      {"from": "11:00", "to": "24:00", "rate": "flat"}]}]})")}}),
           "invalid_tariff");
  produced(staff("POST", "/api/v1/meters",
                 Json{{"serial", "MA101"},
                      {"profile", "ddsy1352"},
                      {"unit_address", 99},
                      {"gateway_id", site.gatewayId}}),
           "conflict");

  // Money.
  ASSERT_EQ(sale(m0, 300000, "k-big").status, 201);
  produced(sale(m0, 300001, "k-big"), "idempotency_conflict");
  produced(sale(m0, 300000, "k-cap"), "above_hoarding_cap");
  produced(sale(m1, 100, "k-not-open"), "account_not_open");
  produced(staff("POST", "/api/v1/refunds", Json{{"meter_id", m0}, {"amount_fen", 400000}},
                 Headers{{"Idempotency-Key", "k-refund"}}),
           "refund_above_balance");
  const auto corrected = sale(m0, 1000, "k-small");
  ASSERT_EQ(corrected.status, 201) << corrected.body;
  const auto entryId = corrected.json["receipt"]["entry_id"].get<std::int64_t>();
  const auto correction = staff("POST", "/api/v1/corrections", Json{{"entry_id", entryId}},
                                Headers{{"Idempotency-Key", "k-corr-1"}});
  ASSERT_EQ(correction.status, 201) << correction.body;
  produced(staff("POST", "/api/v1/corrections", Json{{"entry_id", entryId}},
                 Headers{{"Idempotency-Key", "k-corr-2"}}),
           "already_corrected");
  produced(staff("POST", "/api/v1/corrections",
                 Json{{"entry_id", correction.json["receipt"]["entry_id"]}},
                 Headers{{"Idempotency-Key", "k-corr-3"}}),
           "invalid_state");
  sqlExec(
      "UPDATE meters SET sales_blocked = 1, sales_blocked_reason = 'count mismatch' WHERE id "
      "= " +
      std::to_string(m2));
  produced(sale(m2, 100, "k-blocked"), "sales_blocked");
  // A refund on a meter-side meter: the meter protocol has no way to take money back.
  const auto meterSide = staff("POST", "/api/v1/meters",
                               Json{{"serial", "MS1"},
                                    {"profile", "ddsy1352"},
                                    {"unit_address", 50},
                                    {"gateway_id", site.gatewayId},
                                    {"shop_id", site.shopIds[1]},
                                    {"billing_mode", "meter_side"}});
  ASSERT_EQ(meterSide.status, 201) << meterSide.body;
  openAccount("王五", meterSide.json["meter_id"].get<std::int64_t>());
  produced(staff("POST", "/api/v1/refunds",
                 Json{{"meter_id", meterSide.json["meter_id"]}, {"amount_fen", 100}},
                 Headers{{"Idempotency-Key", "k-ms-refund"}}),
           "not_supported");

  // Kiosk PINs.
  ASSERT_EQ(staff("PATCH", "/api/v1/settings", Json{{"pin_required", true}}).status, 200);
  produced(kiosk("GET", "/api/v1/kiosk/accounts/" + std::to_string(account)), "pin_required");
  produced(kiosk("POST", "/api/v1/kiosk/identify", Json{{"shop_number", "A101"}, {"pin", "9999"}}),
           "invalid_pin");

  // Services: payments not running here; a server without billing and collection.
  produced(call("POST", "/api/v1/kiosk/orders",
                Json{{"meter_id", m0}, {"amount_fen", 1000}, {"channel", "qr"}}.dump(),
                Headers{{"X-Kiosk-Key", m_kioskKey}, {"Idempotency-Key", "k-order"}}),
           "payments_unavailable");
  {
    HttpOptions options;
    options.passwordIterations = 1000;
    HttpServer bare(HttpServices{*m_store, nullptr, nullptr, {}, {}}, options);
    auto port = bare.start("127.0.0.1", 0, std::nullopt);
    ASSERT_TRUE(port);
    httplib::Client client("127.0.0.1", *port);
    auto result = client.Post("/api/v1/sales", keyed, R"({"meter_id":1,"amount_fen":100})",
                              "application/json");
    ASSERT_TRUE(result);
    Reply reply{result->status, Json::parse(result->body, nullptr, false), result->body, {}};
    produced(reply, "unavailable");
    bare.stop();
  }

  // The database held by another writer past the store's busy timeout (5 s): busy, not a 500.
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((m_dir / "site.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
    produced(sale(m0, 100, "k-busy"), "busy");
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  // After it, the same request goes through.
  EXPECT_EQ(sale(m0, 100, "k-busy").status, 201);

  // Sessions and locks (they move the clock: last).
  m_clockOffsetS = 31 * 60;
  produced(staff("GET", "/api/v1/auth/me", nullptr, {}, cashier), "session_expired");
  for (int i = 0; i < 10; ++i) {
    (void)call("POST", "/api/v1/auth/login",
               Json{{"username", "cashier"}, {"password", "wrong-password"}}.dump());
  }
  produced(call("POST", "/api/v1/auth/login",
                Json{{"username", "cashier"}, {"password", "cashier-password"}}.dump()),
           "account_locked");

  // A database that lost a table: 500 internal, and nothing about SQL reaches the client.
  m_admin = login("admin", "admin-password");
  sqlExec("ALTER TABLE alarms RENAME TO alarms_gone");
  const auto broken = staff("GET", "/api/v1/alarms");
  produced(broken, "internal");
  EXPECT_EQ(broken.body.find("alarms"), std::string::npos) << broken.body;
  EXPECT_EQ(broken.body.find("SQL"), std::string::npos) << broken.body;

  // The list: every code but the payment ones (produced by test-http-orders).
  auto expected = allErrorCodeNames();
  for (const auto& code : PaymentErrorCodes) {
    EXPECT_TRUE(expected.contains(code)) << code << " is not in backend/api's list";
    expected.erase(code);
  }
  for (const auto& code : expected) {
    EXPECT_TRUE(m_seen.contains(code)) << "no test produced " << code;
  }
  EXPECT_EQ(m_seen, expected);
}

TEST_F(ErrorCoverage, StatusWordsAndColoursOfEveryStatus) {
  const auto site = makeSite(8);
  const auto& m = site.meterIds;
  // alarm1 below 50.00 yuan, alarm2 below 20.00 (site defaults).
  const std::vector<std::int64_t> balances = {20000, 4000, 1000, 0, 20000, 20000, 20000};
  for (std::size_t i = 0; i < balances.size(); ++i) {
    openAccount("户" + std::to_string(i), m[i]);
    if (balances[i] > 0) {
      ASSERT_EQ(sale(m[i], balances[i], "k-status-" + std::to_string(i)).status, 201);
    }
  }
  // m[4] tripped (its relay reads open), m[5] lost contact, m[6] keep power; m[7] not opened.
  store::Reading open;
  open.meterId = m[4];
  open.readAt = m_clock() - std::chrono::minutes(1);
  open.energyTotalCentiKwh = 100;
  open.relay = domain::RelayState::Open;
  ASSERT_TRUE(m_store->writeReadings(std::vector<store::Reading>{open}));
  sqlExec("UPDATE meters SET link_state = 'lost' WHERE id = " + std::to_string(m[5]));
  sqlExec("UPDATE meters SET keep_power = 1 WHERE id = " + std::to_string(m[6]));

  const auto reply = staff("GET", "/api/v1/meters/status");
  ASSERT_EQ(reply.status, 200) << reply.body;
  struct Expected {
    std::string status;
    std::string colour;
    std::string hex;
  };
  const std::vector<Expected> expected = {
      {"normal", "opened", "#2e7d32"},     {"alarm1", "alarm1", "#f9a825"},
      {"alarm2", "alarm2", "#ef6c00"},     {"arrears", "arrears", "#c62828"},
      {"tripped", "opened", "#2e7d32"},    {"lost_contact", "lost_contact", "#6a1b9a"},
      {"keep_power", "opened", "#2e7d32"}, {"", "not_opened", "#9e9e9e"},
  };
  std::map<std::int64_t, Json> byMeter;
  for (const auto& item : reply.json["meters"]) {
    byMeter[item["meter_id"].get<std::int64_t>()] = item;
  }
  std::set<std::string> statuses;
  std::set<std::string> colours;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    ASSERT_TRUE(byMeter.contains(m[i])) << i;
    const auto& item = byMeter[m[i]];
    if (i < 7) {  // a not-opened meter's status word is not asserted (no account, no balance)
      EXPECT_EQ(item["status"], expected[i].status) << i << " " << item.dump();
    }
    EXPECT_EQ(item["colour"], expected[i].colour) << i << " " << item.dump();
    EXPECT_EQ(item["colour_hex"], expected[i].hex) << i << " " << item.dump();
    statuses.insert(item["status"].get<std::string>());
    colours.insert(item["colour"].get<std::string>());
  }
  // Every status word and every colour appeared.
  EXPECT_EQ(statuses, (std::set<std::string>{"normal", "alarm1", "alarm2", "arrears", "tripped",
                                             "lost_contact", "keep_power"}));
  EXPECT_EQ(colours, (std::set<std::string>{"opened", "alarm1", "alarm2", "arrears", "not_opened",
                                            "lost_contact"}));
}

}  // namespace
}  // namespace prepaid::backend::http::testing
