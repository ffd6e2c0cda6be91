#pragma once

// Trip policy (DOMAIN.md "Alarms and control"): when a server-side meter in arrears is tripped.

#include <optional>
#include <string_view>

#include "prepaid/domain/relay_state.hpp"

namespace prepaid::domain {

enum class TripPolicyKind {
  Immediate,  // 欠费即跳闸: trip as soon as the account is in arrears
  Never,      // 欠费不跳闸: never trip for arrears
  Delayed,    // 欠费延时跳闸: trip at the configured check time of day
};

/// "immediate", "never", "delayed".
[[nodiscard]] constexpr std::string_view toString(TripPolicyKind kind) {
  switch (kind) {
    case TripPolicyKind::Immediate:
      return "immediate";
    case TripPolicyKind::Never:
      return "never";
    case TripPolicyKind::Delayed:
      return "delayed";
  }
  return "unknown";
}

/// Parses a name produced by toString(TripPolicyKind); nullopt for anything else.
[[nodiscard]] constexpr std::optional<TripPolicyKind> parseTripPolicyKind(std::string_view name) {
  for (const auto kind :
       {TripPolicyKind::Immediate, TripPolicyKind::Never, TripPolicyKind::Delayed}) {
    if (toString(kind) == name) {
      return kind;
    }
  }
  return std::nullopt;
}

}  // namespace prepaid::domain
