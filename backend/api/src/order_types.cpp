#include "prepaid/api/order_types.hpp"

#include <array>
#include <utility>

namespace prepaid::backend::api {

namespace {

constexpr std::array<std::pair<OrderStage, std::string_view>, 5> StageNames = {{
    {OrderStage::AwaitingPayment, "awaiting_payment"},
    {OrderStage::CreditPending, "credit_pending"},
    {OrderStage::Credited, "credited"},
    {OrderStage::NotPaid, "not_paid"},
    {OrderStage::Refunded, "refunded"},
}};

constexpr std::array<std::pair<std::string_view, OrderStage>, 14> StateStages = {{
    {"created", OrderStage::AwaitingPayment},
    {"pending", OrderStage::AwaitingPayment},
    {"paid", OrderStage::CreditPending},
    {"crediting", OrderStage::CreditPending},
    {"credited", OrderStage::Credited},
    {"receipted", OrderStage::Credited},
    {"expired", OrderStage::NotPaid},
    {"closing", OrderStage::NotPaid},
    {"closed", OrderStage::NotPaid},
    {"reversing", OrderStage::NotPaid},
    {"reversed", OrderStage::NotPaid},
    {"failed", OrderStage::NotPaid},
    {"refunding", OrderStage::Refunded},
    {"refunded", OrderStage::Refunded},
}};

template <typename T>
void putOptional(nlohmann::json& json, const char* name, const std::optional<T>& value) {
  if (value) {
    json[name] = *value;
  } else {
    json[name] = nullptr;
  }
}

template <typename T>
void getOptional(const nlohmann::json& json, const char* name, std::optional<T>& value) {
  const auto it = json.find(name);
  if (it == json.end() || it->is_null()) {
    value.reset();
  } else {
    value = it->template get<T>();
  }
}

template <typename T>
void getOr(const nlohmann::json& json, const char* name, T& value) {
  const auto it = json.find(name);
  if (it != json.end() && !it->is_null()) {
    value = it->template get<T>();
  }
}

}  // namespace

std::string_view toString(OrderStage stage) {
  for (const auto& [value, name] : StageNames) {
    if (value == stage) {
      return name;
    }
  }
  return "awaiting_payment";
}

std::optional<OrderStage> parseOrderStage(std::string_view name) {
  for (const auto& [value, entry] : StageNames) {
    if (entry == name) {
      return value;
    }
  }
  return std::nullopt;
}

std::optional<OrderStage> stageOfState(std::string_view state) {
  for (const auto& [name, stage] : StateStages) {
    if (name == state) {
      return stage;
    }
  }
  return std::nullopt;
}

void to_json(nlohmann::json& json, const OrderRequest& value) {
  json = {{"meter_id", value.meterId}, {"amount_fen", value.amountFen}, {"channel", value.channel}};
  if (!value.provider.empty()) {
    json["provider"] = value.provider;
  }
}

void from_json(const nlohmann::json& json, OrderRequest& value) {
  json.at("meter_id").get_to(value.meterId);
  json.at("amount_fen").get_to(value.amountFen);
  getOr(json, "channel", value.channel);
  getOr(json, "provider", value.provider);
}

void to_json(nlohmann::json& json, const OrderView& value) {
  json = {{"order_no", value.orderNo},         {"meter_id", value.meterId},
          {"meter_serial", value.meterSerial}, {"shop_number", value.shopNumber},
          {"amount_fen", value.amountFen},     {"channel", value.channel},
          {"provider", value.provider},        {"state", value.state},
          {"stage", toString(value.stage)},    {"credit_pending", value.creditPending},
          {"qr_code", value.qrCode},           {"created_at", value.createdAt},
          {"expires_at", value.expiresAt},     {"expires_in_s", value.expiresInS},
          {"attention", value.attention},      {"last_error", value.lastError}};
  putOptional(json, "paid_at", value.paidAt);
  putOptional(json, "credited_at", value.creditedAt);
  putOptional(json, "receipted_at", value.receiptedAt);
  putOptional(json, "paid_fen", value.paidFen);
  putOptional(json, "ledger_entry_id", value.ledgerEntryId);
  putOptional(json, "balance_after_fen", value.balanceAfterFen);
  putOptional(json, "receipt", value.receipt);
}

void from_json(const nlohmann::json& json, OrderView& value) {
  json.at("order_no").get_to(value.orderNo);
  json.at("meter_id").get_to(value.meterId);
  getOr(json, "meter_serial", value.meterSerial);
  getOr(json, "shop_number", value.shopNumber);
  json.at("amount_fen").get_to(value.amountFen);
  getOr(json, "channel", value.channel);
  getOr(json, "provider", value.provider);
  json.at("state").get_to(value.state);
  std::string stage;
  getOr(json, "stage", stage);
  const auto byName = parseOrderStage(stage);
  value.stage = byName ? *byName : stageOfState(value.state).value_or(OrderStage::AwaitingPayment);
  getOr(json, "credit_pending", value.creditPending);
  getOr(json, "qr_code", value.qrCode);
  getOr(json, "created_at", value.createdAt);
  getOr(json, "expires_at", value.expiresAt);
  getOr(json, "expires_in_s", value.expiresInS);
  getOptional(json, "paid_at", value.paidAt);
  getOptional(json, "credited_at", value.creditedAt);
  getOptional(json, "receipted_at", value.receiptedAt);
  getOptional(json, "paid_fen", value.paidFen);
  getOptional(json, "ledger_entry_id", value.ledgerEntryId);
  getOptional(json, "balance_after_fen", value.balanceAfterFen);
  getOptional(json, "receipt", value.receipt);
  getOr(json, "attention", value.attention);
  getOr(json, "last_error", value.lastError);
}

void to_json(nlohmann::json& json, const StaffOrderView& value) {
  to_json(json, value.order);
  json["order_id"] = value.orderId;
  json["source"] = value.source;
  json["provider_trade_no"] = value.providerTradeNo;
  json["attention_reason"] = value.attentionReason;
  json["refund_no"] = value.refundNo;
  json["refund_reason"] = value.refundReason;
  json["refunded_by"] = value.refundedBy;
  putOptional(json, "command_id", value.commandId);
  json["checks"] = value.checks;
  json["updated_at"] = value.updatedAt;
}

void from_json(const nlohmann::json& json, StaffOrderView& value) {
  from_json(json, value.order);
  json.at("order_id").get_to(value.orderId);
  getOr(json, "source", value.source);
  getOr(json, "provider_trade_no", value.providerTradeNo);
  getOr(json, "attention_reason", value.attentionReason);
  getOr(json, "refund_no", value.refundNo);
  getOr(json, "refund_reason", value.refundReason);
  getOr(json, "refunded_by", value.refundedBy);
  getOptional(json, "command_id", value.commandId);
  getOr(json, "checks", value.checks);
  getOr(json, "updated_at", value.updatedAt);
}

void to_json(nlohmann::json& json, const OrderNotificationView& value) {
  json = {{"provider", value.provider}, {"order_no", value.orderNo},
          {"event_id", value.eventId},  {"verdict", value.verdict},
          {"reason", value.reason},     {"received_at", value.receivedAt}};
  putOptional(json, "amount_fen", value.amountFen);
}

void from_json(const nlohmann::json& json, OrderNotificationView& value) {
  getOr(json, "provider", value.provider);
  getOr(json, "order_no", value.orderNo);
  getOr(json, "event_id", value.eventId);
  getOr(json, "verdict", value.verdict);
  getOr(json, "reason", value.reason);
  getOptional(json, "amount_fen", value.amountFen);
  getOr(json, "received_at", value.receivedAt);
}

}  // namespace prepaid::backend::api
