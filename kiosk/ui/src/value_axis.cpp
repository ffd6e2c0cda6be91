#include "prepaid/ui/value_axis.hpp"

#include <algorithm>

namespace prepaid::kiosk::ui {

namespace {

constexpr int MaxUnitDecimals = 18;

std::int64_t pow10(int exponent) {
  std::int64_t value = 1;
  for (int i = 0; i < exponent; ++i) {
    value *= 10;
  }
  return value;
}

// The smallest 1/2/5 x 10^k step that spans `maxUnits` in at most MaxTicks - 1 intervals.
// maxUnits <= 10^18 keeps every candidate below 10^18 and so inside int64.
std::int64_t stepFor(std::int64_t maxUnits) {
  const std::int64_t intervals = static_cast<std::int64_t>(ValueAxis::MaxTicks) - 1;
  for (std::int64_t decade = 1;; decade *= 10) {
    for (const std::int64_t mantissa : {1, 2, 5}) {
      const std::int64_t step = mantissa * decade;
      if ((maxUnits + step - 1) / step <= intervals) {
        return step;
      }
    }
  }
}

}  // namespace

std::string formatUnits(std::int64_t units, int unitDecimals, int decimals) {
  unitDecimals = std::clamp(unitDecimals, 0, MaxUnitDecimals);
  decimals = std::clamp(decimals, 0, unitDecimals);
  const bool negative = units < 0;
  // Unsigned so INT64_MIN has a magnitude.
  const std::uint64_t magnitude =
      negative ? static_cast<std::uint64_t>(-(units + 1)) + 1U : static_cast<std::uint64_t>(units);
  const auto scale = static_cast<std::uint64_t>(pow10(unitDecimals));
  std::string out;
  if (negative) {
    out.push_back('-');
  }
  out += std::to_string(magnitude / scale);
  if (decimals > 0) {
    const std::uint64_t fraction =
        (magnitude % scale) / static_cast<std::uint64_t>(pow10(unitDecimals - decimals));
    std::string digits = std::to_string(fraction);
    out.push_back('.');
    out.append(static_cast<std::size_t>(decimals) - digits.size(), '0');
    out += digits;
  }
  return out;
}

ValueAxis ValueAxis::forMaximum(std::int64_t maxUnits, int unitDecimals) {
  unitDecimals = std::clamp(unitDecimals, 0, MaxUnitDecimals);
  // No usage: an axis up to one displayed unit (1 yuan, 1 kWh) rather than a degenerate 0..0.
  std::int64_t span = std::clamp<std::int64_t>(maxUnits, 0, MaxUnits);
  if (span == 0) {
    span = pow10(unitDecimals);
  }
  ValueAxis axis;
  axis.m_step = stepFor(span);
  // At least two intervals: a maximum of one unit reads 0, 1, 2 units, not just 0 and 1.
  const std::int64_t intervals = std::max<std::int64_t>(static_cast<std::int64_t>(MinTicks) - 1,
                                                        (span + axis.m_step - 1) / axis.m_step);
  // The step's trailing zeros are decimals the labels do not need (step 50 fen: "0.5").
  int decimals = unitDecimals;
  for (std::int64_t step = axis.m_step; decimals > 0 && step % 10 == 0; step /= 10) {
    --decimals;
  }
  axis.m_decimals = decimals;
  for (std::int64_t i = 0; i <= intervals; ++i) {
    axis.m_ticks.push_back(i * axis.m_step);
    axis.m_labels.push_back(formatUnits(i * axis.m_step, unitDecimals, decimals));
  }
  return axis;
}

}  // namespace prepaid::kiosk::ui
