#pragma once

// Conversions between store/domain values and their column representation. Enum names are
// stable: they are data in users' databases.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "sqlite.hpp"

#include "prepaid/domain/billing_mode.hpp"
#include "prepaid/domain/energy.hpp"
#include "prepaid/domain/ledger.hpp"
#include "prepaid/domain/relay_state.hpp"
#include "prepaid/domain/time.hpp"
#include "prepaid/domain/trip_policy.hpp"
#include "prepaid/store/account_repository.hpp"
#include "prepaid/store/alarm_repository.hpp"
#include "prepaid/store/command_repository.hpp"
#include "prepaid/store/ids.hpp"
#include "prepaid/store/meter_repository.hpp"
#include "prepaid/store/reading_repository.hpp"

namespace prepaid::store::detail {

[[nodiscard]] inline std::int64_t toEpoch(domain::Instant instant) {
  return instant.time_since_epoch().count();
}
[[nodiscard]] inline domain::Instant fromEpoch(std::int64_t seconds) {
  return domain::Instant(std::chrono::seconds(seconds));
}
[[nodiscard]] inline std::optional<std::int64_t> toEpoch(std::optional<domain::Instant> instant) {
  if (!instant) {
    return std::nullopt;
  }
  return toEpoch(*instant);
}
[[nodiscard]] inline std::optional<domain::Instant> fromEpoch(std::optional<std::int64_t> value) {
  if (!value) {
    return std::nullopt;
  }
  return fromEpoch(*value);
}

/// Looks up the stored name of an enum value in a table of (value, name) pairs.
template <typename E, std::size_t N>
[[nodiscard]] constexpr std::string_view nameIn(
    const std::array<std::pair<E, std::string_view>, N>& table, E value) {
  for (const auto& [candidate, name] : table) {
    if (candidate == value) {
      return name;
    }
  }
  return "unknown";
}

/// Parses a stored name; an unknown name means the file holds data this code cannot interpret.
template <typename E, std::size_t N>
[[nodiscard]] E parseIn(const std::array<std::pair<E, std::string_view>, N>& table,
                        std::string_view text, std::string_view what) {
  for (const auto& [candidate, name] : table) {
    if (name == text) {
      return candidate;
    }
  }
  fail(StoreErrorCode::Corrupt, "unknown " + std::string(what) + " '" + std::string(text) + "'");
}

inline constexpr std::array<std::pair<LinkState, std::string_view>, 2> LinkStateNames = {
    {{LinkState::Online, "online"}, {LinkState::Lost, "lost"}}};
inline constexpr std::array<std::pair<domain::Medium, std::string_view>, 2> MediumNames = {
    {{domain::Medium::Electricity, "electricity"}, {domain::Medium::Water, "water"}}};
inline constexpr std::array<std::pair<MeterStatus, std::string_view>, 3> MeterStatusNames = {
    {{MeterStatus::NotOpened, "not_opened"},
     {MeterStatus::Opened, "opened"},
     {MeterStatus::Closed, "closed"}}};
inline constexpr std::array<std::pair<AccountState, std::string_view>, 2> AccountStateNames = {
    {{AccountState::Open, "open"}, {AccountState::Closed, "closed"}}};
inline constexpr std::array<std::pair<Granularity, std::string_view>, 3> GranularityNames = {
    {{Granularity::Hour, "hour"}, {Granularity::Day, "day"}, {Granularity::Month, "month"}}};
inline constexpr std::array<std::pair<CommandKind, std::string_view>, 9> CommandKindNames = {
    {{CommandKind::Recharge, "recharge"},
     {CommandKind::Price, "price"},
     {CommandKind::Settings, "settings"},
     {CommandKind::KeepPowerOn, "keep_power_on"},
     {CommandKind::KeepPowerOff, "keep_power_off"},
     {CommandKind::ResumePrepaid, "resume_prepaid"},
     {CommandKind::Trip, "trip"},
     {CommandKind::Close, "close"},
     {CommandKind::ReadNow, "read_now"}}};
inline constexpr std::array<std::pair<CommandState, std::string_view>, 5> CommandStateNames = {
    {{CommandState::Queued, "queued"},
     {CommandState::Sending, "sending"},
     {CommandState::Done, "done"},
     {CommandState::Failed, "failed"},
     {CommandState::OutcomeUnknown, "outcome_unknown"}}};
inline constexpr std::array<std::pair<AlarmKind, std::string_view>, 8> AlarmKindNames = {
    {{AlarmKind::Alarm1, "alarm1"},
     {AlarmKind::Alarm2, "alarm2"},
     {AlarmKind::Arrears, "arrears"},
     {AlarmKind::Overload, "overload"},
     {AlarmKind::LostContact, "lost_contact"},
     {AlarmKind::PurchaseCountMismatch, "purchase_count_mismatch"},
     {AlarmKind::OverVoltage, "over_voltage"},
     {AlarmKind::UnderVoltage, "under_voltage"}}};

[[nodiscard]] inline domain::EntryKind parseEntryKindColumn(std::string_view text) {
  if (auto kind = domain::parseEntryKind(text)) {
    return *kind;
  }
  fail(StoreErrorCode::Corrupt, "unknown ledger entry kind '" + std::string(text) + "'");
}
[[nodiscard]] inline domain::BillingMode parseBillingModeColumn(std::string_view text) {
  if (auto mode = domain::parseBillingMode(text)) {
    return *mode;
  }
  fail(StoreErrorCode::Corrupt, "unknown billing mode '" + std::string(text) + "'");
}
[[nodiscard]] inline domain::TripPolicyKind parseTripPolicyColumn(std::string_view text) {
  if (auto kind = domain::parseTripPolicyKind(text)) {
    return *kind;
  }
  fail(StoreErrorCode::Corrupt, "unknown trip policy '" + std::string(text) + "'");
}
[[nodiscard]] inline domain::RelayState parseRelayColumn(std::string_view text) {
  if (auto state = domain::parseRelayState(text)) {
    return *state;
  }
  fail(StoreErrorCode::Corrupt, "unknown relay state '" + std::string(text) + "'");
}

/// 0/1 flag columns for two-valued enums whose first enumerator means "no".
template <typename E>
[[nodiscard]] constexpr std::int64_t flag(E value) {
  return static_cast<std::int64_t>(value) == 0 ? 0 : 1;
}
template <typename E>
[[nodiscard]] constexpr E fromFlag(std::int64_t value) {
  return value == 0 ? static_cast<E>(0) : static_cast<E>(1);
}

/// The UTC instant of the site-local hour/day/month that contains `instant`.
[[nodiscard]] domain::Instant periodStart(domain::Instant instant, const domain::SiteTimeZone& zone,
                                          Granularity granularity);

}  // namespace prepaid::store::detail
