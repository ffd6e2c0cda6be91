#pragma once

// The four time-of-use rates (复费率) a meter and a tariff know.

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace prepaid::domain {

/// A time-of-use rate. The numeric order is the register order of meters (1..4 = 尖峰平谷).
enum class Rate {
  Sharp,   // 尖
  Peak,    // 峰
  Flat,    // 平
  Valley,  // 谷
};

inline constexpr std::size_t RateCount = 4;
inline constexpr std::array<Rate, RateCount> AllRates = {Rate::Sharp, Rate::Peak, Rate::Flat,
                                                         Rate::Valley};

/// Index 0..3 of a rate (for per-rate arrays).
[[nodiscard]] constexpr std::size_t indexOf(Rate rate) {
  return static_cast<std::size_t>(rate);
}

/// "sharp", "peak", "flat", "valley".
[[nodiscard]] constexpr std::string_view toString(Rate rate) {
  switch (rate) {
    case Rate::Sharp:
      return "sharp";
    case Rate::Peak:
      return "peak";
    case Rate::Flat:
      return "flat";
    case Rate::Valley:
      return "valley";
  }
  return "unknown";
}

/// Parses a name produced by toString(Rate); nullopt for anything else (case-sensitive).
[[nodiscard]] constexpr std::optional<Rate> parseRate(std::string_view name) {
  for (const auto rate : AllRates) {
    if (toString(rate) == name) {
      return rate;
    }
  }
  return std::nullopt;
}

}  // namespace prepaid::domain
