#include "prepaid/client/wire_mapping.hpp"

#include <nlohmann/json.hpp>

namespace prepaid::kiosk {

namespace {

using Json = nlohmann::json;

ClientError protocol(std::string message) {
  return ClientError{ClientErrorKind::Protocol, std::nullopt, 200, std::move(message)};
}

// nlohmann-json reports type errors by exception; they stay inside this file.
template <typename T, typename F>
std::expected<T, ClientError> parseWith(std::string_view body, std::string_view what, F&& f) {
  try {
    const Json json = Json::parse(body);
    return f(json);
  } catch (const std::exception& e) {
    return std::unexpected(protocol("unexpected " + std::string(what) + " answer: " + e.what()));
  }
}

template <typename T>
std::optional<T> optionalField(const Json& json, const char* name) {
  const auto it = json.find(name);
  if (it == json.end() || it->is_null()) {
    return std::nullopt;
  }
  return it->get<T>();
}

}  // namespace

std::expected<Order, ClientError> parseOrder(std::string_view body) {
  return parseWith<Order>(body, "order", [](const Json& json) -> std::expected<Order, ClientError> {
    Order order;
    // Accept the order number under either name; the backend's routes name it order_no.
    if (json.contains("order_no")) {
      order.orderNo = json.at("order_no").get<std::string>();
    } else {
      order.orderNo = json.at("order_id").is_string()
                          ? json.at("order_id").get<std::string>()
                          : std::to_string(json.at("order_id").get<std::int64_t>());
    }
    order.meterId = json.at("meter_id").get<std::int64_t>();
    order.amountFen = json.at("amount_fen").get<std::int64_t>();
    order.channel = json.value("channel", std::string("qr")) == "code" ? PaymentChannel::Code
                                                                       : PaymentChannel::Qr;
    order.provider = json.value("provider", std::string());
    const auto state = parseOrderState(json.at("state").get<std::string>());
    if (!state) {
      return std::unexpected(
          protocol("unknown order state '" + json.at("state").get<std::string>() + "'"));
    }
    order.state = *state;
    order.qrCode = json.value("qr_code", json.value("code_url", std::string()));
    order.expiresAt = optionalField<std::string>(json, "expires_at");
    order.expiresInS = json.value("expires_in_s", std::int64_t{0});
    order.ledgerEntryId = optionalField<std::int64_t>(json, "ledger_entry_id");
    order.receipt = optionalField<api::Receipt>(json, "receipt");
    order.balanceAfterFen = optionalField<std::int64_t>(json, "balance_after_fen");
    order.needsStaff = json.value("attention", std::string("none")) == "needs_staff";
    order.lastError = json.value("last_error", std::string());
    return order;
  });
}

std::expected<StaffSession, ClientError> parseStaffSession(std::string_view body) {
  return parseWith<StaffSession>(body, "login", [](const Json& json) {
    StaffSession session;
    session.token = json.at("token").get<std::string>();
    session.username = json.value("username", std::string());
    session.expiresInS = json.value("expires_in_s", std::int64_t{0});
    return std::expected<StaffSession, ClientError>(session);
  });
}

std::expected<api::AccountView, ClientError> parseAccount(std::string_view body) {
  return parseWith<api::AccountView>(body, "account", [](const Json& json) {
    return std::expected<api::AccountView, ClientError>(json.get<api::AccountView>());
  });
}

std::expected<api::UsageSeries, ClientError> parseUsage(std::string_view body) {
  return parseWith<api::UsageSeries>(body, "usage", [](const Json& json) {
    return std::expected<api::UsageSeries, ClientError>(json.get<api::UsageSeries>());
  });
}

std::expected<std::vector<api::AlarmView>, ClientError> parseAlarms(std::string_view body) {
  return parseWith<std::vector<api::AlarmView>>(body, "alarms", [](const Json& json) {
    return std::expected<std::vector<api::AlarmView>, ClientError>(
        json.at("alarms").get<std::vector<api::AlarmView>>());
  });
}

std::expected<std::vector<api::RechargeView>, ClientError> parseRecharges(std::string_view body) {
  return parseWith<std::vector<api::RechargeView>>(body, "recharges", [](const Json& json) {
    return std::expected<std::vector<api::RechargeView>, ClientError>(
        json.at("recharges").get<std::vector<api::RechargeView>>());
  });
}

std::expected<api::Receipt, ClientError> parseReceipt(std::string_view body) {
  return parseWith<api::Receipt>(body, "receipt", [](const Json& json) {
    return std::expected<api::Receipt, ClientError>(json.get<api::Receipt>());
  });
}

std::expected<api::Health, ClientError> parseHealth(std::string_view body) {
  return parseWith<api::Health>(body, "health", [](const Json& json) {
    return std::expected<api::Health, ClientError>(json.get<api::Health>());
  });
}

ClientError errorFromResponse(int httpStatus, std::string_view body) {
  if (auto error = api::parseErrorBody(body)) {
    return ClientError{ClientErrorKind::Api, error->code, httpStatus, error->message};
  }
  return ClientError{ClientErrorKind::Protocol, std::nullopt, httpStatus,
                     "HTTP " + std::to_string(httpStatus) + " without an error body"};
}

std::string identifyBody(const IdentifyRequest& request) {
  Json json = Json::object();
  if (request.shopNumber) {
    json["shop_number"] = *request.shopNumber;
  }
  if (request.cardToken) {
    json["card_token"] = *request.cardToken;
  }
  if (request.pin) {
    json["pin"] = *request.pin;
  }
  return json.dump();
}

std::string createOrderBody(const CreateOrderRequest& request) {
  Json json = {{"meter_id", request.meterId},
               {"amount_fen", request.amountFen},
               {"channel", request.channel == PaymentChannel::Code ? "code" : "qr"}};
  if (request.channel == PaymentChannel::Qr) {
    json["provider"] = request.provider;
  }
  return json.dump();
}

}  // namespace prepaid::kiosk
