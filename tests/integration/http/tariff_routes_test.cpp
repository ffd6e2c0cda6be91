// Staff tariff routes (list, read, create, price change) and tariff assignment + price dispatch
// through the batch command, against a real server and SQLite store.

#include "api_fixture.hpp"

#include "prepaid/api/time_format.hpp"

namespace prepaid::backend::http::testing {
namespace {

using Headers = httplib::Headers;

Json flatDefinition(std::int64_t priceMicroYuan) {
  return Json{{"kind", "flat"}, {"prices_micro_yuan", {{"flat", priceMicroYuan}}}};
}

Json touDefinition() {
  return Json::parse(R"({
    "kind": "tou",
    "prices_micro_yuan": {"sharp": 1500000, "peak": 1200000, "flat": 800000, "valley": 400000},
    "seasons": [
      {"first": "05-01", "last": "10-31",
       "workday": [{"from": "00:00", "to": "08:00", "rate": "valley"},
                   {"from": "08:00", "to": "10:00", "rate": "flat"},
                   {"from": "10:00", "to": "12:00", "rate": "sharp"},
                   {"from": "12:00", "to": "22:00", "rate": "peak"},
                   {"from": "22:00", "to": "24:00", "rate": "valley"}],
       "weekend": [{"from": "00:00", "to": "24:00", "rate": "flat"}]},
      {"first": "11-01", "last": "04-30",
       "workday": [{"from": "00:00", "to": "08:00", "rate": "valley"},
                   {"from": "08:00", "to": "24:00", "rate": "peak"}]}
    ],
    "holidays": ["2026-10-01", "2026-10-02"],
    "workdays": ["2026-09-27"],
    "tiering": {"basis": "monthly", "pricing": "surcharge",
                "tiers": [{"from_centi_kwh": 0, "price_micro_yuan": 0},
                          {"from_centi_kwh": 20000, "price_micro_yuan": 50000}]}
  })");
}

class TariffRoutesTest : public ApiFixture {
 protected:
  std::string inHours(int hours) {
    return api::formatRfc3339(m_clock() + std::chrono::hours(hours), domain::SiteTimeZone{});
  }
  std::int64_t tariffRows() { return sqlInt("SELECT COUNT(*) FROM tariffs"); }
  std::int64_t versionRows() { return sqlInt("SELECT COUNT(*) FROM tariff_versions"); }
};

TEST_F(TariffRoutesTest, CreateListAndReadFlatAndTimeOfUseTariffs) {
  auto reply = staff("POST", "/api/v1/tariffs",
                     Json{{"name", "商铺平价"}, {"definition", flatDefinition(850000)}});
  ASSERT_EQ(reply.status, 201) << reply.body;
  const auto flatId = reply.json["tariff_id"].get<std::int64_t>();
  EXPECT_EQ(reply.json["name"], "商铺平价");
  ASSERT_EQ(reply.json["versions"].size(), 1u);
  EXPECT_EQ(reply.json["versions"][0]["in_force"], true);
  EXPECT_EQ(reply.json["versions"][0]["definition"], flatDefinition(850000));
  EXPECT_EQ(reply.json["current_version_id"], reply.json["versions"][0]["version_id"]);
  EXPECT_EQ(reply.json["meter_count"], 0);

  reply = staff("POST", "/api/v1/tariffs",
                Json{{"name", "TOU commercial"}, {"definition", touDefinition()}});
  ASSERT_EQ(reply.status, 201) << reply.body;
  const auto touId = reply.json["tariff_id"].get<std::int64_t>();
  // What comes back is what was sent (canonical form: the request was already canonical).
  EXPECT_EQ(reply.json["versions"][0]["definition"], touDefinition());

  reply = staff("GET", "/api/v1/tariffs");
  ASSERT_EQ(reply.status, 200);
  ASSERT_EQ(reply.json["tariffs"].size(), 2u);
  reply = staff("GET", "/api/v1/tariffs/" + std::to_string(touId));
  ASSERT_EQ(reply.status, 200);
  EXPECT_EQ(reply.json["name"], "TOU commercial");
  EXPECT_EQ(reply.json["versions"][0]["definition"]["tiering"]["tiers"][1]["price_micro_yuan"],
            50000);

  // Stored in the domain's text form, one version per tariff.
  EXPECT_EQ(versionRows(), 2);
  EXPECT_NE(
      sqlText("SELECT definition FROM tariff_versions WHERE tariff_id = " + std::to_string(flatId))
          .find("price flat 850000"),
      std::string::npos);

  // Audited with the new state.
  reply = staff("GET", "/api/v1/audit?action=tariff.create");
  ASSERT_EQ(reply.json["records"].size(), 2u);
  EXPECT_EQ(reply.json["records"][0]["target"], "tariff:" + std::to_string(touId));
  EXPECT_EQ(reply.json["records"][0]["after"]["name"], "TOU commercial");
  EXPECT_TRUE(reply.json["records"][0]["before"].is_null());

  // A cashier may read tariffs (accounts.read) but not create them.
  const auto cashier = login("cashier", "cashier-password");
  EXPECT_EQ(staff("GET", "/api/v1/tariffs", nullptr, {}, cashier).status, 200);
  reply = staff("POST", "/api/v1/tariffs",
                Json{{"name", "cheap"}, {"definition", flatDefinition(1)}}, {}, cashier);
  EXPECT_EQ(reply.status, 403);
  EXPECT_EQ(reply.code(), "forbidden");
  EXPECT_EQ(call("GET", "/api/v1/tariffs").code(), "unauthenticated");
  EXPECT_EQ(tariffRows(), 2);
}

TEST_F(TariffRoutesTest, BadTariffsAreRefusedFieldByFieldAndChangeNothing) {
  ASSERT_EQ(
      staff("POST", "/api/v1/tariffs", Json{{"name", "taken"}, {"definition", flatDefinition(1)}})
          .status,
      201);
  const auto auditBefore = sqlInt("SELECT COUNT(*) FROM audit_log WHERE outcome = 'ok'");

  auto overlapping = touDefinition();
  overlapping["seasons"][0]["workday"][1]["from"] = "07:00";
  auto gapped = touDefinition();
  gapped["seasons"][0]["workday"][1]["to"] = "09:30";
  auto seasonsOverlap = touDefinition();
  seasonsOverlap["seasons"][1]["first"] = "10-01";
  auto unpricedRate = touDefinition();
  unpricedRate["prices_micro_yuan"].erase("sharp");
  auto stepWithTou = touDefinition();
  stepWithTou["tiering"]["pricing"] = "step_price";
  auto tiersDown = touDefinition();
  tiersDown["tiering"]["tiers"][1]["from_centi_kwh"] = 0;

  struct Case {
    std::string what;
    Json body;
    std::string code;
    std::string rule;  // details.rule for invalid_tariff
  };
  const std::vector<Case> cases = {
      {"name of the wrong type", Json{{"name", 5}, {"definition", flatDefinition(1)}},
       "invalid_field", ""},
      {"no definition", Json{{"name", "x"}}, "missing_field", ""},
      {"no name", Json{{"definition", flatDefinition(1)}}, "missing_field", ""},
      {"empty name", Json{{"name", ""}, {"definition", flatDefinition(1)}}, "invalid_field", ""},
      {"fractional price",
       Json{{"name", "x"},
            {"definition", {{"kind", "flat"}, {"prices_micro_yuan", {{"flat", 800000.5}}}}}},
       "invalid_field", ""},
      {"integral float price",
       Json{{"name", "x"},
            {"definition", {{"kind", "flat"}, {"prices_micro_yuan", {{"flat", 800000.0}}}}}},
       "invalid_field", ""},
      {"price as a string",
       Json{{"name", "x"},
            {"definition", {{"kind", "flat"}, {"prices_micro_yuan", {{"flat", "800000"}}}}}},
       "invalid_field", ""},
      {"negative price", Json{{"name", "x"}, {"definition", flatDefinition(-1)}}, "invalid_field",
       ""},
      {"unknown rate",
       Json{{"name", "x"},
            {"definition", {{"kind", "flat"}, {"prices_micro_yuan", {{"noon", 1}}}}}},
       "invalid_field", ""},
      {"unknown kind", Json{{"name", "x"}, {"definition", {{"kind", "tiered"}}}}, "invalid_field",
       ""},
      {"definition not an object", Json{{"name", "x"}, {"definition", "price flat 1"}},
       "invalid_field", ""},
      {"unknown field", Json{{"name", "x"}, {"definition", flatDefinition(1)}, {"prise", 1}},
       "invalid_field", ""},
      {"bad time",
       [] {
         auto body = Json{{"name", "x"}, {"definition", touDefinition()}};
         body["definition"]["seasons"][0]["workday"][0]["to"] = "25:00";
         return body;
       }(),
       "invalid_field", ""},
      {"bad season date",
       [] {
         auto body = Json{{"name", "x"}, {"definition", touDefinition()}};
         body["definition"]["seasons"][0]["first"] = "02-30";
         return body;
       }(),
       "invalid_field", ""},
      {"past effective_from",
       Json{{"name", "x"},
            {"definition", flatDefinition(1)},
            {"effective_from", "2020-01-01T00:00:00+08:00"}},
       "invalid_field", ""},
      {"malformed effective_from",
       Json{{"name", "x"}, {"definition", flatDefinition(1)}, {"effective_from", "tomorrow"}},
       "invalid_field", ""},
      {"overlapping periods", Json{{"name", "x"}, {"definition", overlapping}}, "invalid_tariff",
       "overlapping_periods"},
      {"gap between periods", Json{{"name", "x"}, {"definition", gapped}}, "invalid_tariff",
       "gapped_periods"},
      {"overlapping seasons", Json{{"name", "x"}, {"definition", seasonsOverlap}}, "invalid_tariff",
       "overlapping_seasons"},
      {"rate without price", Json{{"name", "x"}, {"definition", unpricedRate}}, "invalid_tariff",
       "rate_without_price"},
      {"step prices with TOU", Json{{"name", "x"}, {"definition", stepWithTou}}, "invalid_tariff",
       "invalid_tiers"},
      {"tiers not increasing", Json{{"name", "x"}, {"definition", tiersDown}}, "invalid_tariff",
       "tiers_not_increasing"},
      {"flat tariff with seasons",
       Json{{"name", "x"},
            {"definition",
             {{"kind", "flat"},
              {"prices_micro_yuan", {{"flat", 1}}},
              {"seasons", touDefinition()["seasons"]}}}},
       "invalid_tariff", "invalid_season"},
      {"name taken", Json{{"name", "taken"}, {"definition", flatDefinition(2)}}, "conflict", ""},
  };
  for (const auto& c : cases) {
    const auto reply = staff("POST", "/api/v1/tariffs", c.body);
    EXPECT_GE(reply.status, 400) << c.what;
    EXPECT_LT(reply.status, 500) << c.what;
    EXPECT_EQ(reply.code(), c.code) << c.what << ": " << reply.body;
    EXPECT_FALSE(reply.json["error"]["message"].get<std::string>().empty()) << c.what;
    if (!c.rule.empty()) {
      EXPECT_EQ(reply.json["error"]["details"]["rule"], c.rule) << c.what;
    }
  }
  EXPECT_EQ(staff("POST", "/api/v1/tariffs", nullptr).code(), "invalid_json");
  EXPECT_EQ(tariffRows(), 1);
  EXPECT_EQ(versionRows(), 1);
  EXPECT_EQ(sqlInt("SELECT COUNT(*) FROM audit_log WHERE outcome = 'ok'"), auditBefore);
  // Refusals are audited with their code.
  EXPECT_GE(sqlInt("SELECT COUNT(*) FROM audit_log WHERE outcome = 'invalid_tariff'"), 6);

  // SQL metacharacters are data.
  const std::string sneaky = "x'); DROP TABLE tariffs; --";
  const auto reply =
      staff("POST", "/api/v1/tariffs", Json{{"name", sneaky}, {"definition", flatDefinition(3)}});
  ASSERT_EQ(reply.status, 201) << reply.body;
  EXPECT_EQ(staff("GET", "/api/v1/tariffs/" + std::to_string(reply.json["tariff_id"].get<int>()))
                .json["name"],
            sneaky);
}

TEST_F(TariffRoutesTest, APriceChangeAddsAVersionAndNeverRewritesHistory) {
  auto reply = staff("POST", "/api/v1/tariffs",
                     Json{{"name", "flat"}, {"definition", flatDefinition(800000)}});
  ASSERT_EQ(reply.status, 201);
  const auto id = std::to_string(reply.json["tariff_id"].get<std::int64_t>());
  const auto firstVersion = reply.json["versions"][0];
  const auto storedBefore = sqlText("SELECT definition FROM tariff_versions");

  reply = staff("POST", "/api/v1/tariffs/" + id + "/versions",
                Json{{"effective_from", inHours(24)}, {"definition", flatDefinition(900000)}});
  ASSERT_EQ(reply.status, 201) << reply.body;
  ASSERT_EQ(reply.json["versions"].size(), 2u);
  EXPECT_EQ(reply.json["versions"][0], firstVersion);  // unchanged, still in force
  EXPECT_EQ(reply.json["versions"][1]["in_force"], false);
  EXPECT_EQ(reply.json["versions"][1]["upcoming"], true);
  EXPECT_EQ(reply.json["versions"][1]["definition"], flatDefinition(900000));
  EXPECT_EQ(sqlText("SELECT definition FROM tariff_versions ORDER BY id LIMIT 1"), storedBefore);

  reply = staff("GET", "/api/v1/audit?action=tariff.version.add");
  ASSERT_EQ(reply.json["records"].size(), 1u);
  EXPECT_EQ(reply.json["records"][0]["before"]["versions"].size(), 1u);
  EXPECT_EQ(reply.json["records"][0]["after"]["versions"].size(), 2u);

  // A day later the new price is in force.
  m_clockOffsetS = 25 * 3600;
  m_admin = login("admin", "admin-password");  // sessions idle out after 30 minutes
  reply = staff("GET", "/api/v1/tariffs/" + id);
  EXPECT_EQ(reply.json["versions"][1]["in_force"], true);
  EXPECT_EQ(reply.json["current_version_id"], reply.json["versions"][1]["version_id"]);
  m_clockOffsetS = 0;
  m_admin = login("admin", "admin-password");

  const auto versions = versionRows();
  struct Case {
    std::string what;
    std::string path;
    Json body;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"in the past", "/api/v1/tariffs/" + id + "/versions",
       Json{{"effective_from", inHours(-1)}, {"definition", flatDefinition(1)}}, "invalid_field"},
      {"same instant twice", "/api/v1/tariffs/" + id + "/versions",
       Json{{"effective_from", inHours(24)}, {"definition", flatDefinition(1)}}, "conflict"},
      {"no effective_from", "/api/v1/tariffs/" + id + "/versions",
       Json{{"definition", flatDefinition(1)}}, "missing_field"},
      {"fractional price", "/api/v1/tariffs/" + id + "/versions",
       Json{{"effective_from", inHours(48)},
            {"definition", {{"kind", "flat"}, {"prices_micro_yuan", {{"flat", 1.5}}}}}},
       "invalid_field"},
      {"overlapping periods", "/api/v1/tariffs/" + id + "/versions",
       [&] {
         auto definition = touDefinition();
         definition["seasons"][1]["workday"][1]["from"] = "07:59";
         return Json{{"effective_from", inHours(48)}, {"definition", definition}};
       }(),
       "invalid_tariff"},
      {"unknown tariff", "/api/v1/tariffs/999/versions",
       Json{{"effective_from", inHours(48)}, {"definition", flatDefinition(1)}}, "unknown_tariff"},
      {"bad id", "/api/v1/tariffs/abc/versions",
       Json{{"effective_from", inHours(48)}, {"definition", flatDefinition(1)}},
       "invalid_parameter"},
      {"name is not a version field", "/api/v1/tariffs/" + id + "/versions",
       Json{{"effective_from", inHours(48)}, {"definition", flatDefinition(1)}, {"name", "y"}},
       "invalid_field"},
  };
  for (const auto& c : cases) {
    const auto reply2 = staff("POST", c.path, c.body);
    EXPECT_EQ(reply2.code(), c.code) << c.what << ": " << reply2.body;
  }
  EXPECT_EQ(versionRows(), versions);
  EXPECT_EQ(staff("GET", "/api/v1/tariffs/999").code(), "unknown_tariff");
  EXPECT_EQ(staff("GET", "/api/v1/tariffs/0").code(), "invalid_parameter");
  const auto cashier = login("cashier", "cashier-password");
  EXPECT_EQ(
      staff("POST", "/api/v1/tariffs/" + id + "/versions",
            Json{{"effective_from", inHours(48)}, {"definition", flatDefinition(1)}}, {}, cashier)
          .code(),
      "forbidden");
  EXPECT_EQ(versionRows(), versions);
}

TEST_F(TariffRoutesTest, PriceCommandAssignsTheTariffAndSendsItsPrices) {
  const auto site = makeSite(3);
  auto reply = staff("POST", "/api/v1/tariffs",
                     Json{{"name", "TOU commercial"}, {"definition", touDefinition()}});
  ASSERT_EQ(reply.status, 201);
  const auto touId = reply.json["tariff_id"].get<std::int64_t>();

  // Two meters take the TOU tariff; the third keeps none (the site default price).
  reply = staff("POST", "/api/v1/commands",
                Json{{"kind", "price"},
                     {"meter_ids", {site.meterIds[0], site.meterIds[1], 999}},
                     {"tariff_id", touId}});
  ASSERT_EQ(reply.status, 202) << reply.body;
  EXPECT_EQ(reply.json["accepted"], 2);
  EXPECT_EQ(reply.json["results"][2]["error_code"], "unknown_meter");
  // First tier's surcharge is 0: the rate prices themselves.
  EXPECT_EQ(reply.json["results"][0]["prices_micro_yuan"],
            (Json{{"sharp", 1500000}, {"peak", 1200000}, {"flat", 800000}, {"valley", 400000}}));
  EXPECT_EQ(reply.json["results"][0]["tariff_id"], touId);
  EXPECT_EQ(staff("GET", "/api/v1/meters/" + std::to_string(site.meterIds[0])).json["tariff_id"],
            touId);
  EXPECT_EQ(
      sqlText("SELECT payload FROM commands WHERE meter_id = " + std::to_string(site.meterIds[1])),
      "flat=800000;peak=1200000;sharp=1500000;valley=400000");
  EXPECT_EQ(staff("GET", "/api/v1/tariffs/" + std::to_string(touId)).json["meter_count"], 2);
  reply = staff("GET", "/api/v1/audit?action=meter.tariff.assign");
  ASSERT_EQ(reply.json["records"].size(), 1u);
  EXPECT_TRUE(
      reply.json["records"][0]["before"]["tariff_by_meter"][std::to_string(site.meterIds[0])]
          .is_null());

  // Without a tariff: the site's default unit price on every rate.
  const auto defaultPrice = staff("GET", "/api/v1/settings").json["default_unit_price_micro_yuan"];
  reply =
      staff("POST", "/api/v1/commands", Json{{"kind", "price"}, {"meter_ids", {site.meterIds[2]}}});
  ASSERT_EQ(reply.status, 202) << reply.body;
  EXPECT_TRUE(reply.json["results"][0]["tariff_id"].is_null());
  EXPECT_EQ(reply.json["results"][0]["prices_micro_yuan"]["valley"], defaultPrice);

  // A flat tariff made the site default: the same price on all four rates.
  reply = staff("POST", "/api/v1/tariffs",
                Json{{"name", "flat"}, {"definition", flatDefinition(777000)}});
  const auto flatId = reply.json["tariff_id"].get<std::int64_t>();
  ASSERT_EQ(staff("PATCH", "/api/v1/settings", Json{{"default_tariff_id", flatId}}).status, 200);
  reply =
      staff("POST", "/api/v1/commands", Json{{"kind", "price"}, {"meter_ids", {site.meterIds[2]}}});
  EXPECT_EQ(reply.json["results"][0]["tariff_id"], flatId);
  EXPECT_EQ(reply.json["results"][0]["prices_micro_yuan"],
            (Json{{"sharp", 777000}, {"peak", 777000}, {"flat", 777000}, {"valley", 777000}}));
  EXPECT_EQ(staff("PATCH", "/api/v1/settings", Json{{"default_tariff_id", 999}}).code(),
            "invalid_field");
  ASSERT_EQ(staff("PATCH", "/api/v1/settings", Json{{"default_tariff_id", nullptr}}).status, 200);
  EXPECT_TRUE(staff("GET", "/api/v1/settings").json["default_tariff_id"].is_null());

  // Refusals change nothing.
  const auto commands = sqlInt("SELECT COUNT(*) FROM commands");
  EXPECT_EQ(staff("POST", "/api/v1/commands",
                  Json{{"kind", "price"}, {"meter_ids", {site.meterIds[2]}}, {"tariff_id", 999}})
                .code(),
            "unknown_tariff");
  EXPECT_EQ(staff("POST", "/api/v1/commands",
                  Json{{"kind", "trip"}, {"meter_ids", {site.meterIds[2]}}, {"tariff_id", touId}})
                .code(),
            "invalid_field");
  EXPECT_EQ(staff("POST", "/api/v1/commands",
                  Json{{"kind", "price"}, {"meter_ids", {site.meterIds[2]}}, {"tariff_id", "1"}})
                .code(),
            "invalid_field");
  EXPECT_EQ(sqlInt("SELECT COUNT(*) FROM commands"), commands);
  EXPECT_EQ(sqlInt("SELECT COUNT(*) FROM meters WHERE tariff_id IS NOT NULL"), 2);
}

}  // namespace
}  // namespace prepaid::backend::http::testing
