#include "prepaid/http/metrics.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace prepaid::backend::http
