#pragma once

// The state of a meter's relay (磁保持继电器).

#include <optional>
#include <string_view>

namespace prepaid::domain {

enum class RelayState {
  Closed,  // power on (合闸)
  Open,    // power off (拉闸/跳闸)
};

/// "closed", "open".
[[nodiscard]] constexpr std::string_view toString(RelayState state) {
  switch (state) {
    case RelayState::Closed:
      return "closed";
    case RelayState::Open:
      return "open";
  }
  return "unknown";
}

/// Parses a name produced by toString(RelayState); nullopt for anything else.
[[nodiscard]] constexpr std::optional<RelayState> parseRelayState(std::string_view name) {
  for (const auto state : {RelayState::Closed, RelayState::Open}) {
    if (toString(state) == name) {
      return state;
    }
  }
  return std::nullopt;
}

}  // namespace prepaid::domain
