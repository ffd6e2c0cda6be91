#include "prepaid/api/wire_types.hpp"

#include <utility>

namespace prepaid::backend::api {

namespace {

template <typename Enum, std::size_t N>
std::string_view nameOf(const std::array<std::pair<Enum, std::string_view>, N>& table, Enum value) {
  for (const auto& [entry, name] : table) {
    if (entry == value) {
      return name;
    }
  }
  return "unknown";
}

template <typename Enum, std::size_t N>
std::optional<Enum> parseName(const std::array<std::pair<Enum, std::string_view>, N>& table,
                              std::string_view name) {
  for (const auto& [entry, entryName] : table) {
    if (entryName == name) {
      return entry;
    }
  }
  return std::nullopt;
}

constexpr std::array<std::pair<MeterStatusCode, std::string_view>, 7> StatusNames = {{
    {MeterStatusCode::Normal, "normal"},
    {MeterStatusCode::Alarm1, "alarm1"},
    {MeterStatusCode::Alarm2, "alarm2"},
    {MeterStatusCode::Arrears, "arrears"},
    {MeterStatusCode::Tripped, "tripped"},
    {MeterStatusCode::LostContact, "lost_contact"},
    {MeterStatusCode::KeepPower, "keep_power"},
}};

constexpr std::array<std::pair<StatusColour, std::string_view>, 6> ColourNames = {{
    {StatusColour::Opened, "opened"},
    {StatusColour::Alarm1, "alarm1"},
    {StatusColour::Alarm2, "alarm2"},
    {StatusColour::Arrears, "arrears"},
    {StatusColour::NotOpened, "not_opened"},
    {StatusColour::LostContact, "lost_contact"},
}};

constexpr std::array<std::pair<StatusColour, std::string_view>, 6> ColourHex = {{
    {StatusColour::Opened, "#2e7d32"},
    {StatusColour::Alarm1, "#f9a825"},
    {StatusColour::Alarm2, "#ef6c00"},
    {StatusColour::Arrears, "#c62828"},
    {StatusColour::NotOpened, "#9e9e9e"},
    {StatusColour::LostContact, "#6a1b9a"},
}};

constexpr std::array<std::pair<DaysLeftState, std::string_view>, 4> DaysLeftNames = {{
    {DaysLeftState::Known, "known"},
    {DaysLeftState::NotEnoughHistory, "not_enough_history"},
    {DaysLeftState::NoRecentUse, "no_recent_use"},
    {DaysLeftState::NoPrice, "no_price"},
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

std::string_view toString(MeterStatusCode status) {
  return nameOf(StatusNames, status);
}
std::optional<MeterStatusCode> parseMeterStatusCode(std::string_view name) {
  return parseName(StatusNames, name);
}
std::string_view toString(StatusColour colour) {
  return nameOf(ColourNames, colour);
}
std::optional<StatusColour> parseStatusColour(std::string_view name) {
  return parseName(ColourNames, name);
}
std::string_view colourHex(StatusColour colour) {
  return nameOf(ColourHex, colour);
}
std::string_view toString(DaysLeftState state) {
  return nameOf(DaysLeftNames, state);
}
std::optional<DaysLeftState> parseDaysLeftState(std::string_view name) {
  return parseName(DaysLeftNames, name);
}

void to_json(nlohmann::json& json, const MeterView& value) {
  json = {{"meter_id", value.meterId},
          {"serial", value.serial},
          {"medium", value.medium},
          {"billing_mode", value.billingMode},
          {"personal", value.personal},
          {"hoarding_cap_fen", value.hoardingCapFen},
          {"sales_blocked", value.salesBlocked}};
  if (value.personal) {
    json["balance_fen"] = value.balanceFen;
    json["status"] = toString(value.status);
    json["relay"] = value.relay;
    putOptional(json, "last_reading_at", value.lastReadingAt);
    json["today_energy_centi_kwh"] = value.todayEnergyCentiKwh;
    json["days_left_state"] = toString(value.daysLeftState);
    putOptional(json, "days_left", value.daysLeft);
  }
}

void from_json(const nlohmann::json& json, MeterView& value) {
  value = MeterView{};
  json.at("meter_id").get_to(value.meterId);
  json.at("serial").get_to(value.serial);
  getOr(json, "medium", value.medium);
  getOr(json, "billing_mode", value.billingMode);
  getOr(json, "personal", value.personal);
  getOr(json, "hoarding_cap_fen", value.hoardingCapFen);
  getOr(json, "sales_blocked", value.salesBlocked);
  if (value.personal) {
    json.at("balance_fen").get_to(value.balanceFen);
    value.status = parseMeterStatusCode(json.at("status").get<std::string>())
                       .value_or(MeterStatusCode::Normal);
    getOr(json, "relay", value.relay);
    getOptional(json, "last_reading_at", value.lastReadingAt);
    getOr(json, "today_energy_centi_kwh", value.todayEnergyCentiKwh);
    value.daysLeftState = parseDaysLeftState(json.value("days_left_state", std::string()))
                              .value_or(DaysLeftState::NotEnoughHistory);
    getOptional(json, "days_left", value.daysLeft);
  }
}

void to_json(nlohmann::json& json, const AccountView& value) {
  json = {{"account_id", value.accountId},
          {"shop_number", value.shopNumber},
          {"tenant_name", value.tenantName},
          {"phone", value.phone},
          {"pin_required", value.pinRequired},
          {"personal", value.personal},
          {"meters", value.meters}};
  if (!value.tenantToken.empty()) {
    json["tenant_token"] = value.tenantToken;
    json["tenant_token_expires_in_s"] = value.tenantTokenExpiresInS;
  }
}

void from_json(const nlohmann::json& json, AccountView& value) {
  value = AccountView{};
  json.at("account_id").get_to(value.accountId);
  json.at("shop_number").get_to(value.shopNumber);
  getOr(json, "tenant_name", value.tenantName);
  getOr(json, "phone", value.phone);
  getOr(json, "pin_required", value.pinRequired);
  getOr(json, "personal", value.personal);
  getOr(json, "tenant_token", value.tenantToken);
  getOr(json, "tenant_token_expires_in_s", value.tenantTokenExpiresInS);
  getOr(json, "meters", value.meters);
}

void to_json(nlohmann::json& json, const UsagePoint& value) {
  json = {{"period_start", value.periodStart},
          {"energy_centi_kwh", value.energyCentiKwh},
          {"energy_by_rate_centi_kwh", value.energyByRateCentiKwh},
          {"money_fen", value.moneyFen},
          {"money_by_rate_fen", value.moneyByRateFen}};
}

void from_json(const nlohmann::json& json, UsagePoint& value) {
  json.at("period_start").get_to(value.periodStart);
  json.at("energy_centi_kwh").get_to(value.energyCentiKwh);
  json.at("energy_by_rate_centi_kwh").get_to(value.energyByRateCentiKwh);
  json.at("money_fen").get_to(value.moneyFen);
  json.at("money_by_rate_fen").get_to(value.moneyByRateFen);
}

void to_json(nlohmann::json& json, const UsageSeries& value) {
  json = {{"meter_id", value.meterId},
          {"granularity", value.granularity},
          {"rates", {"sharp", "peak", "flat", "valley"}},
          {"points", value.points}};
}

void from_json(const nlohmann::json& json, UsageSeries& value) {
  json.at("meter_id").get_to(value.meterId);
  json.at("granularity").get_to(value.granularity);
  json.at("points").get_to(value.points);
}

void to_json(nlohmann::json& json, const AlarmView& value) {
  json = {{"alarm_id", value.alarmId},
          {"kind", value.kind},
          {"raised_at", value.raisedAt},
          {"detail", value.detail}};
  putOptional(json, "meter_id", value.meterId);
  putOptional(json, "gateway_id", value.gatewayId);
  putOptional(json, "cleared_at", value.clearedAt);
}

void from_json(const nlohmann::json& json, AlarmView& value) {
  json.at("alarm_id").get_to(value.alarmId);
  json.at("kind").get_to(value.kind);
  json.at("raised_at").get_to(value.raisedAt);
  getOr(json, "detail", value.detail);
  getOptional(json, "meter_id", value.meterId);
  getOptional(json, "gateway_id", value.gatewayId);
  getOptional(json, "cleared_at", value.clearedAt);
}

void to_json(nlohmann::json& json, const RechargeView& value) {
  json = {{"entry_id", value.entryId}, {"meter_id", value.meterId},
          {"kind", value.kind},        {"amount_fen", value.amountFen},
          {"source", value.source},    {"created_at", value.createdAt}};
  putOptional(json, "purchase_count", value.purchaseCount);
}

void from_json(const nlohmann::json& json, RechargeView& value) {
  json.at("entry_id").get_to(value.entryId);
  json.at("meter_id").get_to(value.meterId);
  json.at("kind").get_to(value.kind);
  json.at("amount_fen").get_to(value.amountFen);
  getOr(json, "source", value.source);
  json.at("created_at").get_to(value.createdAt);
  getOptional(json, "purchase_count", value.purchaseCount);
}

void to_json(nlohmann::json& json, const Receipt& value) {
  json = {{"receipt_number", value.receiptNumber},
          {"entry_id", value.entryId},
          {"site_name", value.siteName},
          {"shop_number", value.shopNumber},
          {"meter_serial", value.meterSerial},
          {"meter_id", value.meterId},
          {"kind", value.kind},
          {"amount_fen", value.amountFen},
          {"balance_after_fen", value.balanceAfterFen},
          {"operator", value.operatorName},
          {"payment_method", value.paymentMethod},
          {"created_at", value.createdAt}};
  putOptional(json, "purchase_count", value.purchaseCount);
  putOptional(json, "corrects_entry_id", value.correctsEntryId);
}

void from_json(const nlohmann::json& json, Receipt& value) {
  json.at("receipt_number").get_to(value.receiptNumber);
  json.at("entry_id").get_to(value.entryId);
  getOr(json, "site_name", value.siteName);
  getOr(json, "shop_number", value.shopNumber);
  getOr(json, "meter_serial", value.meterSerial);
  json.at("meter_id").get_to(value.meterId);
  json.at("kind").get_to(value.kind);
  json.at("amount_fen").get_to(value.amountFen);
  json.at("balance_after_fen").get_to(value.balanceAfterFen);
  getOr(json, "operator", value.operatorName);
  getOr(json, "payment_method", value.paymentMethod);
  json.at("created_at").get_to(value.createdAt);
  getOptional(json, "purchase_count", value.purchaseCount);
  getOptional(json, "corrects_entry_id", value.correctsEntryId);
}

void to_json(nlohmann::json& json, const Health& value) {
  json = {{"status", value.status},
          {"version", value.version},
          {"api_version", value.apiVersion},
          {"schema_version", value.schemaVersion},
          {"time", value.time}};
}

void from_json(const nlohmann::json& json, Health& value) {
  json.at("status").get_to(value.status);
  getOr(json, "version", value.version);
  getOr(json, "api_version", value.apiVersion);
  getOr(json, "schema_version", value.schemaVersion);
  getOr(json, "time", value.time);
}

}  // namespace prepaid::backend::api
