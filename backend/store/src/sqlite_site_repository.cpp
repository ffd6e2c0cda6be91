#include "codec.hpp"
#include "sqlite_repositories.hpp"

namespace prepaid::store::detail {

domain::SiteTimeZone RepositoryContext::siteTimeZone() const {
  return domain::SiteTimeZone{
      std::chrono::minutes(db().queryInt("SELECT utc_offset_minutes FROM site WHERE id = 1"))};
}

domain::Instant periodStart(domain::Instant instant, const domain::SiteTimeZone& zone,
                            Granularity granularity) {
  using namespace std::chrono;
  const local_seconds local = zone.toLocal(instant);
  switch (granularity) {
    case Granularity::Hour:
      return zone.toInstant(floor<hours>(local));
    case Granularity::Day:
      return zone.toInstant(floor<days>(local));
    case Granularity::Month: {
      const year_month_day date(floor<days>(local));
      return zone.toInstant(local_days(date.year() / date.month() / 1));
    }
  }
  return instant;
}

std::expected<Site, StoreError> SqliteSiteRepository::site() const {
  return guard([&] {
    auto row = m_ctx.db().prepare("SELECT name, utc_offset_minutes FROM site WHERE id = 1");
    if (!row.step()) {
      fail(StoreErrorCode::Corrupt, "the site row is missing");
    }
    return Site{row.text(0), domain::SiteTimeZone{std::chrono::minutes(row.int64(1))}};
  });
}

std::expected<void, StoreError> SqliteSiteRepository::updateSite(const Site& site) {
  return guard([&] {
    if (site.name.empty() || !site.timeZone.isValid()) {
      fail(StoreErrorCode::InvalidArgument,
           "site needs a name and a UTC offset within -14:00..+14:00");
    }
    m_ctx.db().run("UPDATE site SET name = ?1, utc_offset_minutes = ?2 WHERE id = 1", site.name,
                   site.timeZone.utcOffset.count());
  });
}

std::expected<Settings, StoreError> SqliteSiteRepository::settings() const {
  return guard([&] {
    auto row = m_ctx.db().prepare(
        "SELECT overload_threshold_w, collection_interval_s, alarm1_fen, alarm2_fen, "
        "default_unit_price_micro_yuan, default_tariff_id, hoarding_cap_fen, close_allowed_fen, "
        "alarm_sms_number, pin_required, lost_contact_failures, order_min_fen, order_max_fen "
        "FROM settings WHERE id = 1");
    if (!row.step()) {
      fail(StoreErrorCode::Corrupt, "the settings row is missing");
    }
    Settings s;
    s.overloadThresholdW = row.int64(0);
    s.collectionIntervalS = row.int64(1);
    s.alarm1Fen = row.int64(2);
    s.alarm2Fen = row.int64(3);
    s.defaultUnitPriceMicroYuan = row.int64(4);
    s.defaultTariffId = row.optInt64(5);
    s.hoardingCapFen = row.int64(6);
    s.closeAllowedFen = row.int64(7);
    s.alarmSmsNumber = row.text(8);
    s.pinPolicy = fromFlag<PinPolicy>(row.int64(9));
    s.lostContactFailures = row.int64(10);
    s.orderMinFen = row.int64(11);
    s.orderMaxFen = row.int64(12);
    return s;
  });
}

std::expected<void, StoreError> SqliteSiteRepository::updateSettings(const Settings& s) {
  return guard([&] {
    m_ctx.db().run(
        "UPDATE settings SET overload_threshold_w = ?1, collection_interval_s = ?2, "
        "alarm1_fen = ?3, alarm2_fen = ?4, default_unit_price_micro_yuan = ?5, "
        "default_tariff_id = ?6, hoarding_cap_fen = ?7, close_allowed_fen = ?8, "
        "alarm_sms_number = ?9, pin_required = ?10, lost_contact_failures = ?11, "
        "order_min_fen = ?12, order_max_fen = ?13 WHERE id = 1",
        s.overloadThresholdW, s.collectionIntervalS, s.alarm1Fen, s.alarm2Fen,
        s.defaultUnitPriceMicroYuan, s.defaultTariffId, s.hoardingCapFen, s.closeAllowedFen,
        s.alarmSmsNumber, flag(s.pinPolicy), s.lostContactFailures, s.orderMinFen, s.orderMaxFen);
  });
}

}  // namespace prepaid::store::detail
