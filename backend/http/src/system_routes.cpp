// GET /api/v1/health, GET /metrics, GET /api/v1/openapi.json.

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <string>
#include <vector>

#include "server_core.hpp"

#include "prepaid/api/api_version.hpp"
#include "prepaid/api/time_format.hpp"
#include "prepaid/api/wire_types.hpp"
#include "prepaid/store/order_repository.hpp"
#include "prepaid/version.hpp"

namespace prepaid::backend::http {

namespace {

constexpr std::array AllOrderStates = {
    store::PaymentOrderState::Created,  store::PaymentOrderState::Pending,
    store::PaymentOrderState::Paid,     store::PaymentOrderState::Crediting,
    store::PaymentOrderState::Credited, store::PaymentOrderState::Receipted,
    store::PaymentOrderState::Expired,  store::PaymentOrderState::Closing,
    store::PaymentOrderState::Closed,   store::PaymentOrderState::Reversing,
    store::PaymentOrderState::Reversed, store::PaymentOrderState::Refunding,
    store::PaymentOrderState::Refunded, store::PaymentOrderState::Failed};

std::string_view accessName(Access access) {
  switch (access) {
    case Access::Public:
      return "public";
    case Access::Kiosk:
      return "kiosk";
    case Access::Tenant:
      return "tenant";
    case Access::Staff:
      return "staff";
  }
  return "public";
}

/// What the route table does not say about a route: its success status, query parameters and
/// the request body's fields ("name:type", required ones first). Keyed "METHOD /path"; a key
/// that names no route is reported by undocumentedRouteDocs() (checked by a test).
struct RouteDoc {
  int status = 200;
  std::vector<std::string> query;     // "name:type" (type: integer, string, date-time)
  std::vector<std::string> required;  // body fields, "name:type"
  std::vector<std::string> optional;  // body fields, "name:type"
};

const std::map<std::string, RouteDoc>& routeDocs() {
  static const std::map<std::string, RouteDoc> Docs = {
      // auth and operators
      {"POST /api/v1/auth/login", {200, {}, {"username:string", "password:string"}, {}}},
      {"POST /api/v1/auth/password",
       {200, {}, {"current_password:string", "new_password:string"}, {}}},
      {"POST /api/v1/roles", {201, {}, {"name:string", "permissions:array"}, {}}},
      {"PUT /api/v1/roles/{role_id}", {200, {}, {"name:string", "permissions:array"}, {}}},
      {"POST /api/v1/operators",
       {201,
        {},
        {"username:string", "password:string", "role_id:integer"},
        {"display_name:string"}}},
      {"PATCH /api/v1/operators/{operator_id}",
       {200,
        {},
        {},
        {"display_name:string", "role_id:integer", "state:string", "password:string"}}},
      {"POST /api/v1/kiosks", {201, {}, {"name:string"}, {}}},
      {"GET /api/v1/audit",
       {200,
        {"from:date-time", "to:date-time", "limit:integer", "before_id:integer", "actor:string",
         "action:string"},
        {},
        {}}},
      {"POST /api/v1/audit/events", {201, {}, {"action:string", "detail:string"}, {}}},
      // kiosk
      {"POST /api/v1/kiosk/identify",
       {200, {}, {}, {"shop_number:string", "card_token:string", "pin:string"}}},
      {"GET /api/v1/kiosk/accounts/{account_id}/meters/{meter_id}/usage",
       {200, {"granularity:string"}, {}, {}}},
      {"POST /api/v1/kiosk/orders",
       {201,
        {},
        {"meter_id:integer", "amount_fen:integer"},
        {"channel:string", "provider:string"}}},
      {"POST /api/v1/kiosk/orders/{order_no}/code", {200, {}, {"auth_code:string"}, {}}},
      // site
      {"POST /api/v1/buildings", {201, {}, {"name:string"}, {}}},
      {"POST /api/v1/buildings/{building_id}/floors",
       {201, {}, {"name:string"}, {"ordinal:integer"}}},
      {"POST /api/v1/shops",
       {201,
        {},
        {"floor_id:integer", "number:string"},
        {"area_centi_m2:integer", "head_count:integer"}}},
      {"POST /api/v1/gateways",
       {201,
        {},
        {"name:string", "transport_uri:string"},
        {"response_timeout_ms:integer", "byte_timeout_ms:integer", "inter_request_delay_ms:integer",
         "retries:integer", "enabled:boolean"}}},
      {"POST /api/v1/meters",
       {201,
        {},
        {"serial:string", "profile:string", "unit_address:integer", "gateway_id:integer"},
        {"shop_id:integer", "medium:string", "billing_mode:string", "tariff_id:integer",
         "alarm1_fen:integer", "alarm2_fen:integer", "overload_threshold_w:integer",
         "trip_policy:string", "purchase_count:integer"}}},
      {"POST /api/v1/meters/import", {201, {}, {}, {}}},
      {"PATCH /api/v1/shops/{shop_id}",
       {200,
        {},
        {},
        {"floor_id:integer", "number:string", "area_centi_m2:integer", "head_count:integer"}}},
      {"PATCH /api/v1/gateways/{gateway_id}",
       {200,
        {},
        {},
        {"name:string", "transport_uri:string", "response_timeout_ms:integer",
         "byte_timeout_ms:integer", "inter_request_delay_ms:integer", "retries:integer",
         "enabled:boolean"}}},
      {"PATCH /api/v1/meters/{meter_id}",
       {200,
        {},
        {},
        {"serial:string", "profile:string", "unit_address:integer", "gateway_id:integer",
         "shop_id:integer", "tariff_id:integer", "alarm1_fen:integer", "alarm2_fen:integer",
         "overload_threshold_w:integer", "trip_policy:string"}}},
      // accounts
      {"GET /api/v1/accounts", {200, {"shop_number:string"}, {}, {}}},
      {"POST /api/v1/accounts",
       {201, {}, {"tenant_name:string", "meter_ids:array"}, {"phone:string", "pin:string"}}},
      {"POST /api/v1/accounts/{account_id}/meters",
       {200, {}, {"meter_id:integer"}, {"replaces_meter_id:integer"}}},
      {"POST /api/v1/accounts/{account_id}/close", {200, {}, {}, {"note:string"}}},
      {"POST /api/v1/accounts/{account_id}/card", {201, {}, {}, {}}},
      {"PUT /api/v1/accounts/{account_id}/pin", {200, {}, {"pin:string"}, {}}},
      // money
      {"POST /api/v1/sales",
       {201,
        {},
        {"meter_id:integer", "amount_fen:integer"},
        {"payment_method:string", "note:string"}}},
      {"POST /api/v1/refunds",
       {201, {}, {"meter_id:integer", "amount_fen:integer"}, {"note:string"}}},
      {"POST /api/v1/corrections", {201, {}, {"entry_id:integer"}, {"note:string"}}},
      {"GET /api/v1/sales",
       {200,
        {"meter_id:integer", "from:date-time", "to:date-time", "limit:integer", "kind:string"},
        {},
        {}}},
      // operations
      {"GET /api/v1/meters/status", {200, {"building_id:integer", "floor_id:integer"}, {}, {}}},
      {"GET /api/v1/meters/{meter_id}/readings",
       {200, {"from:date-time", "to:date-time", "limit:integer"}, {}, {}}},
      {"GET /api/v1/alarms", {200, {"from:date-time", "to:date-time"}, {}, {}}},
      {"POST /api/v1/commands",
       {202, {}, {"kind:string", "meter_ids:array"}, {"tariff_id:integer"}}},
      // orders
      {"GET /api/v1/orders",
       {200,
        {"state:string", "needs_staff:boolean", "meter_id:integer", "shop_id:integer",
         "shop_number:string", "order_no:string", "from:date-time", "to:date-time",
         "limit:integer"},
        {},
        {}}},
      {"POST /api/v1/orders/{order_no}/refund", {200, {}, {"reason:string"}, {}}},
      {"POST /api/v1/payments/notify/wechat", {204, {}, {}, {}}},
      // tariffs
      {"POST /api/v1/tariffs",
       {201, {}, {"name:string", "definition:object"}, {"effective_from:date-time"}}},
      {"POST /api/v1/tariffs/{tariff_id}/versions",
       {201, {}, {"definition:object"}, {"effective_from:date-time"}}},
  };
  return Docs;
}

Json typeSchema(std::string_view type) {
  if (type == "date-time") {
    return Json{{"type", "string"}, {"format", "date-time"}};
  }
  return Json{{"type", std::string(type)}};
}

std::pair<std::string, std::string_view> splitField(const std::string& field) {
  const auto colon = field.find(':');
  return {field.substr(0, colon), std::string_view(field).substr(colon + 1)};
}

/// The JSON body schema of a documented route: its fields, the required ones, nothing else.
Json bodySchema(const RouteDoc& doc) {
  Json schema{{"type", "object"}, {"additionalProperties", false}};
  Json properties = Json::object();
  Json required = Json::array();
  for (const auto& field : doc.required) {
    const auto [name, type] = splitField(field);
    properties[name] = typeSchema(type);
    required.push_back(name);
  }
  for (const auto& field : doc.optional) {
    const auto [name, type] = splitField(field);
    properties[name] = typeSchema(type);
  }
  schema["properties"] = properties;
  if (!required.empty()) {
    schema["required"] = required;
  }
  return schema;
}

Json errorResponse(std::string_view description) {
  return {
      {"description", description},
      {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
}

}  // namespace

std::string ServerCore::openApiJson() const {
  Json paths = Json::object();
  for (const auto& route : m_routes) {
    std::string method = route.method;
    std::ranges::transform(method, method.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    Json operation = {
        {"summary", route.summary}, {"tags", {route.tag}}, {"x-access", accessName(route.access)}};
    std::string operationId = method;
    for (const char c : route.path) {
      operationId += std::isalnum(static_cast<unsigned char>(c)) != 0 ? c : '_';
    }
    operation["operationId"] = operationId;
    if (route.permission) {
      operation["x-permission"] = toString(*route.permission);
    }
    Json parameters = Json::array();
    for (const auto& name : route.paramNames) {
      // Ids are positive integers; other path parameters (order numbers) are strings.
      const bool id = name.ends_with("_id");
      parameters.push_back(
          {{"name", name},
           {"in", "path"},
           {"required", true},
           {"schema", id ? Json{{"type", "integer"}, {"minimum", 1}}
                         : Json{{"type", "string"}, {"pattern", "^[A-Za-z0-9_-]{1,64}$"}}}});
    }
    if (route.idempotency == Idempotency::Required) {
      parameters.push_back({{"name", "Idempotency-Key"},
                            {"in", "header"},
                            {"required", true},
                            {"schema", {{"type", "string"}, {"maxLength", 128}}}});
    }
    if (route.access == Access::Tenant) {
      parameters.push_back({{"name", "X-Tenant-Token"},
                            {"in", "header"},
                            {"required", true},
                            {"schema", {{"type", "string"}}}});
    }
    const auto documented = routeDocs().find(route.method + " " + route.path);
    const RouteDoc routeDoc = documented != routeDocs().end() ? documented->second : RouteDoc{};
    for (const auto& field : routeDoc.query) {
      const auto [name, type] = splitField(field);
      parameters.push_back(
          {{"name", name}, {"in", "query"}, {"required", false}, {"schema", typeSchema(type)}});
    }
    if (!parameters.empty()) {
      operation["parameters"] = parameters;
    }
    switch (route.access) {
      case Access::Public:
        operation["security"] = Json::array();
        break;
      case Access::Kiosk:
      case Access::Tenant:
        operation["security"] = Json::array({{{"kioskKey", Json::array()}}});
        break;
      case Access::Staff:
        operation["security"] = Json::array({{{"session", Json::array()}}});
        break;
    }
    if (route.body == BodyKind::JsonObject) {
      operation["requestBody"] = {
          {"required", true},
          {"content",
           {{"application/json",
             {{"schema", documented != routeDocs().end() ? bodySchema(routeDoc)
                                                         : Json{{"type", "object"}}}}}}}};
    } else if (route.body == BodyKind::Csv) {
      operation["requestBody"] = {{"required", true},
                                  {"content", {{"text/csv", {{"schema", {{"type", "string"}}}}}}}};
    } else if (route.body == BodyKind::Raw) {
      // Provider notifications: the provider's own format (JSON or form), verified by signature.
      operation["requestBody"] = {
          {"required", true},
          {"content",
           {{"application/json", {{"schema", {{"type", "object"}}}}},
            {"application/x-www-form-urlencoded", {{"schema", {{"type", "object"}}}}}}}};
    }
    const auto status = std::to_string(routeDoc.status);
    operation["responses"] = {
        {status,
         {{"description", routeDoc.status == 201   ? "created"
                          : routeDoc.status == 202 ? "accepted (per-item results in the body)"
                          : routeDoc.status == 204 ? "applied (no body)"
                                                   : "success"}}},
        {"default", errorResponse("error: {\"error\": {\"code\", \"message\"}}")}};
    paths[route.path][method] = operation;
  }
  Json codes = Json::array();
  for (const auto code : api::allErrorCodes()) {
    codes.push_back(api::toString(code));
  }
  Json errorSchema = Json::object();
  errorSchema["type"] = "object";
  errorSchema["required"] = Json::array({"error"});
  Json inner = Json::object();
  inner["type"] = "object";
  inner["required"] = Json::array({"code", "message"});
  inner["properties"]["code"] = Json{{"type", "string"}, {"enum", codes}};
  inner["properties"]["message"] = Json{{"type", "string"}};
  inner["properties"]["details"] = Json::object();
  errorSchema["properties"]["error"] = inner;

  // A documentation row that names no route is a typo or a removed route: list it, so the
  // test that reads the document fails.
  Json stale = Json::array();
  for (const auto& [key, doc] : routeDocs()) {
    const bool known = std::ranges::any_of(
        m_routes, [&](const RouteSpec& route) { return route.method + " " + route.path == key; });
    if (!known) {
      stale.push_back(key);
    }
  }

  Json document = Json::object();
  document["openapi"] = "3.0.3";
  if (!stale.empty()) {
    document["x-stale-route-docs"] = stale;
  }
  document["info"] = Json{{"title", "Prepaid backend API"},
                          {"version", api::ApiSchemaVersion},
                          {"description",
                           "Remote prepaid metering. Money in integer fen, energy in 0.01 kWh, "
                           "times RFC 3339. Errors are {\"error\": {\"code\", \"message\"}}; "
                           "see x-error-codes."}};
  document["servers"] = Json::array({Json{{"url", "/"}}});
  document["paths"] = paths;
  document["x-error-codes"] = codes;
  document["components"]["securitySchemes"]["session"] =
      Json{{"type", "http"}, {"scheme", "bearer"}};
  document["components"]["securitySchemes"]["kioskKey"] =
      Json{{"type", "apiKey"}, {"in", "header"}, {"name", "X-Kiosk-Key"}};
  document["components"]["schemas"]["Error"] = errorSchema;
  return document.dump(2);
}

void registerSystemRoutes(ServerCore& core) {
  core.add(route(
      "GET", "/api/v1/health", Access::Public, "system",
      "Liveness and versions; checks that the database answers", [&core](Request&) -> Result {
        store::Site site;
        auto read = readStore(
            core.store(), [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
              PREPAID_TRY_STORE(found, tx.site().site());
              site = *found;
              return {};
            });
        if (!read) {
          return std::unexpected(apiError(ErrorCode::Unavailable, "the database does not answer"));
        }
        api::Health health{"ok", std::string(prepaid::Version), std::string(api::ApiVersion),
                           core.store().schemaVersion(),
                           api::formatRfc3339(core.now(), site.timeZone)};
        return jsonReply(Json(health));
      }));

  core.add(route(
      "GET", "/metrics", Access::Public, "system", "Prometheus metrics (text format 0.0.4)",
      [&core](Request&) -> Result {
        std::vector<MetricSample> samples;
        auto read = readStore(
            core.store(), [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
              PREPAID_TRY_STORE(meters, tx.meters().meters());
              std::int64_t online = 0;
              std::int64_t lost = 0;
              for (const auto& meter : *meters) {
                if (meter.replacedBy || meter.status == store::MeterStatus::Closed) {
                  continue;
                }
                (meter.linkState == store::LinkState::Online ? online : lost) += 1;
              }
              samples.push_back({"prepaid_meters", "Meters in service by link state", "gauge",
                                 "link=\"online\"", static_cast<double>(online)});
              samples.push_back({"prepaid_meters", "Meters in service by link state", "gauge",
                                 "link=\"lost\"", static_cast<double>(lost)});
              PREPAID_TRY_STORE(gateways, tx.gateways().gateways());
              std::int64_t gatewaysLost = 0;
              for (const auto& gateway : *gateways) {
                gatewaysLost += gateway.linkState == store::LinkState::Lost ? 1 : 0;
              }
              samples.push_back({"prepaid_gateways", "Gateways by link state", "gauge",
                                 "link=\"online\"",
                                 static_cast<double>(static_cast<std::int64_t>(gateways->size()) -
                                                     gatewaysLost)});
              samples.push_back({"prepaid_gateways", "Gateways by link state", "gauge",
                                 "link=\"lost\"", static_cast<double>(gatewaysLost)});
              for (const auto state : {store::CommandState::Queued, store::CommandState::Sending,
                                       store::CommandState::OutcomeUnknown}) {
                PREPAID_TRY_STORE(commands, tx.commands().inState(state, 100000));
                samples.push_back({"prepaid_commands_pending", "Commands not finished, by state",
                                   "gauge", "state=\"" + std::string(store::toString(state)) + "\"",
                                   static_cast<double>(commands->size())});
              }
              PREPAID_TRY_STORE(alarms, tx.alarms().openAlarms());
              samples.push_back({"prepaid_alarms_open", "Open alarms", "gauge", "",
                                 static_cast<double>(alarms->size())});
              // One GROUP BY; every state is exported (0 when empty) so a series never vanishes.
              PREPAID_TRY_STORE(orders, tx.orders().countByState());
              for (const auto state : AllOrderStates) {
                const auto found = orders->find(state);
                samples.push_back(
                    {"prepaid_orders", "Payment orders by state", "gauge",
                     prometheusLabel("state", store::toString(state)),
                     static_cast<double>(found == orders->end() ? 0 : found->second)});
              }
              return {};
            });
        if (!read) {
          return std::unexpected(read.error());
        }
        samples.push_back({"prepaid_http_requests_total", "HTTP requests routed", "counter", "",
                           static_cast<double>(core.requestsServed.load())});
        samples.push_back({"prepaid_http_errors_total", "HTTP requests answered with an error",
                           "counter", "", static_cast<double>(core.requestErrors.load())});
        for (const auto* provider : core.services().metrics) {
          if (provider != nullptr) {
            provider->collectMetrics(samples);
          }
        }
        return Reply{200, renderPrometheus(samples), "text/plain; version=0.0.4"};
      }));

  core.add(route("GET", "/api/v1/openapi.json", Access::Public, "system", "This OpenAPI 3 document",
                 [&core](Request&) -> Result {
                   return Reply{200, core.openApiJson(), "application/json"};
                 }));
}

}  // namespace prepaid::backend::http
