#include <algorithm>

#include "codec.hpp"
#include "sqlite_repositories.hpp"

namespace prepaid::store::detail {

namespace {

constexpr std::string_view ReadingColumns =
    "SELECT id, meter_id, read_at, energy_total_centi_kwh, energy_sharp_centi_kwh, "
    "energy_peak_centi_kwh, energy_flat_centi_kwh, energy_valley_centi_kwh, voltage_deci_v, "
    "current_milli_a, power_w, balance_fen, purchase_count, relay, status_bits FROM readings";

Reading readingFrom(const Statement& row) {
  Reading r;
  r.id = row.int64(0);
  r.meterId = row.int64(1);
  r.readAt = fromEpoch(row.int64(2));
  r.energyTotalCentiKwh = row.int64(3);
  for (std::size_t i = 0; i < domain::RateCount; ++i) {
    r.energyByRateCentiKwh[i] = row.int64(static_cast<int>(4 + i));
  }
  r.voltageDeciV = row.optInt64(8);
  r.currentMilliA = row.optInt64(9);
  r.powerW = row.optInt64(10);
  r.balanceFen = row.optInt64(11);
  r.purchaseCount = row.optInt64(12);
  if (auto relay = row.optText(13)) {
    r.relay = parseRelayColumn(*relay);
  }
  r.statusBits = row.int64(14);
  return r;
}

// Energy used since the previous reading; a register that went backwards (meter reset or
// replaced) contributes nothing rather than a negative amount.
std::int64_t usedSince(std::int64_t previous, std::int64_t current) {
  return current > previous ? current - previous : 0;
}

}  // namespace

void addToRollups(const RepositoryContext& context, const domain::SiteTimeZone& zone, MeterId meter,
                  domain::Instant at, const RollupDelta& delta) {
  for (const Granularity granularity : {Granularity::Hour, Granularity::Day, Granularity::Month}) {
    context.db().run(
        "INSERT INTO rollups (meter_id, granularity, period_start, energy_total_centi_kwh, "
        "energy_sharp_centi_kwh, energy_peak_centi_kwh, energy_flat_centi_kwh, "
        "energy_valley_centi_kwh, charged_fen, allocated_fen, reading_count) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
        "ON CONFLICT (meter_id, granularity, period_start) DO UPDATE SET "
        "energy_total_centi_kwh = rollups.energy_total_centi_kwh + "
        "excluded.energy_total_centi_kwh, "
        "energy_sharp_centi_kwh = rollups.energy_sharp_centi_kwh + "
        "excluded.energy_sharp_centi_kwh, "
        "energy_peak_centi_kwh = rollups.energy_peak_centi_kwh + excluded.energy_peak_centi_kwh, "
        "energy_flat_centi_kwh = rollups.energy_flat_centi_kwh + excluded.energy_flat_centi_kwh, "
        "energy_valley_centi_kwh = rollups.energy_valley_centi_kwh + "
        "excluded.energy_valley_centi_kwh, "
        "charged_fen = rollups.charged_fen + excluded.charged_fen, "
        "allocated_fen = rollups.allocated_fen + excluded.allocated_fen, "
        "reading_count = rollups.reading_count + excluded.reading_count",
        meter, nameIn(GranularityNames, granularity), toEpoch(periodStart(at, zone, granularity)),
        delta.energyTotalCentiKwh, delta.energyByRateCentiKwh[0], delta.energyByRateCentiKwh[1],
        delta.energyByRateCentiKwh[2], delta.energyByRateCentiKwh[3], delta.chargedFen,
        delta.allocatedFen, delta.readingCount);
  }
}

std::expected<std::optional<Reading>, StoreError> SqliteReadingRepository::latest(
    MeterId meter) const {
  return guard([&]() -> std::optional<Reading> {
    auto row = m_ctx.db().prepare(std::string(ReadingColumns) +
                                  " WHERE meter_id = ?1 ORDER BY read_at DESC LIMIT 1");
    row.bindAll(meter);
    if (!row.step()) {
      return std::nullopt;
    }
    return readingFrom(row);
  });
}

std::expected<std::vector<Reading>, StoreError> SqliteReadingRepository::readings(
    MeterId meter, domain::Instant from, domain::Instant to, std::int64_t limit) const {
  return guard([&] {
    std::vector<Reading> result;
    auto row = m_ctx.db().prepare(std::string(ReadingColumns) +
                                  " WHERE meter_id = ?1 AND read_at >= ?2 AND read_at < ?3 "
                                  "ORDER BY read_at LIMIT ?4");
    row.bindAll(meter, toEpoch(from), toEpoch(to), limit);
    while (row.step()) {
      result.push_back(readingFrom(row));
    }
    return result;
  });
}

std::expected<std::vector<Rollup>, StoreError> SqliteReadingRepository::rollups(
    MeterId meter, Granularity granularity, domain::Instant from, domain::Instant to) const {
  return guard([&] {
    std::vector<Rollup> result;
    auto row = m_ctx.db().prepare(
        "SELECT period_start, energy_total_centi_kwh, energy_sharp_centi_kwh, "
        "energy_peak_centi_kwh, energy_flat_centi_kwh, energy_valley_centi_kwh, charged_fen, "
        "allocated_fen, reading_count FROM rollups WHERE meter_id = ?1 AND granularity = ?2 AND "
        "period_start >= ?3 AND period_start < ?4 ORDER BY period_start");
    row.bindAll(meter, nameIn(GranularityNames, granularity), toEpoch(from), toEpoch(to));
    while (row.step()) {
      Rollup r;
      r.meterId = meter;
      r.granularity = granularity;
      r.periodStart = fromEpoch(row.int64(0));
      r.energyTotalCentiKwh = row.int64(1);
      for (std::size_t i = 0; i < domain::RateCount; ++i) {
        r.energyByRateCentiKwh[i] = row.int64(static_cast<int>(2 + i));
      }
      r.chargedFen = row.int64(6);
      r.allocatedFen = row.int64(7);
      r.readingCount = row.int64(8);
      result.push_back(r);
    }
    return result;
  });
}

std::expected<ReadingBatchResult, StoreError> SqliteReadingRepository::insert(
    const std::vector<Reading>& readings) {
  return guard([&] {
    auto& db = m_ctx.db();
    // Per meter in time order, so each reading's predecessor is already stored when it is
    // processed and the roll-up deltas chain correctly within one batch.
    std::vector<const Reading*> ordered;
    ordered.reserve(readings.size());
    for (const auto& reading : readings) {
      ordered.push_back(&reading);
    }
    std::stable_sort(ordered.begin(), ordered.end(), [](const Reading* a, const Reading* b) {
      return a->meterId != b->meterId ? a->meterId < b->meterId : a->readAt < b->readAt;
    });

    const domain::SiteTimeZone zone = m_ctx.siteTimeZone();
    ReadingBatchResult result;
    for (const Reading* reading : ordered) {
      std::optional<Reading> previous;
      {
        auto row = db.prepare(std::string(ReadingColumns) +
                              " WHERE meter_id = ?1 ORDER BY read_at DESC LIMIT 1");
        row.bindAll(reading->meterId);
        if (row.step()) {
          previous = readingFrom(row);
        }
      }
      if (previous && reading->readAt <= previous->readAt) {
        ++result.stale;
        continue;
      }
      std::optional<std::string_view> relay;
      if (reading->relay) {
        relay = domain::toString(*reading->relay);
      }
      const auto& e = reading->energyByRateCentiKwh;
      db.run(
          "INSERT INTO readings (meter_id, read_at, energy_total_centi_kwh, "
          "energy_sharp_centi_kwh, energy_peak_centi_kwh, energy_flat_centi_kwh, "
          "energy_valley_centi_kwh, voltage_deci_v, current_milli_a, power_w, balance_fen, "
          "purchase_count, relay, status_bits) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
          reading->meterId, toEpoch(reading->readAt), reading->energyTotalCentiKwh, e[0], e[1],
          e[2], e[3], reading->voltageDeciV, reading->currentMilliA, reading->powerW,
          reading->balanceFen, reading->purchaseCount, relay, reading->statusBits);
      RollupDelta delta;
      delta.readingCount = 1;
      if (previous) {
        delta.energyTotalCentiKwh =
            usedSince(previous->energyTotalCentiKwh, reading->energyTotalCentiKwh);
        for (std::size_t i = 0; i < domain::RateCount; ++i) {
          delta.energyByRateCentiKwh[i] = usedSince(previous->energyByRateCentiKwh[i], e[i]);
        }
      }
      addToRollups(m_ctx, zone, reading->meterId, reading->readAt, delta);
      ++result.written;
    }
    return result;
  });
}

}  // namespace prepaid::store::detail
