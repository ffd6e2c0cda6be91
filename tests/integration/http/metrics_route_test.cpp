// GET /metrics: orders by state (counted in the store), collection pass time per gateway (from a
// MetricsProvider fed with engine stats), Prometheus text format 0.0.4.

#include <regex>
#include <sstream>

#include "api_fixture.hpp"

#include "prepaid/http/collection_metrics.hpp"
#include "prepaid/store/order_repository.hpp"

namespace prepaid::backend::http::testing {
namespace {

class FixedCollectionMetrics final : public MetricsProvider {
 public:
  void collectMetrics(std::vector<MetricSample>& out) const override {
    collect::EngineStats stats;
    stats.gateways = 2;
    stats.polls = 640;
    collect::GatewayPassStats north;
    north.gatewayId = 3;
    north.gatewayName = "gw \"north\"\\1";
    north.passes = 5;
    north.lastPass = std::chrono::milliseconds(1500);
    north.lastPassBusy = std::chrono::milliseconds(1250);
    north.lastPassMeters = 32;
    collect::GatewayPassStats fresh;
    fresh.gatewayId = 4;
    fresh.gatewayName = "gw4";
    stats.passes = {north, fresh};
    appendCollectionSamples(stats, out);
  }
};

class MetricsRouteTest : public ApiFixture {
 protected:
  void beforeServer() override { m_metricsProviders = {&m_collection}; }

  void addOrder(std::int64_t meterId, store::PaymentOrderState state, int n) {
    const auto now = m_clock();
    ASSERT_TRUE(
        m_store->write([&](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
          store::PaymentOrder order;
          order.orderNo = "P" + std::to_string(n);
          order.idempotencyKey = "k" + std::to_string(n);
          order.meterId = meterId;
          order.amountFen = 10000;
          order.provider = "wechat";
          order.state = state;
          if (state == store::PaymentOrderState::Paid ||
              state == store::PaymentOrderState::Refunded) {
            order.paidFen = order.amountFen;  // the store insists paid orders say how much
            order.paidAt = now;
          }
          order.createdAt = order.updatedAt = order.expiresAt = order.nextCheckAt = now;
          auto added = tx.orders().add(order);
          if (!added) {
            return std::unexpected(added.error());
          }
          return {};
        }));
  }

  FixedCollectionMetrics m_collection;
};

TEST_F(MetricsRouteTest, OrdersByStateAndPassTimeInPrometheusText) {
  const auto site = makeSite(1);
  int n = 0;
  for (const auto state : {store::PaymentOrderState::Created, store::PaymentOrderState::Created,
                           store::PaymentOrderState::Paid, store::PaymentOrderState::Expired,
                           store::PaymentOrderState::Refunded}) {
    addOrder(site.meterIds[0], state, ++n);
  }
  const auto reply = call("GET", "/metrics");
  ASSERT_EQ(reply.status, 200);
  const auto type = reply.headers.find("Content-Type");
  ASSERT_NE(type, reply.headers.end());
  EXPECT_EQ(type->second, "text/plain; version=0.0.4");
  const auto& text = reply.body;
  const auto has = [&](const std::string& line) {
    return text.find("\n" + line + "\n") != std::string::npos;
  };
  EXPECT_TRUE(has("# TYPE prepaid_orders gauge"));
  EXPECT_TRUE(has("prepaid_orders{state=\"created\"} 2"));
  EXPECT_TRUE(has("prepaid_orders{state=\"paid\"} 1"));
  EXPECT_TRUE(has("prepaid_orders{state=\"expired\"} 1"));
  EXPECT_TRUE(has("prepaid_orders{state=\"refunded\"} 1"));
  EXPECT_TRUE(has("prepaid_orders{state=\"crediting\"} 0"));  // every state, also when empty

  EXPECT_TRUE(has("# TYPE prepaid_collection_pass_seconds gauge"));
  EXPECT_TRUE(
      has("prepaid_collection_pass_seconds{gateway=\"gw \\\"north\\\"\\\\1\","
          "gateway_id=\"3\"} 1.5"))
      << text;
  EXPECT_TRUE(
      has("prepaid_collection_pass_busy_seconds{gateway=\"gw \\\"north\\\"\\\\1\","
          "gateway_id=\"3\"} 1.25"));
  EXPECT_TRUE(has("# TYPE prepaid_collection_passes_total counter"));
  EXPECT_TRUE(has("prepaid_collection_passes_total{gateway=\"gw4\",gateway_id=\"4\"} 0"));
  // No pass yet: no duration sample rather than a misleading 0.
  EXPECT_EQ(text.find("prepaid_collection_pass_seconds{gateway=\"gw4\""), std::string::npos);

  // Every line is a comment or `name{labels} value`; each metric has one HELP and one TYPE.
  const std::regex sample(R"re(^[a-z_:][a-z0-9_:]*(\{([a-z_]+="([^"\\]|\\.)*",?)+\})? \S+$)re");
  std::map<std::string, int> types;
  std::int64_t orderLines = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("# TYPE ")) {
      ++types[line.substr(7, line.find(' ', 7) - 7)];
      continue;
    }
    if (line.starts_with("# HELP ")) {
      continue;
    }
    EXPECT_TRUE(std::regex_match(line, sample)) << line;
    orderLines += line.starts_with("prepaid_orders{") ? 1 : 0;
  }
  EXPECT_EQ(orderLines, 14);
  for (const auto& [name, count] : types) {
    EXPECT_EQ(count, 1) << name;
  }
}

}  // namespace
}  // namespace prepaid::backend::http::testing
