#include "codec.hpp"
#include "sqlite_repositories.hpp"

namespace prepaid::store::detail {

namespace {

inline constexpr std::array<std::pair<RelayOpener, std::string_view>, 2> RelayOpenerNames = {
    {{RelayOpener::Unknown, "unknown"}, {RelayOpener::Billing, "billing"}}};

domain::BalanceLevel parseLevel(std::string_view text) {
  if (auto level = domain::parseBalanceLevel(text)) {
    return *level;
  }
  fail(StoreErrorCode::Corrupt, "unknown balance level '" + std::string(text) + "'");
}

}  // namespace

std::expected<std::optional<MeterBillingState>, StoreError> SqliteBillingStateRepository::state(
    MeterId meter) const {
  return guard([&]() -> std::optional<MeterBillingState> {
    auto row = m_ctx.db().prepare(
        "SELECT processed_through, baseline_at, baseline_total_centi_kwh, baseline_has_rates, "
        "baseline_sharp_centi_kwh, baseline_peak_centi_kwh, baseline_flat_centi_kwh, "
        "baseline_valley_centi_kwh, usage_year, usage_month, month_usage_centi_kwh, "
        "year_usage_centi_kwh, carry_nano_yuan, balance_level, notified_level, arrears_since, "
        "relay_opener, last_anomaly, last_anomaly_at, updated_at "
        "FROM meter_billing_state WHERE meter_id = ?1");
    row.bindAll(meter);
    if (!row.step()) {
      return std::nullopt;
    }
    MeterBillingState s;
    s.meterId = meter;
    s.processedThrough = fromEpoch(row.optInt64(0));
    if (const auto at = row.optInt64(1)) {
      RegisterBaseline baseline;
      baseline.readAt = fromEpoch(*at);
      baseline.energyTotalCentiKwh = row.int64(2);
      if (row.int64(3) != 0) {
        baseline.energyByRateCentiKwh =
            RateEnergies{row.int64(4), row.int64(5), row.int64(6), row.int64(7)};
      }
      s.baseline = baseline;
    }
    if (const auto year = row.optInt64(8)) {
      s.rating.usageMonth = std::chrono::year(static_cast<int>(*year)) /
                            std::chrono::month(static_cast<unsigned>(row.int64(9)));
    }
    s.rating.monthUsage = domain::Energy::fromCentiKwh(row.int64(10));
    s.rating.yearUsage = domain::Energy::fromCentiKwh(row.int64(11));
    auto carry = domain::FenCarry::fromRemainder(row.int64(12));
    if (!carry) {
      fail(StoreErrorCode::Corrupt, "meter_billing_state: carry out of range");
    }
    s.rating.carry = *carry;
    s.balanceAlarm.level = parseLevel(row.text(13));
    s.balanceAlarm.notified = parseLevel(row.text(14));
    s.arrearsSince = fromEpoch(row.optInt64(15));
    s.relayOpener = parseIn(RelayOpenerNames, row.text(16), "relay opener");
    s.lastAnomaly = row.text(17);
    s.lastAnomalyAt = fromEpoch(row.optInt64(18));
    s.updatedAt = fromEpoch(row.int64(19));
    return s;
  });
}

std::expected<void, StoreError> SqliteBillingStateRepository::save(const MeterBillingState& s) {
  return guard([&] {
    if (s.rating.monthUsage.centiKwh() < 0 || s.rating.yearUsage.centiKwh() < 0) {
      fail(StoreErrorCode::InvalidArgument,
           "meter " + std::to_string(s.meterId) + ": negative usage counters");
    }
    const RateEnergies rates = s.baseline && s.baseline->energyByRateCentiKwh
                                   ? *s.baseline->energyByRateCentiKwh
                                   : RateEnergies{};
    std::optional<std::int64_t> usageYear;
    std::optional<std::int64_t> usageMonth;
    if (s.rating.usageMonth) {
      usageYear = static_cast<int>(s.rating.usageMonth->year());
      usageMonth = static_cast<unsigned>(s.rating.usageMonth->month());
    }
    std::optional<std::int64_t> baselineAt;
    std::optional<std::int64_t> baselineTotal;
    if (s.baseline) {
      baselineAt = toEpoch(s.baseline->readAt);
      baselineTotal = s.baseline->energyTotalCentiKwh;
    }
    const std::int64_t hasRates = s.baseline && s.baseline->energyByRateCentiKwh ? 1 : 0;
    m_ctx.db().run(
        "INSERT INTO meter_billing_state (meter_id, processed_through, baseline_at, "
        "baseline_total_centi_kwh, baseline_has_rates, baseline_sharp_centi_kwh, "
        "baseline_peak_centi_kwh, baseline_flat_centi_kwh, baseline_valley_centi_kwh, usage_year, "
        "usage_month, month_usage_centi_kwh, year_usage_centi_kwh, carry_nano_yuan, "
        "balance_level, notified_level, arrears_since, relay_opener, last_anomaly, "
        "last_anomaly_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
        "?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21) "
        "ON CONFLICT (meter_id) DO UPDATE SET processed_through = excluded.processed_through, "
        "baseline_at = excluded.baseline_at, "
        "baseline_total_centi_kwh = excluded.baseline_total_centi_kwh, "
        "baseline_has_rates = excluded.baseline_has_rates, "
        "baseline_sharp_centi_kwh = excluded.baseline_sharp_centi_kwh, "
        "baseline_peak_centi_kwh = excluded.baseline_peak_centi_kwh, "
        "baseline_flat_centi_kwh = excluded.baseline_flat_centi_kwh, "
        "baseline_valley_centi_kwh = excluded.baseline_valley_centi_kwh, "
        "usage_year = excluded.usage_year, usage_month = excluded.usage_month, "
        "month_usage_centi_kwh = excluded.month_usage_centi_kwh, "
        "year_usage_centi_kwh = excluded.year_usage_centi_kwh, "
        "carry_nano_yuan = excluded.carry_nano_yuan, balance_level = excluded.balance_level, "
        "notified_level = excluded.notified_level, arrears_since = excluded.arrears_since, "
        "relay_opener = excluded.relay_opener, last_anomaly = excluded.last_anomaly, "
        "last_anomaly_at = excluded.last_anomaly_at, updated_at = excluded.updated_at",
        s.meterId, toEpoch(s.processedThrough), baselineAt, baselineTotal, hasRates, rates[0],
        rates[1], rates[2], rates[3], usageYear, usageMonth, s.rating.monthUsage.centiKwh(),
        s.rating.yearUsage.centiKwh(), s.rating.carry.remainderNanoYuan(),
        domain::toString(s.balanceAlarm.level), domain::toString(s.balanceAlarm.notified),
        toEpoch(s.arrearsSince), nameIn(RelayOpenerNames, s.relayOpener), s.lastAnomaly,
        toEpoch(s.lastAnomalyAt), toEpoch(s.updatedAt));
  });
}

}  // namespace prepaid::store::detail
