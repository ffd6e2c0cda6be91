#pragma once

// Wire types of the HTTP API that the kiosk (and later other clients) read, with their JSON
// mapping (to_json/from_json, found by nlohmann-json through ADL). Conventions (DESIGN.md "Wire
// conventions"): snake_case names, money as integer fen (`*_fen`), energy as integer 0.01 kWh
// (`*_centi_kwh`, 0.01 m³ for water meters), times as RFC 3339 strings with the site's offset.
// Arrays "by rate" have four entries in the order sharp, peak, flat, valley.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "prepaid/domain/rate.hpp"

namespace prepaid::backend::api {

using RateAmounts = std::array<std::int64_t, domain::RateCount>;

/// A meter's status as a tenant sees it (worst first wins: keep power, lost contact, tripped,
/// arrears, alarm 2, alarm 1, normal).
enum class MeterStatusCode {
  Normal,
  Alarm1,       // 报警1
  Alarm2,       // 报警2
  Arrears,      // 欠费
  Tripped,      // 拉闸: relay open
  LostContact,  // 失联
  KeepPower,    // 保电
};

/// Status colours of the staff batch view (DOMAIN.md): opened, alarm 1, alarm 2, arrears, not
/// opened, lost contact.
enum class StatusColour {
  Opened,
  Alarm1,
  Alarm2,
  Arrears,
  NotOpened,
  LostContact,
};

enum class DaysLeftState {
  Known,
  NotEnoughHistory,
  NoRecentUse,
  NoPrice,
};

/// "normal", "alarm1", "alarm2", "arrears", "tripped", "lost_contact", "keep_power".
[[nodiscard]] std::string_view toString(MeterStatusCode status);
[[nodiscard]] std::optional<MeterStatusCode> parseMeterStatusCode(std::string_view name);
/// "opened", "alarm1", "alarm2", "arrears", "not_opened", "lost_contact".
[[nodiscard]] std::string_view toString(StatusColour colour);
[[nodiscard]] std::optional<StatusColour> parseStatusColour(std::string_view name);
/// The display colour of a status colour as #rrggbb (green, yellow, orange, red, grey, purple).
[[nodiscard]] std::string_view colourHex(StatusColour colour);
/// "known", "not_enough_history", "no_recent_use", "no_price".
[[nodiscard]] std::string_view toString(DaysLeftState state);
[[nodiscard]] std::optional<DaysLeftState> parseDaysLeftState(std::string_view name);

/// One meter of an account at the kiosk. Without personal access (PIN required and not given)
/// only the identifying fields are filled and `personal` is false.
struct MeterView {
  std::int64_t meterId = 0;
  std::string serial;
  std::string medium;       // "electricity" | "water"
  std::string billingMode;  // "meter_side" | "server_side"
  bool personal = false;    // the fields below are meaningful
  std::int64_t balanceFen = 0;
  MeterStatusCode status = MeterStatusCode::Normal;
  std::string relay;  // "closed" | "open" | "unknown"
  std::optional<std::string> lastReadingAt;
  std::int64_t todayEnergyCentiKwh = 0;
  DaysLeftState daysLeftState = DaysLeftState::NotEnoughHistory;
  std::optional<std::int64_t> daysLeft;
  std::int64_t hoardingCapFen = 0;  // highest balance a recharge may reach
  bool salesBlocked = false;
  bool operator==(const MeterView&) const = default;
};

struct AccountView {
  std::int64_t accountId = 0;
  std::string shopNumber;
  std::string tenantName;  // masked (张*)
  std::string phone;       // masked (138****5678), empty when none
  bool pinRequired = false;
  bool personal = false;
  std::string tenantToken;  // for the kiosk's follow-up calls; empty without personal access
  std::int64_t tenantTokenExpiresInS = 0;
  std::vector<MeterView> meters;
  bool operator==(const AccountView&) const = default;
};

struct UsagePoint {
  std::string periodStart;
  std::int64_t energyCentiKwh = 0;
  RateAmounts energyByRateCentiKwh{};
  std::int64_t moneyFen = 0;
  RateAmounts moneyByRateFen{};
  bool operator==(const UsagePoint&) const = default;
};

struct UsageSeries {
  std::int64_t meterId = 0;
  std::string granularity;  // "hour" | "day" | "month"
  std::vector<UsagePoint> points;
  bool operator==(const UsageSeries&) const = default;
};

struct AlarmView {
  std::int64_t alarmId = 0;
  std::optional<std::int64_t> meterId;
  std::optional<std::int64_t> gatewayId;
  std::string kind;  // store alarm kind names ("alarm1", "lost_contact", …)
  std::string raisedAt;
  std::optional<std::string> clearedAt;
  std::string detail;
  bool operator==(const AlarmView&) const = default;
};

struct RechargeView {
  std::int64_t entryId = 0;
  std::int64_t meterId = 0;
  std::string kind;  // "recharge" | "refund" | "correction"
  std::int64_t amountFen = 0;
  std::optional<std::int64_t> purchaseCount;
  std::string source;  // "pay", operator name, …
  std::string createdAt;
  bool operator==(const RechargeView&) const = default;
};

/// What a receipt shows (the kiosk prints it; staff consoles print or show it).
struct Receipt {
  std::string receiptNumber;  // stable: "R" + ledger entry id
  std::int64_t entryId = 0;
  std::string siteName;
  std::string shopNumber;
  std::string meterSerial;
  std::int64_t meterId = 0;
  std::string kind;  // "recharge" | "refund" | "correction"
  std::int64_t amountFen = 0;
  std::int64_t balanceAfterFen = 0;
  std::optional<std::int64_t> purchaseCount;
  std::string operatorName;   // who sold it ("" for a kiosk payment)
  std::string paymentMethod;  // "cash", "wechat", "alipay", …
  std::optional<std::int64_t> correctsEntryId;
  std::string createdAt;
  bool operator==(const Receipt&) const = default;
};

struct Health {
  std::string status;  // "ok"
  std::string version;
  std::string apiVersion;
  std::int64_t schemaVersion = 0;
  std::string time;
  bool operator==(const Health&) const = default;
};

void to_json(nlohmann::json& json, const MeterView& value);
void from_json(const nlohmann::json& json, MeterView& value);
void to_json(nlohmann::json& json, const AccountView& value);
void from_json(const nlohmann::json& json, AccountView& value);
void to_json(nlohmann::json& json, const UsagePoint& value);
void from_json(const nlohmann::json& json, UsagePoint& value);
void to_json(nlohmann::json& json, const UsageSeries& value);
void from_json(const nlohmann::json& json, UsageSeries& value);
void to_json(nlohmann::json& json, const AlarmView& value);
void from_json(const nlohmann::json& json, AlarmView& value);
void to_json(nlohmann::json& json, const RechargeView& value);
void from_json(const nlohmann::json& json, RechargeView& value);
void to_json(nlohmann::json& json, const Receipt& value);
void from_json(const nlohmann::json& json, Receipt& value);
void to_json(nlohmann::json& json, const Health& value);
void from_json(const nlohmann::json& json, Health& value);

}  // namespace prepaid::backend::api
