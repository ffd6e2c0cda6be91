// The OpenAPI document against the running server: documented success statuses are what the
// routes answer (201 creates, 202 the command batch), query parameters are listed, and the
// request-body schemas agree with the handlers (an empty body misses a required field, an
// unknown field is refused exactly where the schema forbids extra properties).

#include <set>

#include "api_fixture.hpp"

namespace prepaid::backend::http::testing {
namespace {

using Headers = httplib::Headers;

class OpenApi : public ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    if (::testing::Test::HasFatalFailure()) {
      return;
    }
    const auto reply = call("GET", "/api/v1/openapi.json");
    ASSERT_EQ(reply.status, 200);
    m_doc = reply.json;
  }

  /// The one documented success status of an operation.
  int documentedStatus(const std::string& method, const std::string& path) {
    const auto& responses = m_doc["paths"][path][method]["responses"];
    for (const auto& [code, response] : responses.items()) {
      if (code != "default") {
        return std::stoi(code);
      }
    }
    return 0;
  }

  std::set<std::string> queryNames(const std::string& method, const std::string& path) {
    std::set<std::string> names;
    for (const auto& parameter : m_doc["paths"][path][method].value("parameters", Json::array())) {
      if (parameter["in"] == "query") {
        names.insert(parameter["name"].get<std::string>());
      }
    }
    return names;
  }

  Json m_doc;
};

TEST_F(OpenApi, NoDocumentationRowNamesAMissingRoute) {
  EXPECT_FALSE(m_doc.contains("x-stale-route-docs")) << m_doc["x-stale-route-docs"].dump();
}

TEST_F(OpenApi, DocumentedSuccessStatusesAreWhatTheRoutesAnswer) {
  const auto site = makeSite(1);
  struct Case {
    std::string method;
    std::string path;  // OpenAPI path
    Reply reply;
  };
  std::vector<Case> cases;
  cases.push_back(
      {"post", "/api/v1/buildings", staff("POST", "/api/v1/buildings", Json{{"name", "B"}})});
  cases.push_back({"post", "/api/v1/buildings/{building_id}/floors",
                   staff("POST", "/api/v1/buildings/" + std::to_string(site.buildingId) + "/floors",
                         Json{{"name", "2F"}, {"ordinal", 2}})});
  cases.push_back(
      {"post", "/api/v1/shops",
       staff("POST", "/api/v1/shops", Json{{"floor_id", site.floorId}, {"number", "A2"}})});
  cases.push_back({"post", "/api/v1/gateways",
                   staff("POST", "/api/v1/gateways",
                         Json{{"name", "gw2"}, {"transport_uri", "tcp://127.0.0.1:1503"}})});
  cases.push_back({"post", "/api/v1/meters",
                   staff("POST", "/api/v1/meters",
                         Json{{"serial", "X9"},
                              {"profile", "ddsy1352"},
                              {"unit_address", 9},
                              {"gateway_id", site.gatewayId}})});
  cases.push_back({"post", "/api/v1/accounts",
                   staff("POST", "/api/v1/accounts",
                         Json{{"tenant_name", "周"}, {"meter_ids", {site.meterIds[0]}}})});
  cases.push_back(
      {"post", "/api/v1/sales",
       staff("POST", "/api/v1/sales", Json{{"meter_id", site.meterIds[0]}, {"amount_fen", 100}},
             Headers{{"Idempotency-Key", "oa-1"}})});
  cases.push_back({"post", "/api/v1/commands",
                   staff("POST", "/api/v1/commands",
                         Json{{"kind", "read_now"}, {"meter_ids", {site.meterIds[0]}}})});
  cases.push_back(
      {"post", "/api/v1/kiosks", staff("POST", "/api/v1/kiosks", Json{{"name", "k2"}})});
  cases.push_back({"get", "/api/v1/meters", staff("GET", "/api/v1/meters")});
  for (const auto& c : cases) {
    EXPECT_GE(c.reply.status, 200) << c.path << " " << c.reply.body;
    EXPECT_LT(c.reply.status, 300) << c.path << " " << c.reply.body;
    EXPECT_EQ(documentedStatus(c.method, c.path), c.reply.status) << c.method << " " << c.path;
  }
  EXPECT_EQ(documentedStatus("post", "/api/v1/commands"), 202);
  EXPECT_EQ(documentedStatus("post", "/api/v1/tariffs"), 201);
}

TEST_F(OpenApi, QueryParametersOfTheMainListsAreDocumented) {
  EXPECT_EQ(queryNames("get", "/api/v1/meters/status"),
            (std::set<std::string>{"building_id", "floor_id"}));
  EXPECT_EQ(queryNames("get", "/api/v1/kiosk/accounts/{account_id}/meters/{meter_id}/usage"),
            (std::set<std::string>{"granularity"}));
  EXPECT_TRUE(queryNames("get", "/api/v1/orders").contains("needs_staff"));
  EXPECT_TRUE(queryNames("get", "/api/v1/orders").contains("order_no"));
  EXPECT_EQ(queryNames("get", "/api/v1/alarms"), (std::set<std::string>{"from", "to"}));
  EXPECT_EQ(queryNames("get", "/api/v1/accounts"), (std::set<std::string>{"shop_number"}));
  const auto sales = m_doc["paths"]["/api/v1/sales"]["post"]["requestBody"]["content"]
                          ["application/json"]["schema"];
  EXPECT_EQ(sales["required"], (Json{"meter_id", "amount_fen"}));
  EXPECT_EQ(sales["properties"]["amount_fen"]["type"], "integer");
  EXPECT_EQ(sales["additionalProperties"], false);
}

TEST_F(OpenApi, BodySchemasAgreeWithTheHandlers) {
  // Every JSON route without path parameters whose schema lists required fields: {} is refused
  // with missing_field, and an unknown field with invalid_field.
  int checked = 0;
  for (const auto& [path, methods] : m_doc["paths"].items()) {
    if (path.find('{') != std::string::npos) {
      continue;
    }
    for (const auto& [method, operation] : methods.items()) {
      const auto pointer = Json::json_pointer("/requestBody/content/application~1json/schema");
      const auto schema = operation.contains(pointer) ? operation.at(pointer) : Json::object();
      if (!schema.contains("required") || path == "/api/v1/kiosk/orders") {
        continue;  // kiosk orders: payments are not running in this fixture
      }
      std::string upper = method;
      for (auto& c : upper) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      }
      const Headers headers{{"Authorization", "Bearer " + m_admin},
                            {"X-Kiosk-Key", m_kioskKey},
                            {"Idempotency-Key", "schema-" + std::to_string(checked)}};
      const auto empty = call(upper, path, "{}", headers);
      EXPECT_EQ(empty.code(), "missing_field") << upper << " " << path << " " << empty.body;
      const auto unknown = call(upper, path, R"({"zz_not_a_field": 1})", headers);
      EXPECT_EQ(unknown.code(), "invalid_field") << upper << " " << path << " " << unknown.body;
      ++checked;
    }
  }
  EXPECT_GE(checked, 12);
}

}  // namespace
}  // namespace prepaid::backend::http::testing
