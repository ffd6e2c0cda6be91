#include "prepaid/http/metrics.hpp"

#include <gtest/gtest.h>

#include "prepaid/http/collection_metrics.hpp"

namespace prepaid::backend::http {
namespace {

TEST(MetricsTest, RendersPrometheusTextGroupedByName) {
  std::vector<MetricSample> samples = {
      {"prepaid_meters", "Meters", "gauge", "link=\"online\"", 118},
      {"prepaid_collection_pass_seconds", "Pass time", "gauge", "", 12.5},
      {"prepaid_meters", "Meters", "gauge", "link=\"lost\"", 2},
  };
  EXPECT_EQ(renderPrometheus(samples),
            "# HELP prepaid_meters Meters\n"
            "# TYPE prepaid_meters gauge\n"
            "prepaid_meters{link=\"online\"} 118\n"
            "prepaid_meters{link=\"lost\"} 2\n"
            "# HELP prepaid_collection_pass_seconds Pass time\n"
            "# TYPE prepaid_collection_pass_seconds gauge\n"
            "prepaid_collection_pass_seconds 12.5\n");
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  EXPECT_EQ(prometheusLabel("gateway", "gw1"), "gateway=\"gw1\"");
  EXPECT_EQ(prometheusLabel("gateway", "a\"b\\c\nd"), "gateway=\"a\\\"b\\\\c\\nd\"");
}

TEST(MetricsTest, CollectionSamplesHavePassTimePerGateway) {
  collect::EngineStats stats;
  stats.gateways = 2;
  stats.polls = 10;
  collect::GatewayPassStats done;
  done.gatewayId = 1;
  done.gatewayName = "east";
  done.passes = 3;
  done.lastPass = std::chrono::milliseconds(2500);
  done.lastPassBusy = std::chrono::milliseconds(2000);
  done.lastPassMeters = 32;
  collect::GatewayPassStats none;
  none.gatewayId = 2;
  none.gatewayName = "west";
  stats.passes = {done, none};
  std::vector<MetricSample> samples;
  appendCollectionSamples(stats, samples);
  const auto text = renderPrometheus(samples);
  EXPECT_NE(text.find("prepaid_collection_polls_total 10\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE prepaid_collection_pass_seconds gauge\n"
                      "prepaid_collection_pass_seconds{gateway=\"east\",gateway_id=\"1\"} 2.5\n"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find("prepaid_collection_pass_busy_seconds{gateway=\"east\",gateway_id=\"1\"} 2\n"),
      std::string::npos);
  EXPECT_NE(text.find("prepaid_collection_pass_meters{gateway=\"east\",gateway_id=\"1\"} 32\n"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE prepaid_collection_passes_total counter\n"
                      "prepaid_collection_passes_total{gateway=\"east\",gateway_id=\"1\"} 3\n"
                      "prepaid_collection_passes_total{gateway=\"west\",gateway_id=\"2\"} 0\n"),
            std::string::npos);
  EXPECT_EQ(text.find("pass_seconds{gateway=\"west\""), std::string::npos);
}

}  // namespace
}  // namespace prepaid::backend::http
