#include "meter_views.hpp"

#include "prepaid/api/time_format.hpp"
#include "prepaid/domain/allocation.hpp"
#include "prepaid/domain/days_left.hpp"
#include "prepaid/domain/tariff_codec.hpp"

namespace prepaid::backend::http {

namespace {

using std::chrono::days;

std::int64_t rateSum(const store::RateEnergies& energies) {
  std::int64_t sum = 0;
  for (const auto value : energies) {
    sum += value;
  }
  return sum;
}

// Current unit prices of a meter: its tariff (or the site's default tariff) in force now, else
// the site's flat default price. Base rate prices: a tier surcharge is not included (the
// estimate is a guide, and tier state belongs to billing).
std::expected<std::array<std::optional<domain::UnitPrice>, domain::RateCount>, ApiError> pricesOf(
    const store::ReadTransaction& tx, const store::Meter& meter, const store::Settings& settings,
    domain::Instant now) {
  std::array<std::optional<domain::UnitPrice>, domain::RateCount> prices{};
  const auto tariffId = meter.tariffId ? meter.tariffId : settings.defaultTariffId;
  if (tariffId) {
    PREPAID_TRY_STORE(version, tx.tariffs().versionAt(*tariffId, now));
    if (*version) {
      if (auto tariff = domain::decodeTariff((*version)->definition)) {
        return tariff->prices;
      }
    }
  }
  prices[domain::indexOf(domain::Rate::Flat)] =
      domain::UnitPrice::fromMicroYuan(settings.defaultUnitPriceMicroYuan);
  return prices;
}

/// Weights for splitting a period's money among rates: energy x unit price of each rate. A rate
/// without its own price (a flat tariff) costs the flat price. Falls back to the energy alone
/// when no rate is priced or a product would not fit (apportion needs the sum below 2^62).
std::vector<std::int64_t> moneyWeights(
    const store::RateEnergies& energy,
    const std::array<std::optional<domain::UnitPrice>, domain::RateCount>& prices) {
  constexpr std::int64_t Limit = std::int64_t{1} << 59;
  const auto& flat = prices[domain::indexOf(domain::Rate::Flat)];
  std::vector<std::int64_t> weights(domain::RateCount, 0);
  std::int64_t sum = 0;
  bool fits = true;
  for (std::size_t i = 0; i < domain::RateCount; ++i) {
    const auto& price = prices[i] ? prices[i] : flat;
    const std::int64_t microYuan = price ? price->microYuan() : 0;
    std::int64_t product = 0;
    if (energy[i] < 0 || microYuan < 0 || __builtin_mul_overflow(energy[i], microYuan, &product) ||
        product > Limit) {
      fits = false;
      break;
    }
    weights[i] = product;
    sum += product;
  }
  if (!fits || sum == 0) {
    return {energy.begin(), energy.end()};
  }
  return weights;
}

}  // namespace

domain::Instant startOfLocalDay(const domain::SiteTimeZone& zone, domain::Instant at) {
  return zone.startOfDay(zone.localDate(at));
}

std::expected<MeterFacts, ApiError> meterFacts(const store::ReadTransaction& tx,
                                               const store::Meter& meter,
                                               const store::Settings& settings,
                                               const domain::SiteTimeZone& zone,
                                               domain::Instant now, WithDaysLeft withDaysLeft) {
  MeterFacts facts;
  facts.meter = meter;
  PREPAID_TRY_STORE(balance, tx.ledger().balanceFen(meter.id));
  facts.balanceFen = *balance;
  PREPAID_TRY_STORE(latest, tx.readings().latest(meter.id));
  facts.latest = *latest;
  const auto today = startOfLocalDay(zone, now);
  PREPAID_TRY_STORE(todayRollups, tx.readings().rollups(meter.id, store::Granularity::Day, today,
                                                        today + days(1)));
  for (const auto& rollup : *todayRollups) {
    facts.todayEnergyCentiKwh += rollup.energyTotalCentiKwh;
  }

  const auto alarm1 = meter.alarm1Fen.value_or(settings.alarm1Fen);
  const auto alarm2 = meter.alarm2Fen.value_or(settings.alarm2Fen);
  auto level = api::MeterStatusCode::Normal;
  if (facts.balanceFen <= 0) {
    level = api::MeterStatusCode::Arrears;
  } else if (facts.balanceFen < alarm2) {
    level = api::MeterStatusCode::Alarm2;
  } else if (facts.balanceFen < alarm1) {
    level = api::MeterStatusCode::Alarm1;
  }
  const bool lost = meter.linkState == store::LinkState::Lost;
  const bool tripped = facts.latest && facts.latest->relay == domain::RelayState::Open;
  if (meter.keepPower == store::KeepPower::On) {
    facts.status = api::MeterStatusCode::KeepPower;
  } else if (lost) {
    facts.status = api::MeterStatusCode::LostContact;
  } else if (tripped) {
    facts.status = api::MeterStatusCode::Tripped;
  } else {
    facts.status = level;
  }
  if (meter.status != store::MeterStatus::Opened) {
    facts.colour = api::StatusColour::NotOpened;
  } else if (lost) {
    facts.colour = api::StatusColour::LostContact;
  } else if (level == api::MeterStatusCode::Arrears) {
    facts.colour = api::StatusColour::Arrears;
  } else if (level == api::MeterStatusCode::Alarm2) {
    facts.colour = api::StatusColour::Alarm2;
  } else if (level == api::MeterStatusCode::Alarm1) {
    facts.colour = api::StatusColour::Alarm1;
  } else {
    facts.colour = api::StatusColour::Opened;
  }

  if (withDaysLeft == WithDaysLeft::Yes) {
    // The last 30 complete local days (today is partial and would bias the average down).
    PREPAID_TRY_STORE(
        history, tx.readings().rollups(meter.id, store::Granularity::Day, today - days(30), today));
    std::vector<domain::DailyUsage> usage;
    for (const auto& rollup : *history) {
      domain::DailyUsage day;
      if (rateSum(rollup.energyByRateCentiKwh) == 0) {
        day.perRate[domain::indexOf(domain::Rate::Flat)] =
            domain::Energy::fromCentiKwh(rollup.energyTotalCentiKwh);
      } else {
        for (std::size_t i = 0; i < domain::RateCount; ++i) {
          day.perRate[i] = domain::Energy::fromCentiKwh(rollup.energyByRateCentiKwh[i]);
        }
      }
      usage.push_back(day);
    }
    PREPAID_TRY(prices, pricesOf(tx, meter, settings, now));
    const auto estimate =
        domain::estimateDaysLeft(domain::Money::fromFen(facts.balanceFen), usage, *prices);
    switch (estimate.status) {
      case domain::DaysLeftStatus::Known:
        facts.daysLeftState = api::DaysLeftState::Known;
        facts.daysLeft = estimate.days;
        break;
      case domain::DaysLeftStatus::NotEnoughHistory:
        facts.daysLeftState = api::DaysLeftState::NotEnoughHistory;
        break;
      case domain::DaysLeftStatus::NoRecentUse:
        facts.daysLeftState = api::DaysLeftState::NoRecentUse;
        break;
      case domain::DaysLeftStatus::NoPrice:
        facts.daysLeftState = api::DaysLeftState::NoPrice;
        break;
    }
  }
  return facts;
}

api::MeterView meterView(const MeterFacts& facts, const store::Settings& settings,
                         const domain::SiteTimeZone& zone, bool personal) {
  api::MeterView view;
  view.meterId = facts.meter.id;
  view.serial = facts.meter.serial;
  view.medium = facts.meter.medium == domain::Medium::Water ? "water" : "electricity";
  view.billingMode = std::string(domain::toString(facts.meter.billingMode));
  view.hoardingCapFen = settings.hoardingCapFen;
  view.salesBlocked = facts.meter.salesBlock == store::SalesBlock::Blocked;
  view.personal = personal;
  if (personal) {
    view.balanceFen = facts.balanceFen;
    view.status = facts.status;
    view.relay = facts.latest && facts.latest->relay
                     ? std::string(domain::toString(*facts.latest->relay))
                     : "unknown";
    if (facts.latest) {
      view.lastReadingAt = api::formatRfc3339(facts.latest->readAt, zone);
    }
    view.todayEnergyCentiKwh = facts.todayEnergyCentiKwh;
    view.daysLeftState = facts.daysLeftState;
    view.daysLeft = facts.daysLeft;
  }
  return view;
}

std::expected<api::UsageSeries, ApiError> usageSeries(const store::ReadTransaction& tx,
                                                      store::MeterId meter,
                                                      const std::string& granularity,
                                                      const domain::SiteTimeZone& zone,
                                                      domain::Instant now) {
  api::UsageSeries series;
  series.meterId = meter;
  series.granularity = granularity;
  std::vector<domain::Instant> starts;
  store::Granularity level = store::Granularity::Hour;
  const auto today = startOfLocalDay(zone, now);
  if (granularity == "hour") {
    for (int hour = 0; hour < 24; ++hour) {
      starts.push_back(today + std::chrono::hours(hour));
    }
  } else if (granularity == "day") {
    level = store::Granularity::Day;
    for (int day = 29; day >= 0; --day) {
      starts.push_back(zone.startOfDay(
          std::chrono::year_month_day(std::chrono::local_days(zone.localDate(today)) - days(day))));
    }
  } else {
    level = store::Granularity::Month;
    const auto date = zone.localDate(now);
    const std::chrono::year_month thisMonth{date.year(), date.month()};
    for (int back = 11; back >= 0; --back) {
      const auto month = thisMonth - std::chrono::months(back);
      starts.push_back(zone.startOfDay(std::chrono::year_month_day{month / std::chrono::day(1)}));
    }
  }
  const auto end = granularity == "hour"  ? today + days(1)
                   : granularity == "day" ? today + days(1)
                                          : starts.back() + days(32);
  PREPAID_TRY_STORE(rollups, tx.readings().rollups(meter, level, starts.front(), end));
  PREPAID_TRY_STORE(settings, tx.site().settings());
  PREPAID_TRY_STORE(meterRow, tx.meters().meter(meter));
  std::size_t next = 0;
  for (std::size_t index = 0; index < starts.size(); ++index) {
    const auto start = starts[index];
    const auto periodEnd = index + 1 < starts.size() ? starts[index + 1] : end;
    api::UsagePoint point;
    point.periodStart = api::formatRfc3339(start, zone);
    while (next < rollups->size() && (*rollups)[next].periodStart < start) {
      ++next;
    }
    if (next < rollups->size() && (*rollups)[next].periodStart == start) {
      const auto& rollup = (*rollups)[next];
      point.energyCentiKwh = rollup.energyTotalCentiKwh;
      point.energyByRateCentiKwh = rollup.energyByRateCentiKwh;
      if (rateSum(point.energyByRateCentiKwh) == 0) {
        point.energyByRateCentiKwh[domain::indexOf(domain::Rate::Flat)] = point.energyCentiKwh;
      }
      point.moneyFen = rollup.chargedFen + rollup.allocatedFen;
      // Roll-ups keep money per period, not per rate: split it in proportion to each rate's
      // energy x that rate's unit price (largest remainder, so the parts add up to the total
      // exactly). The prices are those in force at the period's last second (or now): a day or
      // month that began before its tariff existed was still billed under it.
      PREPAID_TRY(prices, pricesOf(tx, *meterRow, *settings,
                                   std::min(periodEnd - std::chrono::seconds(1), now)));
      const auto weights = moneyWeights(point.energyByRateCentiKwh, *prices);
      if (auto parts = domain::apportion(point.moneyFen, weights)) {
        for (std::size_t i = 0; i < domain::RateCount; ++i) {
          point.moneyByRateFen[i] = (*parts)[i];
        }
      } else {
        point.moneyByRateFen[domain::indexOf(domain::Rate::Flat)] = point.moneyFen;
      }
    }
    series.points.push_back(point);
  }
  return series;
}

}  // namespace prepaid::backend::http

namespace prepaid::backend::http {

std::string saleNote(const std::string& method, const std::string& note) {
  return "method=" + method + (note.empty() ? "" : "; " + note);
}

std::expected<api::Receipt, ApiError> receiptOf(const store::ReadTransaction& tx,
                                                store::LedgerEntryId entryId, domain::Instant now) {
  auto entry = tx.ledger().entry(entryId);
  if (!entry) {
    if (entry.error().code == store::StoreErrorCode::NotFound) {
      return std::unexpected(
          apiError(ErrorCode::NotFound, "no receipt " + std::to_string(entryId)));
    }
    return std::unexpected(fromStore(entry.error()));
  }
  if (entry->kind != domain::EntryKind::Recharge && entry->kind != domain::EntryKind::Refund &&
      entry->kind != domain::EntryKind::Correction) {
    return std::unexpected(
        apiError(ErrorCode::NotFound, "entry " + std::to_string(entryId) + " is not a sale"));
  }
  PREPAID_TRY_STORE(site, tx.site().site());
  PREPAID_TRY_STORE(meter, tx.meters().meter(entry->meterId));
  api::Receipt receipt;
  // Not `"R" + std::to_string(…)`: GCC 12 -O3 reports a false -Wrestrict on that form.
  receipt.receiptNumber = std::string("R").append(std::to_string(entry->id));
  receipt.entryId = entry->id;
  receipt.siteName = site->name;
  receipt.meterSerial = meter->serial;
  receipt.meterId = meter->id;
  if (meter->shopId) {
    PREPAID_TRY_STORE(shop, tx.buildings().shop(*meter->shopId));
    receipt.shopNumber = shop->number;
  }
  receipt.kind = std::string(domain::toString(entry->kind));
  receipt.amountFen = entry->amountFen;
  receipt.purchaseCount = entry->purchaseCount;
  receipt.correctsEntryId = entry->referencedEntryId;
  receipt.createdAt = api::formatRfc3339(entry->createdAt, site->timeZone);
  // Balance right after this entry: the sum of the meter's entries up to and including it.
  PREPAID_TRY_STORE(entries,
                    tx.ledger().entries(entry->meterId, domain::Instant{},
                                        std::max(now, entry->createdAt) + std::chrono::seconds(1),
                                        std::numeric_limits<std::int64_t>::max()));
  for (const auto& item : *entries) {
    if (item.id <= entry->id) {
      receipt.balanceAfterFen += item.amountFen;
    }
  }
  if (entry->source.starts_with("pay:")) {
    // A kiosk payment order (payments: source "pay:<provider>"): no operator.
    receipt.paymentMethod = entry->source.substr(4);
  } else if (isOnlinePaymentSource(entry->source)) {
    receipt.paymentMethod = "online";
  } else {
    receipt.operatorName = entry->source;
    receipt.paymentMethod = "cash";
  }
  if (entry->note.starts_with("method=")) {
    const auto end = entry->note.find(';');
    receipt.paymentMethod = entry->note.substr(7, end == std::string::npos ? end : end - 7);
  }
  return receipt;
}

bool isOnlinePaymentSource(std::string_view source) {
  // "pay:" with its colon: an operator could be called "payroll"; the bare "pay" is the form
  // written before payments named their provider.
  return source.starts_with("pay:") || source == "pay" || source.starts_with("kiosk");
}

}  // namespace prepaid::backend::http
