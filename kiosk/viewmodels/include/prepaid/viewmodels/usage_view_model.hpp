#pragma once

// Usage charts: today by hour, the last 30 days, the last 12 months; energy or money; each bar
// split by TOU rate (sharp, peak, flat, valley).

#include <array>

#include "prepaid/viewmodels/session_context.hpp"

namespace prepaid::kiosk {

enum class UsageMetric { Energy, Money };

struct ChartBar {
  std::string label;                     // "08" (hour), "05-01" (day), "2024-05" (month)
  std::array<std::int64_t, 4> byRate{};  // sharp, peak, flat, valley (0.01 kWh or fen)
  std::int64_t total = 0;
};

struct ChartModel {
  std::vector<ChartBar> bars;
  std::int64_t maxTotal = 0;  // largest bar
  std::int64_t axisMax = 0;   // rounded up "nice" maximum for the value axis
  std::int64_t sum = 0;       // total of the period
  std::string unitKey;        // "unit.kwh" | "unit.yuan"
};

class UsageViewModel {
 public:
  explicit UsageViewModel(SessionContext& context) : m_context(context) {}

  void reset();
  /// Opens the chart of a meter (first meter when 0) and loads the current granularity.
  void open(std::int64_t meterId);
  void setGranularity(Granularity granularity);
  void setMetric(UsageMetric metric) { m_metric = metric; }
  void reload();

  [[nodiscard]] std::int64_t meterId() const { return m_meterId; }
  [[nodiscard]] Granularity granularity() const { return m_granularity; }
  [[nodiscard]] UsageMetric metric() const { return m_metric; }
  [[nodiscard]] bool loading() const { return m_loading; }
  [[nodiscard]] const Message& message() const { return m_message; }
  [[nodiscard]] bool needsRetry() const { return m_needsRetry; }
  /// The bars to draw (empty while loading or when the meter has no data).
  [[nodiscard]] ChartModel chart() const;
  /// Builds a chart from a series (public for tests).
  [[nodiscard]] static ChartModel makeChart(const api::UsageSeries& series, UsageMetric metric);

 private:
  SessionContext& m_context;
  std::int64_t m_meterId = 0;
  Granularity m_granularity = Granularity::Hour;
  UsageMetric m_metric = UsageMetric::Energy;
  std::optional<api::UsageSeries> m_series;
  bool m_loading = false;
  bool m_needsRetry = false;
  Message m_message;
  std::uint64_t m_request = 0;
};

}  // namespace prepaid::kiosk
