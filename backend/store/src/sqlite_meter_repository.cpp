#include "codec.hpp"
#include "sqlite_repositories.hpp"

namespace prepaid::store::detail {

namespace {

constexpr std::string_view MeterColumns =
    "SELECT id, serial, profile, unit_address, gateway_id, shop_id, medium, billing_mode, "
    "tariff_id, alarm1_fen, alarm2_fen, overload_threshold_w, trip_policy, delayed_trip_minute, "
    "trip_at_night, trip_on_holidays, keep_power, mac_key_hex, mac_algorithm, status, "
    "purchase_count, sales_blocked, sales_blocked_reason, link_state, link_changed_at, "
    "replaced_by_meter_id FROM meters";

Meter meterFrom(const Statement& row) {
  Meter m;
  m.id = row.int64(0);
  m.serial = row.text(1);
  m.profile = row.text(2);
  m.unitAddress = row.int64(3);
  m.gatewayId = row.int64(4);
  m.shopId = row.optInt64(5);
  m.medium = parseIn(MediumNames, row.text(6), "medium");
  m.billingMode = parseBillingModeColumn(row.text(7));
  m.tariffId = row.optInt64(8);
  m.alarm1Fen = row.optInt64(9);
  m.alarm2Fen = row.optInt64(10);
  m.overloadThresholdW = row.optInt64(11);
  m.tripPolicy.kind = parseTripPolicyColumn(row.text(12));
  m.tripPolicy.delayedTripMinuteOfDay = row.int64(13);
  m.tripPolicy.night = fromFlag<NightTrip>(row.int64(14));
  m.tripPolicy.holidays = fromFlag<HolidayTrip>(row.int64(15));
  m.keepPower = fromFlag<KeepPower>(row.int64(16));
  m.macKeyHex = row.text(17);
  m.macAlgorithm = row.text(18);
  m.status = parseIn(MeterStatusNames, row.text(19), "meter status");
  m.purchaseCount = row.int64(20);
  m.salesBlock = fromFlag<SalesBlock>(row.int64(21));
  m.salesBlockReason = row.text(22);
  m.linkState = parseIn(LinkStateNames, row.text(23), "link state");
  m.linkChangedAt = fromEpoch(row.optInt64(24));
  m.replacedBy = row.optInt64(25);
  return m;
}

void validate(const Meter& m) {
  if (m.serial.empty() || m.profile.empty()) {
    fail(StoreErrorCode::InvalidArgument, "a meter needs a serial and a profile");
  }
  if (m.unitAddress < 1 || m.unitAddress > 247) {
    fail(StoreErrorCode::InvalidArgument, "meter " + m.serial +
                                              ": unit address must be 1..247, got " +
                                              std::to_string(m.unitAddress));
  }
  if (m.tripPolicy.delayedTripMinuteOfDay < 0 || m.tripPolicy.delayedTripMinuteOfDay > 1439) {
    fail(StoreErrorCode::InvalidArgument,
         "meter " + m.serial + ": delayed trip minute of day must be 0..1439");
  }
}

void requireChanged(std::int64_t changes, MeterId id) {
  if (changes == 0) {
    fail(StoreErrorCode::NotFound, "meter " + std::to_string(id) + " not found");
  }
}

}  // namespace

std::expected<Meter, StoreError> SqliteMeterRepository::add(const Meter& meter) {
  return guard([&] {
    validate(meter);
    if (meter.purchaseCount < 0) {
      fail(StoreErrorCode::InvalidArgument, "purchase count must be >= 0");
    }
    m_ctx.db().run(
        "INSERT INTO meters (serial, profile, unit_address, gateway_id, shop_id, medium, "
        "billing_mode, tariff_id, alarm1_fen, alarm2_fen, overload_threshold_w, trip_policy, "
        "delayed_trip_minute, trip_at_night, trip_on_holidays, keep_power, mac_key_hex, "
        "mac_algorithm, status, purchase_count, sales_blocked, sales_blocked_reason, link_state, "
        "link_changed_at, replaced_by_meter_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
        "?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, 'not_opened', ?19, 0, '', 'online', NULL, NULL)",
        meter.serial, meter.profile, meter.unitAddress, meter.gatewayId, meter.shopId,
        nameIn(MediumNames, meter.medium), domain::toString(meter.billingMode), meter.tariffId,
        meter.alarm1Fen, meter.alarm2Fen, meter.overloadThresholdW,
        domain::toString(meter.tripPolicy.kind), meter.tripPolicy.delayedTripMinuteOfDay,
        flag(meter.tripPolicy.night), flag(meter.tripPolicy.holidays), flag(meter.keepPower),
        meter.macKeyHex, meter.macAlgorithm, meter.purchaseCount);
    auto row = m_ctx.db().prepare(std::string(MeterColumns) + " WHERE id = ?1");
    row.bindAll(m_ctx.db().lastInsertRowId());
    row.step();
    return meterFrom(row);
  });
}

std::expected<void, StoreError> SqliteMeterRepository::update(const Meter& meter) {
  return guard([&] {
    validate(meter);
    requireChanged(
        m_ctx.db().run(
            "UPDATE meters SET serial = ?2, profile = ?3, unit_address = ?4, gateway_id = ?5, "
            "shop_id = ?6, medium = ?7, billing_mode = ?8, tariff_id = ?9, alarm1_fen = ?10, "
            "alarm2_fen = ?11, overload_threshold_w = ?12, trip_policy = ?13, "
            "delayed_trip_minute = ?14, trip_at_night = ?15, trip_on_holidays = ?16, "
            "keep_power = ?17, mac_key_hex = ?18, mac_algorithm = ?19 WHERE id = ?1",
            meter.id, meter.serial, meter.profile, meter.unitAddress, meter.gatewayId, meter.shopId,
            nameIn(MediumNames, meter.medium), domain::toString(meter.billingMode), meter.tariffId,
            meter.alarm1Fen, meter.alarm2Fen, meter.overloadThresholdW,
            domain::toString(meter.tripPolicy.kind), meter.tripPolicy.delayedTripMinuteOfDay,
            flag(meter.tripPolicy.night), flag(meter.tripPolicy.holidays), flag(meter.keepPower),
            meter.macKeyHex, meter.macAlgorithm),
        meter.id);
  });
}

std::expected<Meter, StoreError> SqliteMeterRepository::meter(MeterId id) const {
  return guard([&] {
    auto row = m_ctx.db().prepare(std::string(MeterColumns) + " WHERE id = ?1");
    row.bindAll(id);
    if (!row.step()) {
      fail(StoreErrorCode::NotFound, "meter " + std::to_string(id) + " not found");
    }
    return meterFrom(row);
  });
}

std::expected<Meter, StoreError> SqliteMeterRepository::meterBySerial(
    const std::string& serial) const {
  return guard([&] {
    auto row = m_ctx.db().prepare(std::string(MeterColumns) + " WHERE serial = ?1");
    row.bindAll(serial);
    if (!row.step()) {
      fail(StoreErrorCode::NotFound, "meter '" + serial + "' not found");
    }
    return meterFrom(row);
  });
}

std::expected<std::vector<Meter>, StoreError> SqliteMeterRepository::metersOnGateway(
    GatewayId gateway) const {
  return guard([&] {
    std::vector<Meter> result;
    auto row = m_ctx.db().prepare(
        std::string(MeterColumns) +
        " WHERE gateway_id = ?1 AND replaced_by_meter_id IS NULL ORDER BY unit_address, id");
    row.bindAll(gateway);
    while (row.step()) {
      result.push_back(meterFrom(row));
    }
    return result;
  });
}

std::expected<std::vector<Meter>, StoreError> SqliteMeterRepository::meters() const {
  return guard([&] {
    std::vector<Meter> result;
    auto row = m_ctx.db().prepare(std::string(MeterColumns) + " ORDER BY serial");
    while (row.step()) {
      result.push_back(meterFrom(row));
    }
    return result;
  });
}

std::expected<std::int64_t, StoreError> SqliteMeterRepository::nextPurchaseCount(MeterId id) {
  return guard([&] {
    // RETURNING (SQLite >= 3.35, PostgreSQL) reads the incremented value in the same statement.
    auto row = m_ctx.db().prepare(
        "UPDATE meters SET purchase_count = purchase_count + 1 WHERE id = ?1 "
        "RETURNING purchase_count");
    row.bindAll(id);
    if (!row.step()) {
      fail(StoreErrorCode::NotFound, "meter " + std::to_string(id) + " not found");
    }
    const std::int64_t count = row.int64(0);
    row.run();
    return count;
  });
}

std::expected<void, StoreError> SqliteMeterRepository::setPurchaseCount(MeterId id,
                                                                        std::int64_t count) {
  return guard([&] {
    if (count < 0) {
      fail(StoreErrorCode::InvalidArgument, "purchase count must be >= 0");
    }
    requireChanged(m_ctx.db().run("UPDATE meters SET purchase_count = ?2 WHERE id = ?1", id, count),
                   id);
  });
}

std::expected<void, StoreError> SqliteMeterRepository::setSalesBlock(MeterId id, SalesBlock block,
                                                                     const std::string& reason) {
  return guard([&] {
    requireChanged(m_ctx.db().run("UPDATE meters SET sales_blocked = ?2, sales_blocked_reason = ?3 "
                                  "WHERE id = ?1",
                                  id, flag(block), reason),
                   id);
  });
}

std::expected<void, StoreError> SqliteMeterRepository::setStatus(MeterId id, MeterStatus status) {
  return guard([&] {
    requireChanged(m_ctx.db().run("UPDATE meters SET status = ?2 WHERE id = ?1", id,
                                  nameIn(MeterStatusNames, status)),
                   id);
  });
}

std::expected<void, StoreError> SqliteMeterRepository::setKeepPower(MeterId id,
                                                                    KeepPower keepPower) {
  return guard([&] {
    requireChanged(
        m_ctx.db().run("UPDATE meters SET keep_power = ?2 WHERE id = ?1", id, flag(keepPower)), id);
  });
}

std::expected<void, StoreError> SqliteMeterRepository::setLinkState(MeterId id, LinkState state,
                                                                    domain::Instant at) {
  return guard([&] {
    auto& db = m_ctx.db();
    if (db.queryInt("SELECT COUNT(*) FROM meters WHERE id = ?1", id) == 0) {
      fail(StoreErrorCode::NotFound, "meter " + std::to_string(id) + " not found");
    }
    db.run(
        "UPDATE meters SET link_state = ?2, link_changed_at = ?3 WHERE id = ?1 AND "
        "link_state <> ?2",
        id, nameIn(LinkStateNames, state), toEpoch(at));
  });
}

std::expected<void, StoreError> SqliteMeterRepository::setReplacedBy(MeterId oldMeter,
                                                                     MeterId newMeter) {
  return guard([&] {
    if (oldMeter == newMeter) {
      fail(StoreErrorCode::InvalidArgument, "a meter cannot replace itself");
    }
    requireChanged(m_ctx.db().run("UPDATE meters SET replaced_by_meter_id = ?2 WHERE id = ?1",
                                  oldMeter, newMeter),
                   oldMeter);
  });
}

}  // namespace prepaid::store::detail
