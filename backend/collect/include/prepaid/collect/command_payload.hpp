#pragma once

// The text payloads of queued commands (store::Command::payload), written by CommandService and
// billing, read by the bus worker. Format: `key=value` pairs separated by `;`, integers only,
// units in the keys. Every key is optional; what is missing comes from the meter's configuration
// or the site defaults when the command is sent.
//
//   recharge  amount_fen=10000              (the ledger entry's amount wins when linked)
//   price     sharp=1200000;peak=1000000;flat=800000;valley=400000   micro-yuan per kWh
//             or unit_micro_yuan=1000000    (all four rates)
//   settings  alarm1_fen=5000;alarm2_fen=2000;overload_w=10000

#include <array>
#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "prepaid/domain/rate.hpp"

namespace prepaid::backend::collect {

/// Parses `key=value;…` with int64 values. Error: a message naming the bad part.
[[nodiscard]] std::expected<std::map<std::string, std::int64_t>, std::string> parsePayload(
    std::string_view payload);
/// The inverse of parsePayload (keys in map order).
[[nodiscard]] std::string formatPayload(const std::map<std::string, std::int64_t>& values);

struct PricePayload {
  std::array<std::optional<std::int64_t>, domain::RateCount> microYuan;  // by domain::indexOf
};
struct SettingsPayload {
  std::optional<std::int64_t> alarm1Fen;
  std::optional<std::int64_t> alarm2Fen;
  std::optional<std::int64_t> overloadW;
};

/// Errors: unknown key, negative value, bad syntax.
[[nodiscard]] std::expected<PricePayload, std::string> parsePricePayload(std::string_view payload);
[[nodiscard]] std::expected<SettingsPayload, std::string> parseSettingsPayload(
    std::string_view payload);
/// amount_fen (or a bare integer); nullopt when the payload names no amount.
[[nodiscard]] std::expected<std::optional<std::int64_t>, std::string> parseRechargePayload(
    std::string_view payload);

[[nodiscard]] std::string formatPricePayload(const PricePayload& prices);
[[nodiscard]] std::string formatSettingsPayload(const SettingsPayload& settings);

}  // namespace prepaid::backend::collect
