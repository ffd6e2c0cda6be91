#pragma once

// The value axis of a usage chart: "nice" ticks (a step of 1, 2 or 5 x 10^k of the value's
// smallest unit) computed in integer units (fen, 0.01 kWh, 0.01 m³), never in floating point, so
// every label is distinct and exact at any scale, from one fen to billions of yuan.

#include <cstdint>
#include <string>
#include <vector>

namespace prepaid::kiosk::ui {

class ValueAxis {
 public:
  /// Fewest and most ticks (0 included) an axis has.
  static constexpr std::size_t MinTicks = 3;
  static constexpr std::size_t MaxTicks = 6;
  /// Largest maximum the axis covers (10^18 units); a larger one is clamped to it so tick
  /// arithmetic never overflows int64 (bars above it are clipped by the chart).
  static constexpr std::int64_t MaxUnits = 1'000'000'000'000'000'000;

  /// The axis for data whose largest value is `maxUnits` (in the smallest unit; negative counts
  /// as 0). `unitDecimals` is how many decimals one unit is of the displayed unit (2: fen in
  /// yuan, 0.01 kWh in kWh); 0..18. Empty data (0) gets the axis 0 .. 1 displayed unit.
  /// Ticks run from 0 up to a multiple of the step at or above the maximum.
  [[nodiscard]] static ValueAxis forMaximum(std::int64_t maxUnits, int unitDecimals = 2);

  /// Tick values in units, strictly increasing from 0; MinTicks..MaxTicks of them.
  [[nodiscard]] const std::vector<std::int64_t>& ticks() const { return m_ticks; }
  /// The distance between two ticks, in units (1, 2 or 5 x 10^k, at least 1).
  [[nodiscard]] std::int64_t step() const { return m_step; }
  /// The last tick: the value drawn at the top of the plot.
  [[nodiscard]] std::int64_t top() const { return m_ticks.back(); }
  /// Decimals the labels show: no more than the unit allows, no more than the step needs.
  [[nodiscard]] int decimals() const { return m_decimals; }
  /// The label of each tick ("0", "0.5", "0.01", "2000"), same order as ticks().
  [[nodiscard]] const std::vector<std::string>& labels() const { return m_labels; }

 private:
  std::vector<std::int64_t> m_ticks;
  std::vector<std::string> m_labels;
  std::int64_t m_step = 1;
  int m_decimals = 0;
};

/// `units` as a decimal number of the displayed unit with exactly `decimals` decimals, where one
/// unit is 10^-unitDecimals (formatUnits(150, 2, 1) == "1.5"); `decimals` <= unitDecimals, and a
/// value that does not fit is rounded toward zero. Exact: integer arithmetic only.
[[nodiscard]] std::string formatUnits(std::int64_t units, int unitDecimals, int decimals);

}  // namespace prepaid::kiosk::ui
