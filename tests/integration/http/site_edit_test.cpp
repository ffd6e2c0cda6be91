// Site configuration edits over HTTP: PATCH a shop (rename, move to another floor), a gateway
// (rename, timings, disable) and a meter (rename, move on the buses, change profile, leave its
// shop), each validated field by field with nothing changed on a refusal, and audited with the
// record before and after.

#include "api_fixture.hpp"

namespace prepaid::backend::http::testing {
namespace {

class SiteEdit : public ApiFixture {
 protected:
  SiteEdit() { m_meterProfiles = {"ddsy1352", "dtsy1352"}; }

  /// The newest audit record of an action.
  Json lastAudit(const std::string& action) {
    const auto reply = staff("GET", "/api/v1/audit?action=" + action);
    EXPECT_EQ(reply.status, 200) << reply.body;
    const auto& records = reply.json["records"];
    if (!records.is_array() || records.empty()) {
      ADD_FAILURE() << "no audit record " << action;
      return Json::object();
    }
    // Newest first or last: take the one with the highest id.
    Json newest = records[0];
    for (const auto& record : records) {
      if (record["audit_id"].get<std::int64_t>() > newest["audit_id"].get<std::int64_t>()) {
        newest = record;
      }
    }
    return newest;
  }
};

TEST_F(SiteEdit, ShopsAreRenamedAndMovedToAnotherFloor) {
  const auto site = makeSite(2);
  const auto floor2 =
      staff("POST", "/api/v1/buildings/" + std::to_string(site.buildingId) + "/floors",
            Json{{"name", "2F"}, {"ordinal", 2}})
          .json["floor_id"]
          .get<std::int64_t>();
  const auto path = "/api/v1/shops/" + std::to_string(site.shopIds[0]);
  auto reply =
      staff("PATCH", path, Json{{"number", "B201"}, {"floor_id", floor2}, {"head_count", 3}});
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.json["number"], "B201");
  EXPECT_EQ(reply.json["floor_id"], floor2);
  EXPECT_EQ(reply.json["head_count"], 3);
  EXPECT_EQ(sqlText("SELECT number FROM shops WHERE id = " + std::to_string(site.shopIds[0])),
            "B201");
  const auto audit = lastAudit("shop.update");
  EXPECT_EQ(audit["before"]["number"], "A101");
  EXPECT_EQ(audit["after"]["number"], "B201");
  EXPECT_EQ(audit["before"]["floor_id"], site.floorId);
  EXPECT_EQ(audit["after"]["floor_id"], floor2);

  // Refusals change nothing.
  EXPECT_EQ(staff("PATCH", path, Json{{"number", "A102"}}).code(), "conflict");
  EXPECT_EQ(staff("PATCH", path, Json{{"floor_id", 9999}}).code(), "invalid_field");
  EXPECT_EQ(staff("PATCH", path, Json{{"number", 5}}).code(), "invalid_field");
  EXPECT_EQ(staff("PATCH", path, Json{{"area", 5}}).code(), "invalid_field");
  EXPECT_EQ(staff("PATCH", "/api/v1/shops/9999", Json{{"number", "Z"}}).code(), "not_found");
  EXPECT_EQ(sqlText("SELECT number FROM shops WHERE id = " + std::to_string(site.shopIds[0])),
            "B201");
  EXPECT_EQ(sqlInt("SELECT floor_id FROM shops WHERE id = " + std::to_string(site.shopIds[0])),
            floor2);
  const auto cashier = login("cashier", "cashier-password");
  EXPECT_EQ(staff("PATCH", path, Json{{"number", "C1"}}, {}, cashier).code(), "forbidden");
}

TEST_F(SiteEdit, GatewaysAreRenamedRetimedAndDisabled) {
  const auto site = makeSite(1);
  const auto other = staff("POST", "/api/v1/gateways",
                           Json{{"name", "gw2"}, {"transport_uri", "tcp://127.0.0.1:1503"}});
  ASSERT_EQ(other.status, 201);
  const auto path = "/api/v1/gateways/" + std::to_string(site.gatewayId);
  auto reply = staff("PATCH", path,
                     Json{{"name", "north-bus"},
                          {"transport_uri", "tcp://10.0.0.9:502"},
                          {"response_timeout_ms", 800},
                          {"enabled", false}});
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.json["name"], "north-bus");
  EXPECT_EQ(reply.json["response_timeout_ms"], 800);
  EXPECT_EQ(reply.json["retries"], 2);  // unchanged
  EXPECT_EQ(reply.json["enabled"], false);
  const auto audit = lastAudit("gateway.update");
  EXPECT_EQ(audit["before"]["name"], "gw1");
  EXPECT_EQ(audit["after"]["transport_uri"], "tcp://10.0.0.9:502");

  EXPECT_EQ(staff("PATCH", path, Json{{"name", "gw2"}}).code(), "conflict");
  EXPECT_EQ(staff("PATCH", path, Json{{"retries", 99}}).code(), "invalid_field");
  EXPECT_EQ(staff("PATCH", path, Json{{"enabled", "no"}}).code(), "invalid_field");
  EXPECT_EQ(staff("PATCH", "/api/v1/gateways/9999", Json{{"name", "x"}}).code(), "not_found");
  EXPECT_EQ(sqlText("SELECT name FROM gateways WHERE id = " + std::to_string(site.gatewayId)),
            "north-bus");
}

TEST_F(SiteEdit, MetersAreRenamedMovedAndReprofiledWithChecks) {
  const auto site = makeSite(2);
  const auto gw2 = staff("POST", "/api/v1/gateways",
                         Json{{"name", "gw2"}, {"transport_uri", "tcp://127.0.0.1:1503"}})
                       .json["gateway_id"]
                       .get<std::int64_t>();
  const auto meter = site.meterIds[0];
  const auto path = "/api/v1/meters/" + std::to_string(meter);
  auto reply = staff("PATCH", path,
                     Json{{"serial", "MA101-R"},
                          {"gateway_id", gw2},
                          {"unit_address", 7},
                          {"profile", "dtsy1352"},
                          {"alarm1_fen", 6000},
                          {"alarm2_fen", 3000}});
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.json["serial"], "MA101-R");
  EXPECT_EQ(reply.json["gateway_id"], gw2);
  EXPECT_EQ(reply.json["unit_address"], 7);
  EXPECT_EQ(reply.json["profile"], "dtsy1352");
  EXPECT_EQ(reply.json["shop_id"], site.shopIds[0]);  // unchanged
  auto audit = lastAudit("meter.update");
  EXPECT_EQ(audit["before"]["serial"], "MA101");
  EXPECT_EQ(audit["before"]["gateway_id"], site.gatewayId);
  EXPECT_EQ(audit["after"]["serial"], "MA101-R");
  EXPECT_EQ(audit["after"]["unit_address"], 7);
  EXPECT_EQ(staff("GET", path).json["serial"], "MA101-R");

  // The meter leaves its shop.
  reply = staff("PATCH", path, Json{{"shop_id", nullptr}});
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_TRUE(reply.json["shop_id"].is_null());

  // Refusals: each leaves the meter as it is.
  const auto records = sqlInt("SELECT COUNT(*) FROM audit_log WHERE action = 'meter.update'");
  const auto refused = [&](const Json& body, const std::string& code) {
    const auto answer = staff("PATCH", path, body);
    EXPECT_EQ(answer.code(), code) << body.dump() << " -> " << answer.body;
  };
  refused(Json{{"profile", "no-such-model"}}, "invalid_field");
  refused(Json{{"serial", "MA102"}}, "conflict");  // taken
  refused(Json{{"gateway_id", site.gatewayId}, {"unit_address", 2}},
          "conflict");  // MA102's address
  refused(Json{{"gateway_id", 9999}}, "invalid_field");
  refused(Json{{"shop_id", 9999}}, "invalid_field");
  refused(Json{{"tariff_id", 9999}}, "invalid_field");
  refused(Json{{"unit_address", 0}}, "invalid_field");
  refused(Json{{"unit_address", 7.5}}, "invalid_field");
  refused(Json{{"alarm2_fen", 7000}}, "invalid_field");  // not below alarm1 (6000)
  refused(Json{{"billing_mode", "meter_side"}}, "invalid_field");
  refused(Json{{"serial", ""}}, "invalid_field");
  EXPECT_EQ(staff("PATCH", "/api/v1/meters/9999", Json{{"serial", "x"}}).code(), "unknown_meter");
  reply = staff("GET", path);
  EXPECT_EQ(reply.json["serial"], "MA101-R");
  EXPECT_EQ(reply.json["gateway_id"], gw2);
  EXPECT_EQ(reply.json["unit_address"], 7);
  EXPECT_EQ(reply.json["profile"], "dtsy1352");
  EXPECT_EQ(reply.json["alarm2_fen"], 3000);
  // Refused edits are audited as refused, never as updates.
  EXPECT_EQ(sqlInt("SELECT COUNT(*) FROM audit_log WHERE action = 'meter.update'"), records);

  // A new meter is held to the same profile list.
  EXPECT_EQ(staff("POST", "/api/v1/meters",
                  Json{{"serial", "N1"},
                       {"profile", "no-such-model"},
                       {"unit_address", 40},
                       {"gateway_id", site.gatewayId}})
                .code(),
            "invalid_field");
}

}  // namespace
}  // namespace prepaid::backend::http::testing
