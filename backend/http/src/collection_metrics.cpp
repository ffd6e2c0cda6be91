#include "prepaid/http/collection_metrics.hpp"

#include <string>

namespace prepaid::backend::http {

namespace {

double seconds(std::chrono::nanoseconds duration) {
  return std::chrono::duration<double>(duration).count();
}

}  // namespace

void appendCollectionSamples(const collect::EngineStats& stats, std::vector<MetricSample>& out) {
  const auto add = [&out](const char* name, const char* help, const char* type,
                          std::int64_t value) {
    out.push_back({name, help, type, "", static_cast<double>(value)});
  };
  add("prepaid_collection_gateway_workers", "Gateway workers running", "gauge", stats.gateways);
  add("prepaid_collection_polls_total", "Successful meter snapshot reads", "counter", stats.polls);
  add("prepaid_collection_poll_failures_total", "Failed meter snapshot reads", "counter",
      stats.pollFailures);
  add("prepaid_collection_commands_done_total", "Commands confirmed by meters", "counter",
      stats.commandsDone);
  add("prepaid_collection_commands_failed_total", "Commands failed", "counter",
      stats.commandsFailed);
  add("prepaid_collection_lost_contact_total", "Meters that lost contact (raised)", "counter",
      stats.metersLost);
  for (const auto& pass : stats.passes) {
    // Both the name (what staff know) and the id (stable across renames) label a gateway.
    const auto labels = prometheusLabel("gateway", pass.gatewayName) + "," +
                        prometheusLabel("gateway_id", std::to_string(pass.gatewayId));
    out.push_back({"prepaid_collection_passes_total",
                   "Full collection passes completed on a gateway's bus", "counter", labels,
                   static_cast<double>(pass.passes)});
    if (pass.passes == 0) {
      continue;  // no duration yet: absent rather than a misleading 0
    }
    out.push_back({"prepaid_collection_pass_seconds",
                   "Duration of the last full pass over every meter of a bus (commands included)",
                   "gauge", labels, seconds(pass.lastPass)});
    out.push_back({"prepaid_collection_pass_busy_seconds",
                   "Time spent polling during the last full pass of a bus", "gauge", labels,
                   seconds(pass.lastPassBusy)});
    out.push_back({"prepaid_collection_pass_meters", "Meters attempted in the last full pass",
                   "gauge", labels, static_cast<double>(pass.lastPassMeters)});
  }
}

}  // namespace prepaid::backend::http
