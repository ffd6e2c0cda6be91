#pragma once

// Who keeps the balance of a meter (DOMAIN.md "Two billing modes").

#include <optional>
#include <string_view>

namespace prepaid::domain {

enum class BillingMode {
  MeterSide,   // 本地费控: the meter holds the balance and deducts by its own price
  ServerSide,  // 远程费控: the backend rates readings, keeps the balance, trips and closes
};

/// "meter_side", "server_side".
[[nodiscard]] constexpr std::string_view toString(BillingMode mode) {
  switch (mode) {
    case BillingMode::MeterSide:
      return "meter_side";
    case BillingMode::ServerSide:
      return "server_side";
  }
  return "unknown";
}

/// Parses a name produced by toString(BillingMode); nullopt for anything else.
[[nodiscard]] constexpr std::optional<BillingMode> parseBillingMode(std::string_view name) {
  for (const auto mode : {BillingMode::MeterSide, BillingMode::ServerSide}) {
    if (toString(mode) == name) {
      return mode;
    }
  }
  return std::nullopt;
}

}  // namespace prepaid::domain
