#include "prepaid/viewmodels/usage_view_model.hpp"

namespace prepaid::kiosk {

namespace {

// 1, 2, 5 x 10^n at or above `value`, so axis labels are round numbers.
std::int64_t niceCeiling(std::int64_t value) {
  if (value <= 0) {
    return 100;
  }
  std::int64_t step = 1;
  while (step < value) {
    if (step * 2 >= value) {
      return step * 2;
    }
    if (step * 5 >= value) {
      return step * 5;
    }
    step *= 10;
  }
  return step;
}

std::string labelOf(const std::string& periodStart, std::string_view granularity) {
  // period_start is RFC 3339 local time: YYYY-MM-DDTHH:MM:SS+08:00.
  if (granularity == "hour" && periodStart.size() >= 13) {
    return periodStart.substr(11, 2);
  }
  if (granularity == "day" && periodStart.size() >= 10) {
    return periodStart.substr(5, 5);
  }
  if (periodStart.size() >= 7) {
    return periodStart.substr(0, 7);
  }
  return periodStart;
}

}  // namespace

void UsageViewModel::reset() {
  m_meterId = 0;
  m_granularity = Granularity::Hour;
  m_metric = UsageMetric::Energy;
  m_series.reset();
  m_loading = false;
  m_needsRetry = false;
  m_message = {};
  ++m_request;
}

void UsageViewModel::open(std::int64_t meterId) {
  if (meterId == 0 && m_context.hasTenant && !m_context.tenant.account.meters.empty()) {
    meterId = m_context.tenant.account.meters.front().meterId;
  }
  if (meterId != m_meterId) {
    m_series.reset();
  }
  m_meterId = meterId;
  reload();
}

void UsageViewModel::setGranularity(Granularity granularity) {
  if (granularity == m_granularity && m_series) {
    return;
  }
  m_granularity = granularity;
  m_series.reset();
  reload();
}

void UsageViewModel::reload() {
  if (!m_context.hasTenant || !m_context.tenant.personal() || m_meterId == 0) {
    return;
  }
  m_loading = true;
  m_needsRetry = false;
  m_message = {};
  const auto id = ++m_request;
  const auto generation = m_context.generation;
  const auto accountId = m_context.tenant.account.accountId;
  const auto token = m_context.tenant.account.tenantToken;
  const auto meterId = m_meterId;
  const auto granularity = m_granularity;
  ApiClient& api = m_context.api;
  m_context.runner.run(
      [=, this, &api]() -> Continuation {
        auto result = api.usage(accountId, meterId, granularity, token);
        return [result = std::move(result), id, generation, this]() {
          if (id != m_request || generation != m_context.generation) {
            return;
          }
          m_loading = false;
          if (m_context.reportLink) {
            m_context.reportLink(result.has_value() || !result.error().offline());
          }
          if (!result) {
            m_message = explain(result.error());
            m_needsRetry = result.error().offline();
            return;
          }
          m_series = *result;
        };
      },
      [id, generation, this](const std::string&) {
        if (id != m_request || generation != m_context.generation) {
          return;
        }
        m_loading = false;
        m_message = {"error.generic", {}};
      });
}

ChartModel UsageViewModel::makeChart(const api::UsageSeries& series, UsageMetric metric) {
  ChartModel chart;
  chart.unitKey = metric == UsageMetric::Energy ? "unit.kwh" : "unit.yuan";
  for (const auto& point : series.points) {
    ChartBar bar;
    bar.label = labelOf(point.periodStart, series.granularity);
    const auto& byRate =
        metric == UsageMetric::Energy ? point.energyByRateCentiKwh : point.moneyByRateFen;
    std::int64_t rateSum = 0;
    for (std::size_t i = 0; i < bar.byRate.size(); ++i) {
      bar.byRate[i] = std::max<std::int64_t>(0, byRate[i]);
      rateSum += bar.byRate[i];
    }
    bar.total = metric == UsageMetric::Energy ? point.energyCentiKwh : point.moneyFen;
    // A meter without TOU registers reports only the total: draw it as "flat".
    if (rateSum == 0 && bar.total > 0) {
      bar.byRate[2] = bar.total;
    }
    chart.maxTotal = std::max(chart.maxTotal, bar.total);
    chart.sum += bar.total;
    chart.bars.push_back(std::move(bar));
  }
  chart.axisMax = niceCeiling(chart.maxTotal);
  return chart;
}

ChartModel UsageViewModel::chart() const {
  if (!m_series) {
    return ChartModel{};
  }
  return makeChart(*m_series, m_metric);
}

}  // namespace prepaid::kiosk
