#pragma once

// GET /metrics (Prometheus text format 0.0.4). The server itself contributes what it can read
// from the store (meters online/lost, commands by state, open alarms) and its own request
// counters; services add theirs through MetricsProvider (collection: pass time; payments: orders
// by state), registered at construction.

#include <string>
#include <string_view>
#include <vector>

namespace prepaid::backend::http {

/// One sample. `labels` is already in Prometheus form without braces (`state="paid"`) or empty.
struct MetricSample {
  std::string name;  // e.g. "prepaid_collection_pass_seconds"
  std::string help;  // one line
  std::string type;  // "gauge" | "counter"
  std::string labels;
  double value = 0;  // Prometheus values are floats; money is never exported here
};

class MetricsProvider {
 public:
  virtual ~MetricsProvider() = default;
  /// Appends the provider's current samples. Called on an HTTP worker thread for every scrape:
  /// must be thread-safe and cheap (no bus I/O); must not throw.
  virtual void collectMetrics(std::vector<MetricSample>& out) const = 0;
};

/// `name="value"` with the value escaped for the text format (backslash, double quote, newline),
/// for MetricSample::labels. Join several with ','.
[[nodiscard]] std::string prometheusLabel(std::string_view name, std::string_view value);

/// Renders samples as Prometheus text: one HELP/TYPE header per metric name (first occurrence
/// wins), samples grouped by name in first-seen order.
[[nodiscard]] std::string renderPrometheus(const std::vector<MetricSample>& samples);

}  // namespace prepaid::backend::http
