// GET /api/v1/health, GET /metrics, GET /api/v1/openapi.json.

#include <algorithm>
#include <array>
#include <cctype>
#include <map>

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
          {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}};
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
    operation["responses"] = {
        {"200", {{"description", "success"}}},
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

  Json document = Json::object();
  document["openapi"] = "3.0.3";
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
