#include "prepaid/billing/billing_service.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <utility>

#include "alarm_evaluation.hpp"
#include "meter_context.hpp"
#include "relay_control.hpp"

#include "prepaid/domain/rater.hpp"
#include "prepaid/domain/tariff_codec.hpp"

namespace prepaid::backend::billing {

using detail::lift;
using detail::MeterContext;
using detail::SiteContext;

namespace {

// [SECTION] transaction plumbing

/// Runs `fn(tx)` in one Durability::Full write transaction. fn returns expected<T, BillingError>;
/// its error rolls the transaction back and is returned as is.
template <typename Fn>
auto runWrite(store::Store& store, Fn&& fn) -> std::invoke_result_t<Fn, store::WriteTransaction&> {
  using Result = std::invoke_result_t<Fn, store::WriteTransaction&>;
  std::optional<Result> out;
  auto written = store.write(
      [&](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
        out.emplace(fn(tx));
        if (!*out) {
          return std::unexpected(store::StoreError{store::StoreErrorCode::InvalidArgument,
                                                   "billing rolled back: " + out->error().message});
        }
        return {};
      },
      store::Durability::Full);
  if (!written) {
    if (out && !*out) {
      return Result(std::unexpected(out->error()));
    }
    return Result(std::unexpected(fromStoreError(written.error(), "billing transaction")));
  }
  return std::move(*out);
}

BillingError error(BillingErrorCode code, std::string message) {
  return BillingError{code, std::move(message)};
}

std::string meterName(const store::Meter& meter) {
  return "meter " + std::to_string(meter.id) + " (" + meter.serial + ")";
}

// [SECTION] rating (server-side)

/// Registers of a stored reading as the domain sees them. The per-rate registers count only when
/// the meter reports them (any non-zero rate register).
std::optional<store::RateEnergies> rateRegisters(const store::Reading& reading) {
  const bool any =
      std::ranges::any_of(reading.energyByRateCentiKwh, [](std::int64_t v) { return v != 0; });
  if (!any) {
    return std::nullopt;
  }
  return reading.energyByRateCentiKwh;
}

domain::MeterReading toDomain(domain::Instant at, std::int64_t total,
                              const std::optional<store::RateEnergies>& rates) {
  domain::MeterReading r;
  r.at = at;
  r.installation = 0;  // a replaced meter is a new meter row: its first reading is a baseline
  r.total = domain::Energy::fromCentiKwh(total);
  if (rates) {
    std::array<domain::Energy, domain::RateCount> perRate{};
    for (std::size_t i = 0; i < domain::RateCount; ++i) {
      perRate[i] = domain::Energy::fromCentiKwh((*rates)[i]);
    }
    r.perRate = perRate;
  }
  return r;
}

/// The tariff history that applies to [from, to] for a meter: its tariff, else the site default
/// tariff, else a flat tariff at the site's default unit price.
std::expected<domain::TariffHistory, BillingError> historyFor(store::WriteTransaction& tx,
                                                              const MeterContext& context,
                                                              const SiteContext& site,
                                                              domain::Instant from,
                                                              domain::Instant to) {
  const auto tariffId =
      context.meter.tariffId ? context.meter.tariffId : site.settings.defaultTariffId;
  if (!tariffId) {
    auto history = domain::TariffHistory::create({domain::TariffVersion{
        domain::Instant{}, domain::Tariff::flat(domain::UnitPrice::fromMicroYuan(
                               site.settings.defaultUnitPriceMicroYuan))}});
    if (!history) {
      return std::unexpected(
          error(BillingErrorCode::InvalidTariff, "site default price: " + history.error().message));
    }
    return std::move(*history);
  }
  auto versions = lift(tx.tariffs().versionsBetween(*tariffId, from, to + std::chrono::seconds(1)),
                       "tariff " + std::to_string(*tariffId));
  if (!versions) {
    return std::unexpected(versions.error());
  }
  if (versions->empty()) {
    return std::unexpected(error(BillingErrorCode::RatingFailed,
                                 "tariff " + std::to_string(*tariffId) +
                                     " has no version in force at the start of the interval"));
  }
  std::vector<domain::TariffVersion> decoded;
  decoded.reserve(versions->size());
  for (const auto& v : *versions) {
    auto tariff = domain::decodeTariff(v.definition);
    if (!tariff) {
      return std::unexpected(
          error(BillingErrorCode::InvalidTariff,
                "tariff version " + std::to_string(v.id) + ": " + tariff.error().message));
    }
    decoded.push_back(domain::TariffVersion{v.effectiveFrom, std::move(*tariff)});
  }
  auto history = domain::TariffHistory::create(std::move(decoded));
  if (!history) {
    return std::unexpected(
        error(BillingErrorCode::InvalidTariff,
              "tariff " + std::to_string(*tariffId) + ": " + history.error().message));
  }
  return std::move(*history);
}

store::LedgerEntry chargeEntry(const MeterContext& context, const BillingOptions& options,
                               std::int64_t fen, domain::Instant readAt, domain::Instant now,
                               std::string note) {
  store::LedgerEntry e;
  e.meterId = context.meter.id;
  e.accountId = context.account ? std::optional(context.account->id) : std::nullopt;
  e.kind = domain::EntryKind::Charge;
  e.amountFen = -fen;
  e.idempotencyKey = detail::chargeKey(context.meter.id, readAt);
  e.source = options.source;
  e.note = std::move(note);
  e.usageAt = readAt;
  e.createdAt = now;
  return e;
}

std::expected<void, BillingError> postCharge(store::WriteTransaction& tx, MeterContext& context,
                                             const BillingOptions& options, std::int64_t fen,
                                             const store::Reading& reading, domain::Instant now,
                                             std::string note, ReadingReport& report) {
  if (fen <= 0) {
    return {};
  }
  auto posted = lift(
      tx.ledger().append(chargeEntry(context, options, fen, reading.readAt, now, std::move(note))),
      meterName(context.meter) + " charge");
  if (!posted) {
    return std::unexpected(posted.error());
  }
  report.chargeEntryId = posted->entry.id;
  if (posted->outcome == store::AppendOutcome::Appended) {
    report.chargedFen = fen;
  }
  return detail::refreshBalance(tx, context);
}

void noteAnomaly(MeterContext& context, ReadingReport& report, domain::Instant at,
                 std::string detail) {
  report.outcome = ReadingOutcome::Anomaly;
  report.detail = detail;
  context.state.lastAnomaly = std::move(detail);
  context.state.lastAnomalyAt = at;
}

std::expected<void, BillingError> rateServerSide(store::WriteTransaction& tx, MeterContext& context,
                                                 const SiteContext& site,
                                                 const BillingOptions& options,
                                                 const store::Reading& reading, domain::Instant now,
                                                 ReadingReport& report) {
  const auto rates = rateRegisters(reading);
  const store::RegisterBaseline next{reading.readAt, reading.energyTotalCentiKwh, rates};
  if (!context.state.baseline) {
    context.state.baseline = next;
    report.outcome = ReadingOutcome::Baseline;
    return {};
  }
  const auto& base = *context.state.baseline;
  const auto previous =
      toDomain(base.readAt, base.energyTotalCentiKwh,
               base.energyByRateCentiKwh && rates ? base.energyByRateCentiKwh : std::nullopt);
  const auto current = toDomain(reading.readAt, reading.energyTotalCentiKwh,
                                base.energyByRateCentiKwh && rates ? rates : std::nullopt);

  auto history = historyFor(tx, context, site, base.readAt, reading.readAt);
  if (!history) {
    if (history.error().code == BillingErrorCode::Storage ||
        history.error().code == BillingErrorCode::Busy) {
      return std::unexpected(history.error());
    }
    // Energy that no tariff prices cannot be charged: reported, and the next interval starts here.
    noteAnomaly(context, report, reading.readAt, "not rated: " + history.error().message);
    context.state.baseline = next;
    return {};
  }
  const domain::Rater rater(std::move(*history), site.zone);
  auto rated = rater.rateReadings(previous, current, context.state.rating, options.registerLimits);
  if (!rated) {
    if (rated.error().code == domain::RatingErrorCode::RegisterAnomaly) {
      // Keep the old baseline: a glitch reading is followed by a good one that is then rated
      // correctly; a real reset needs staff (resetBaseline). Never a negative charge.
      noteAnomaly(context, report, reading.readAt, "register anomaly: " + rated.error().message);
      return {};
    }
    noteAnomaly(context, report, reading.readAt, "not rated: " + rated.error().message);
    context.state.baseline = next;
    return {};
  }
  report.outcome = ReadingOutcome::Charged;
  const std::string note = std::to_string(rated->energy.centiKwh()) + " x 0.01 kWh rated " +
                           std::to_string(detail::epochSeconds(base.readAt)) + ".." +
                           std::to_string(detail::epochSeconds(reading.readAt));
  if (auto posted =
          postCharge(tx, context, options, rated->postedFen.fen(), reading, now, note, report);
      !posted) {
    return std::unexpected(posted.error());
  }
  context.state.rating = rated->after;
  context.state.baseline = next;
  return {};
}

// [SECTION] mirroring (meter-side)

struct InFlight {
  std::int64_t amountFen = 0;     // recharges sold that the meter had not applied at the reading
  std::set<std::int64_t> counts;  // their purchase counts
};

/// Recharges that may not have reached the meter when it was read: unfinished ones, and those
/// finished at or after the reading instant (delivered while the reading waited for billing).
std::expected<std::vector<store::Command>, BillingError> rechargesOpenAt(
    store::WriteTransaction& tx, store::MeterId meter, domain::Instant readAt) {
  auto unfinished = lift(tx.commands().unfinishedForMeter(meter), "commands");
  if (!unfinished) {
    return std::unexpected(unfinished.error());
  }
  auto recent = lift(tx.commands().forMeter(meter, 64), "commands");
  if (!recent) {
    return std::unexpected(recent.error());
  }
  std::map<store::CommandId, store::Command> byId;
  for (auto& c : *unfinished) {
    if (c.kind == store::CommandKind::Recharge) {
      byId.emplace(c.id, c);
    }
  }
  for (auto& c : *recent) {
    if (c.kind == store::CommandKind::Recharge && c.state == store::CommandState::Done &&
        c.updatedAt >= readAt) {
      byId.emplace(c.id, c);
    }
  }
  std::vector<store::Command> result;
  for (auto& [id, c] : byId) {
    result.push_back(std::move(c));
  }
  return result;
}

std::expected<void, BillingError> mirrorMeterSide(store::WriteTransaction& tx,
                                                  MeterContext& context,
                                                  const BillingOptions& options,
                                                  const store::Reading& reading,
                                                  domain::Instant now, ReadingReport& report,
                                                  detail::AlarmEffects& alarms) {
  context.state.baseline =
      store::RegisterBaseline{reading.readAt, reading.energyTotalCentiKwh, rateRegisters(reading)};
  const store::MeterId id = context.meter.id;
  auto open = lift(tx.alarms().openAlarmsOf(store::AlarmSubject::meter(id)), "alarms");
  if (!open) {
    return std::unexpected(open.error());
  }
  if (std::ranges::any_of(*open, [](const store::Alarm& a) {
        return a.kind == store::AlarmKind::PurchaseCountMismatch;
      })) {
    report.outcome = ReadingOutcome::MirrorFrozen;
    report.detail = "purchase-count mismatch not resolved: balance not mirrored";
    return {};
  }
  if (!reading.balanceFen || !reading.purchaseCount) {
    noteAnomaly(context, report, reading.readAt,
                "meter-side reading without balance or purchase count: not mirrored");
    return {};
  }
  const std::int64_t meterCount = *reading.purchaseCount;
  const std::int64_t backendCount = context.meter.purchaseCount;

  auto recharges = rechargesOpenAt(tx, id, reading.readAt);
  if (!recharges) {
    return std::unexpected(recharges.error());
  }
  InFlight inFlight;
  for (const auto& c : *recharges) {
    if (!c.purchaseCount || *c.purchaseCount <= meterCount) {
      continue;  // the meter counts it: applied
    }
    inFlight.counts.insert(*c.purchaseCount);
    if (c.ledgerEntryId) {
      auto entry = lift(tx.ledger().entry(*c.ledgerEntryId), "recharge entry");
      if (!entry) {
        return std::unexpected(entry.error());
      }
      inFlight.amountFen += entry->amountFen;
    }
  }
  // Expected: the meter has applied every sale up to its count, and every later sale up to the
  // backend's count is still on its way.
  bool consistent = meterCount >= 0 && meterCount <= backendCount;
  for (std::int64_t c = meterCount + 1; consistent && c <= backendCount; ++c) {
    consistent = inFlight.counts.contains(c);
  }
  if (!consistent) {
    const auto check = domain::checkPurchaseCount(backendCount, meterCount);
    const std::string detail =
        "meter purchase count " + std::to_string(meterCount) + ", backend " +
        std::to_string(backendCount) + " with " + std::to_string(inFlight.counts.size()) +
        " recharge(s) in flight" +
        (check == domain::PurchaseCountCheck::MeterAhead ? " (meter ahead: unknown sale)"
                                                         : " (meter behind: sale not applied)");
    if (auto set = detail::setAlarm(tx, id, store::AlarmKind::PurchaseCountMismatch, true,
                                    reading.readAt, detail, store::Notified::No, alarms);
        !set) {
      return std::unexpected(set.error());
    }
    if (auto blocked = lift(tx.meters().setSalesBlock(id, store::SalesBlock::Blocked,
                                                      "purchase-count mismatch: " + detail),
                            "sales block");
        !blocked) {
      return std::unexpected(blocked.error());
    }
    // Refresh the context so later steps of this transaction see the block.
    context.meter.salesBlock = store::SalesBlock::Blocked;
    report.outcome = ReadingOutcome::MirrorFrozen;
    report.detail = "purchase-count mismatch: " + detail;
    context.state.lastAnomaly = report.detail;
    context.state.lastAnomalyAt = reading.readAt;
    return {};
  }
  // The meter's own balance plus what is still on its way is what the ledger should hold.
  const std::int64_t expectedMeterFen = context.balanceFen - inFlight.amountFen;
  const std::int64_t decreaseFen = expectedMeterFen - *reading.balanceFen;
  report.outcome = ReadingOutcome::Mirrored;
  if (decreaseFen < 0) {
    noteAnomaly(context, report, reading.readAt,
                "meter balance " + domain::formatYuan(domain::Money::fromFen(*reading.balanceFen)) +
                    " is " + domain::formatYuan(domain::Money::fromFen(-decreaseFen)) +
                    " above the ledger: nothing posted");
    return {};
  }
  return postCharge(tx, context, options, decreaseFen, reading, now,
                    "meter-side deduction mirrored (meter balance " +
                        domain::formatYuan(domain::Money::fromFen(*reading.balanceFen)) + ")",
                    report);
}

// [SECTION] receipts

std::expected<Receipt, BillingError> receiptOf(store::WriteTransaction& tx,
                                               const store::LedgerEntry& entry, Replay replay) {
  Receipt r;
  r.entryId = entry.id;
  r.meterId = entry.meterId;
  r.kind = entry.kind;
  r.amountFen = entry.amountFen;
  r.purchaseCount = entry.purchaseCount;
  r.at = entry.createdAt;
  r.replay = replay;
  auto balance = lift(tx.ledger().balanceThroughEntryFen(entry.meterId, entry.id), "receipt");
  if (!balance) {
    return std::unexpected(balance.error());
  }
  r.balanceAfterFen = *balance;
  return r;
}

std::expected<std::optional<store::Command>, BillingError> rechargeCommandOf(
    store::WriteTransaction& tx, const store::LedgerEntry& entry) {
  auto commands = lift(tx.commands().forMeter(entry.meterId, 256), "commands");
  if (!commands) {
    return std::unexpected(commands.error());
  }
  for (const auto& c : *commands) {
    if (c.kind == store::CommandKind::Recharge && c.ledgerEntryId == entry.id) {
      return c;
    }
  }
  return std::nullopt;
}

/// Checks shared by sell and refund: key, source, amount.
std::expected<void, BillingError> checkRequest(const std::string& key, const std::string& source,
                                               std::int64_t amountFen) {
  if (key.empty()) {
    return std::unexpected(
        error(BillingErrorCode::EmptyIdempotencyKey, "an idempotency key is required"));
  }
  if (source.empty()) {
    return std::unexpected(
        error(BillingErrorCode::MissingSource, "the operator or channel (source) is required"));
  }
  if (amountFen <= 0) {
    return std::unexpected(error(BillingErrorCode::NonPositiveAmount,
                                 "amount must be > 0 fen, got " + std::to_string(amountFen)));
  }
  return {};
}

/// The meter may take money: known, not replaced or closed, on an open account.
std::expected<void, BillingError> checkOpen(const MeterContext& context) {
  if (context.meter.replacedBy) {
    return std::unexpected(
        error(BillingErrorCode::MeterClosed, meterName(context.meter) + " was replaced by meter " +
                                                 std::to_string(*context.meter.replacedBy)));
  }
  if (context.meter.status == store::MeterStatus::Closed) {
    return std::unexpected(
        error(BillingErrorCode::MeterClosed, meterName(context.meter) + " is closed (销户)"));
  }
  if (context.meter.status != store::MeterStatus::Opened || !context.account) {
    return std::unexpected(error(BillingErrorCode::AccountNotOpen,
                                 meterName(context.meter) + " is not on an open account"));
  }
  return {};
}

/// The meter with its account, refused unless checkOpen() passes.
std::expected<MeterContext, BillingError> loadOpenMeter(store::WriteTransaction& tx,
                                                        store::MeterId meterId) {
  auto context = detail::loadMeter(tx, meterId);
  if (!context) {
    return std::unexpected(context.error());
  }
  if (auto open = checkOpen(*context); !open) {
    return std::unexpected(open.error());
  }
  return context;
}

/// Is `existing` (found by the request's key) the same request? Conflict otherwise.
std::expected<void, BillingError> sameRequest(const store::LedgerEntry& existing,
                                              store::MeterId meter, domain::EntryKind kind,
                                              std::int64_t amountFen, const std::string& key) {
  if (existing.meterId != meter || existing.kind != kind || existing.amountFen != amountFen) {
    return std::unexpected(error(BillingErrorCode::IdempotencyConflict,
                                 "idempotency key '" + key + "' was used for " +
                                     std::string(domain::toString(existing.kind)) + " of " +
                                     std::to_string(existing.amountFen) + " fen on meter " +
                                     std::to_string(existing.meterId)));
  }
  return {};
}

}  // namespace

// [SECTION] BillingService

BillingService::BillingService(store::Store& store, Clock clock, BillingOptions options)
    : m_store(store), m_clock(std::move(clock)), m_options(std::move(options)) {
  m_options.metersPerTransaction = std::max<std::size_t>(m_options.metersPerTransaction, 1);
}

namespace {

/// Everything one meter's readings of a batch did, merged into the summary only after commit.
struct MeterOutcome {
  std::vector<std::pair<std::size_t, ReadingReport>> reports;  // (input index, report)
  detail::AlarmEffects alarms;
  std::vector<store::CommandId> commands;
};

std::expected<void, BillingError> processMeter(store::WriteTransaction& tx, const SiteContext& site,
                                               const BillingOptions& options, store::MeterId meter,
                                               const std::vector<std::size_t>& indexes,
                                               std::span<const store::Reading> batch,
                                               domain::Instant now, MeterOutcome& outcome) {
  auto loaded = detail::loadMeter(tx, meter);
  if (!loaded) {
    return std::unexpected(loaded.error());
  }
  MeterContext& context = *loaded;
  bool changed = false;
  for (const std::size_t index : indexes) {
    const store::Reading& reading = batch[index];
    ReadingReport report;
    report.meterId = meter;
    report.readAt = reading.readAt;
    if (context.state.processedThrough && reading.readAt <= *context.state.processedThrough) {
      report.outcome = ReadingOutcome::AlreadyProcessed;
      outcome.reports.emplace_back(index, std::move(report));
      continue;
    }
    changed = true;
    if (!context.billed()) {
      context.state.baseline = store::RegisterBaseline{reading.readAt, reading.energyTotalCentiKwh,
                                                       rateRegisters(reading)};
      report.outcome = ReadingOutcome::NotBilled;
    } else if (context.meterSide()) {
      if (auto mirrored =
              mirrorMeterSide(tx, context, options, reading, now, report, outcome.alarms);
          !mirrored) {
        return std::unexpected(mirrored.error());
      }
    } else {
      if (auto rated = rateServerSide(tx, context, site, options, reading, now, report); !rated) {
        return std::unexpected(rated.error());
      }
    }
    context.state.processedThrough = reading.readAt;

    if (auto alarms =
            detail::evaluateReadingAlarms(tx, context, site, options, reading, outcome.alarms);
        !alarms) {
      return std::unexpected(alarms.error());
    }
    if (context.billed()) {
      detail::trackArrears(context, reading.readAt);
      if (auto balance = detail::evaluateBalanceAlarms(tx, context, site, options,
                                                       domain::BalanceChange::Consumption,
                                                       reading.readAt, outcome.alarms);
          !balance) {
        return std::unexpected(balance.error());
      }
      detail::ControlEffects control;
      if (auto tripped = detail::applyTripPolicy(tx, context, site, options, reading.relay,
                                                 reading.readAt, now, control);
          !tripped) {
        return std::unexpected(tripped.error());
      }
      outcome.commands.insert(outcome.commands.end(), control.queued.begin(), control.queued.end());
      for (const auto* problem : {&outcome.alarms.problem, &control.problem}) {
        if (!problem->empty() && report.detail.empty()) {
          report.detail = *problem;
        }
      }
      outcome.alarms.problem.clear();
    }
    outcome.reports.emplace_back(index, std::move(report));
  }
  if (changed) {
    context.state.updatedAt = now;
    if (auto saved = lift(tx.billingState().save(context.state), "billing state"); !saved) {
      return std::unexpected(saved.error());
    }
  }
  return {};
}

}  // namespace

std::expected<ProcessSummary, BillingError> BillingService::processReadings(
    std::span<const store::Reading> batch) {
  ProcessSummary summary;
  summary.readings.resize(batch.size());
  // Readings per meter, in time order (input order is kept for the report).
  std::map<store::MeterId, std::vector<std::size_t>> byMeter;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    byMeter[batch[i].meterId].push_back(i);
  }
  for (auto& [meter, indexes] : byMeter) {
    std::ranges::stable_sort(
        indexes, [&](std::size_t a, std::size_t b) { return batch[a].readAt < batch[b].readAt; });
  }
  std::vector<store::MeterId> meters;
  for (const auto& [meter, indexes] : byMeter) {
    meters.push_back(meter);
  }

  const auto merge = [&](std::vector<MeterOutcome>& outcomes) {
    for (auto& o : outcomes) {
      for (auto& [index, report] : o.reports) {
        summary.chargedFen += report.chargedFen;
        summary.chargesPosted += report.chargedFen > 0 ? 1 : 0;
        summary.anomalies += report.outcome == ReadingOutcome::Anomaly ? 1 : 0;
        summary.readings[index] = std::move(report);
      }
      summary.alarmsRaised.insert(summary.alarmsRaised.end(), o.alarms.raised.begin(),
                                  o.alarms.raised.end());
      summary.alarmsCleared.insert(summary.alarmsCleared.end(), o.alarms.cleared.begin(),
                                   o.alarms.cleared.end());
      summary.commandsQueued.insert(summary.commandsQueued.end(), o.commands.begin(),
                                    o.commands.end());
    }
  };
  const auto runGroup = [&](std::span<const store::MeterId> group)
      -> std::expected<std::vector<MeterOutcome>, BillingError> {
    const domain::Instant now = m_clock();
    return runWrite(
        m_store,
        [&](store::WriteTransaction& tx) -> std::expected<std::vector<MeterOutcome>, BillingError> {
          auto site = detail::loadSite(tx);
          if (!site) {
            return std::unexpected(site.error());
          }
          std::vector<MeterOutcome> outcomes(group.size());
          for (std::size_t i = 0; i < group.size(); ++i) {
            if (auto done = processMeter(tx, *site, m_options, group[i], byMeter[group[i]], batch,
                                         now, outcomes[i]);
                !done) {
              return std::unexpected(done.error());
            }
          }
          return outcomes;
        });
  };

  const std::size_t step = m_options.metersPerTransaction;
  for (std::size_t start = 0; start < meters.size(); start += step) {
    const auto group = std::span<const store::MeterId>(meters).subspan(
        start, std::min(step, meters.size() - start));
    auto outcomes = runGroup(group);
    if (outcomes) {
      merge(*outcomes);
      continue;
    }
    // One meter spoiled the group: redo each meter alone so only the failing one is lost.
    for (const store::MeterId meter : group) {
      auto single = runGroup(std::span<const store::MeterId>(&meter, 1));
      if (single) {
        merge(*single);
        continue;
      }
      for (const std::size_t index : byMeter[meter]) {
        ReadingReport report;
        report.meterId = meter;
        report.readAt = batch[index].readAt;
        report.outcome = ReadingOutcome::Failed;
        report.detail = single.error().message;
        report.error = single.error();
        summary.readings[index] = std::move(report);
        ++summary.failures;
      }
    }
  }
  return summary;
}

std::expected<Receipt, BillingError> BillingService::sell(const SaleRequest& request) {
  if (auto checked = checkRequest(request.idempotencyKey, request.source, request.amountFen);
      !checked) {
    return std::unexpected(checked.error());
  }
  const domain::Instant now = m_clock();
  return runWrite(
      m_store, [&](store::WriteTransaction& tx) -> std::expected<Receipt, BillingError> {
        auto existing = lift(tx.ledger().entryByKey(request.idempotencyKey), "idempotency key");
        if (!existing) {
          return std::unexpected(existing.error());
        }
        if (*existing) {
          if (auto same = sameRequest(**existing, request.meterId, domain::EntryKind::Recharge,
                                      request.amountFen, request.idempotencyKey);
              !same) {
            return std::unexpected(same.error());
          }
          auto receipt = receiptOf(tx, **existing, Replay::Replayed);
          if (!receipt) {
            return receipt;
          }
          auto command = rechargeCommandOf(tx, **existing);
          if (!command) {
            return std::unexpected(command.error());
          }
          if (*command) {
            receipt->rechargeCommandId = (*command)->id;
          }
          return receipt;
        }
        auto site = detail::loadSite(tx);
        if (!site) {
          return std::unexpected(site.error());
        }
        auto loaded = detail::loadMeter(tx, request.meterId);
        if (!loaded) {
          return std::unexpected(loaded.error());
        }
        MeterContext& context = *loaded;
        if (auto open = checkOpen(context); !open) {
          return std::unexpected(open.error());
        }
        if (context.meter.salesBlock == store::SalesBlock::Blocked) {
          return std::unexpected(error(
              BillingErrorCode::SalesBlocked,
              meterName(context.meter) + ": sales blocked: " + context.meter.salesBlockReason));
        }
        const auto after = domain::Money::fromFen(context.balanceFen)
                               .plus(domain::Money::fromFen(request.amountFen));
        if (!after) {
          return std::unexpected(error(BillingErrorCode::Overflow, "balance overflow"));
        }
        if (after->fen() > site->settings.hoardingCapFen) {
          return std::unexpected(
              error(BillingErrorCode::AboveHoardingCap,
                    meterName(context.meter) + ": balance " + domain::formatYuan(*after) +
                        " would exceed the hoarding cap " +
                        domain::formatYuan(domain::Money::fromFen(site->settings.hoardingCapFen))));
        }
        auto count = lift(tx.meters().nextPurchaseCount(context.meter.id), "purchase count");
        if (!count) {
          return std::unexpected(count.error());
        }
        store::LedgerEntry entry;
        entry.meterId = context.meter.id;
        entry.accountId = context.account->id;
        entry.kind = domain::EntryKind::Recharge;
        entry.amountFen = request.amountFen;
        entry.idempotencyKey = request.idempotencyKey;
        entry.purchaseCount = *count;
        entry.source = request.source;
        entry.note = request.note;
        entry.createdAt = now;
        auto posted = lift(tx.ledger().append(entry), "recharge");
        if (!posted) {
          return std::unexpected(posted.error());
        }
        auto receipt = receiptOf(tx, posted->entry, Replay::New);
        if (!receipt) {
          return receipt;
        }
        if (context.meterSide()) {
          store::Command command;
          command.meterId = context.meter.id;
          command.kind = store::CommandKind::Recharge;
          command.payload = "amount_fen=" + std::to_string(request.amountFen);
          command.priority = store::PriorityRecharge;
          command.purchaseCount = *count;
          command.ledgerEntryId = posted->entry.id;
          command.createdAt = now;
          command.notBefore = now;
          auto queued = lift(tx.commands().enqueue(command), "recharge command");
          if (!queued) {
            return std::unexpected(queued.error());
          }
          receipt->rechargeCommandId = queued->id;
        }
        if (auto refreshed = detail::refreshBalance(tx, context); !refreshed) {
          return std::unexpected(refreshed.error());
        }
        detail::trackArrears(context, now);
        detail::AlarmEffects alarms;
        if (auto evaluated = detail::evaluateBalanceAlarms(
                tx, context, *site, m_options, domain::BalanceChange::Recharge, now, alarms);
            !evaluated) {
          return std::unexpected(evaluated.error());
        }
        auto latest = lift(tx.readings().latest(context.meter.id), "latest reading");
        if (!latest) {
          return std::unexpected(latest.error());
        }
        detail::ControlEffects control;
        if (auto controlled = detail::applyTripPolicy(tx, context, *site, m_options,
                                                      *latest ? (*latest)->relay : std::nullopt,
                                                      now, now, control);
            !controlled) {
          return std::unexpected(controlled.error());
        }
        receipt->closeCommandId = control.closeQueued;
        context.state.updatedAt = now;
        if (auto saved = lift(tx.billingState().save(context.state), "billing state"); !saved) {
          return std::unexpected(saved.error());
        }
        return receipt;
      });
}

namespace {

/// After a debit/credit that is not a sale: alarms and the trip policy at `now`.
std::expected<void, BillingError> afterBalanceChange(store::WriteTransaction& tx,
                                                     MeterContext& context, const SiteContext& site,
                                                     const BillingOptions& options,
                                                     domain::BalanceChange change,
                                                     domain::Instant now,
                                                     std::optional<store::CommandId>& closeQueued) {
  if (auto refreshed = detail::refreshBalance(tx, context); !refreshed) {
    return std::unexpected(refreshed.error());
  }
  if (!context.billed()) {
    return {};
  }
  detail::trackArrears(context, now);
  detail::AlarmEffects alarms;
  if (auto evaluated =
          detail::evaluateBalanceAlarms(tx, context, site, options, change, now, alarms);
      !evaluated) {
    return std::unexpected(evaluated.error());
  }
  auto latest = lift(tx.readings().latest(context.meter.id), "latest reading");
  if (!latest) {
    return std::unexpected(latest.error());
  }
  detail::ControlEffects control;
  if (auto controlled = detail::applyTripPolicy(
          tx, context, site, options, *latest ? (*latest)->relay : std::nullopt, now, now, control);
      !controlled) {
    return std::unexpected(controlled.error());
  }
  closeQueued = control.closeQueued;
  context.state.updatedAt = now;
  return lift(tx.billingState().save(context.state), "billing state");
}

/// The shared tail of refund(), correct() and postOpeningBalance(): appends `entry`, builds its
/// receipt and applies the alarms and trip policy to the new balance.
std::expected<Receipt, BillingError> postBalanceChange(
    store::WriteTransaction& tx, MeterContext& context, const SiteContext& site,
    const BillingOptions& options, const store::LedgerEntry& entry, domain::Instant now,
    const char* what, domain::BalanceChange change = domain::BalanceChange::Consumption) {
  auto posted = lift(tx.ledger().append(entry), what);
  if (!posted) {
    return std::unexpected(posted.error());
  }
  auto receipt = receiptOf(tx, posted->entry, Replay::New);
  if (!receipt) {
    return receipt;
  }
  if (auto after =
          afterBalanceChange(tx, context, site, options, change, now, receipt->closeCommandId);
      !after) {
    return std::unexpected(after.error());
  }
  return receipt;
}

}  // namespace

std::expected<Receipt, BillingError> BillingService::refund(const RefundRequest& request) {
  if (auto checked = checkRequest(request.idempotencyKey, request.source, request.amountFen);
      !checked) {
    return std::unexpected(checked.error());
  }
  const domain::Instant now = m_clock();
  return runWrite(
      m_store, [&](store::WriteTransaction& tx) -> std::expected<Receipt, BillingError> {
        auto existing = lift(tx.ledger().entryByKey(request.idempotencyKey), "idempotency key");
        if (!existing) {
          return std::unexpected(existing.error());
        }
        if (*existing) {
          if (auto same = sameRequest(**existing, request.meterId, domain::EntryKind::Refund,
                                      -request.amountFen, request.idempotencyKey);
              !same) {
            return std::unexpected(same.error());
          }
          return receiptOf(tx, **existing, Replay::Replayed);
        }
        auto site = detail::loadSite(tx);
        if (!site) {
          return std::unexpected(site.error());
        }
        auto loaded = detail::loadMeter(tx, request.meterId);
        if (!loaded) {
          return std::unexpected(loaded.error());
        }
        MeterContext& context = *loaded;
        if (context.meterSide()) {
          return std::unexpected(error(
              BillingErrorCode::NotSupportedMeterSide,
              meterName(context.meter) +
                  " keeps its balance itself and the meter protocol has no refund: not refunded"));
        }
        if (auto open = checkOpen(context); !open) {
          return std::unexpected(open.error());
        }
        if (request.amountFen > context.balanceFen) {
          return std::unexpected(
              error(BillingErrorCode::RefundAboveBalance,
                    meterName(context.meter) + ": refund " +
                        domain::formatYuan(domain::Money::fromFen(request.amountFen)) +
                        " above balance " +
                        domain::formatYuan(domain::Money::fromFen(context.balanceFen))));
        }
        store::LedgerEntry entry;
        entry.meterId = context.meter.id;
        entry.accountId = context.account->id;
        entry.kind = domain::EntryKind::Refund;
        entry.amountFen = -request.amountFen;
        entry.idempotencyKey = request.idempotencyKey;
        entry.source = request.source;
        entry.note = request.note;
        entry.createdAt = now;
        return postBalanceChange(tx, context, *site, m_options, entry, now, "refund");
      });
}

std::expected<Receipt, BillingError> BillingService::correct(const CorrectionRequest& request) {
  if (request.idempotencyKey.empty()) {
    return std::unexpected(
        error(BillingErrorCode::EmptyIdempotencyKey, "an idempotency key is required"));
  }
  if (request.source.empty()) {
    return std::unexpected(
        error(BillingErrorCode::MissingSource, "the operator or channel (source) is required"));
  }
  const domain::Instant now = m_clock();
  return runWrite(
      m_store, [&](store::WriteTransaction& tx) -> std::expected<Receipt, BillingError> {
        auto original =
            lift(tx.ledger().entry(request.entryId),
                 "ledger entry " + std::to_string(request.entryId), BillingErrorCode::UnknownEntry);
        if (!original) {
          return std::unexpected(original.error());
        }
        auto existing = lift(tx.ledger().entryByKey(request.idempotencyKey), "idempotency key");
        if (!existing) {
          return std::unexpected(existing.error());
        }
        if (*existing) {
          if ((*existing)->kind != domain::EntryKind::Correction ||
              (*existing)->referencedEntryId != request.entryId) {
            return std::unexpected(error(
                BillingErrorCode::IdempotencyConflict,
                "idempotency key '" + request.idempotencyKey + "' was used for another request"));
          }
          return receiptOf(tx, **existing, Replay::Replayed);
        }
        if (original->kind != domain::EntryKind::Recharge &&
            original->kind != domain::EntryKind::Refund) {
          return std::unexpected(error(BillingErrorCode::NotCorrectable,
                                       "ledger entry " + std::to_string(original->id) + " is a " +
                                           std::string(domain::toString(original->kind)) +
                                           ": only recharges and refunds can be corrected"));
        }
        auto corrections = lift(tx.ledger().correctionsOf(original->id), "corrections");
        if (!corrections) {
          return std::unexpected(corrections.error());
        }
        if (!corrections->empty()) {
          return std::unexpected(error(BillingErrorCode::AlreadyCorrected,
                                       "ledger entry " + std::to_string(original->id) +
                                           " was corrected by entry " +
                                           std::to_string(corrections->front().id)));
        }
        auto site = detail::loadSite(tx);
        if (!site) {
          return std::unexpected(site.error());
        }
        auto loaded = detail::loadMeter(tx, original->meterId);
        if (!loaded) {
          return std::unexpected(loaded.error());
        }
        MeterContext& context = *loaded;
        if (context.meterSide() && original->kind == domain::EntryKind::Recharge) {
          // The meter holds the money once the recharge is delivered and has no refund: a
          // correction is only possible while the credit has not left the queue, and only for the
          // latest sale (its purchase count is given back so the next sale reuses it in sequence).
          auto command = rechargeCommandOf(tx, *original);
          if (!command) {
            return std::unexpected(command.error());
          }
          const bool undelivered = *command && (*command)->state == store::CommandState::Queued;
          const bool latest = original->purchaseCount == context.meter.purchaseCount;
          if (!undelivered || !latest) {
            return std::unexpected(error(
                BillingErrorCode::NotSupportedMeterSide,
                meterName(context.meter) + ": recharge entry " + std::to_string(original->id) +
                    (undelivered ? " is not the latest sale"
                                 : " may already be on the meter (its command is not queued)") +
                    ": it cannot be corrected"));
          }
          if (auto cancelled = lift(tx.commands().cancel((*command)->id, now,
                                                         "recharge corrected by " + request.source),
                                    "cancel recharge");
              !cancelled) {
            return std::unexpected(cancelled.error());
          }
          if (auto reset = lift(
                  tx.meters().setPurchaseCount(context.meter.id, context.meter.purchaseCount - 1),
                  "purchase count");
              !reset) {
            return std::unexpected(reset.error());
          }
        }
        store::LedgerEntry entry;
        entry.meterId = original->meterId;
        entry.accountId = original->accountId;
        entry.kind = domain::EntryKind::Correction;
        entry.amountFen = -original->amountFen;
        entry.idempotencyKey = request.idempotencyKey;
        entry.referencedEntryId = original->id;
        entry.source = request.source;
        entry.note = request.note;
        entry.createdAt = now;
        return postBalanceChange(tx, context, *site, m_options, entry, now, "correction");
      });
}

// [SECTION] opening balances

std::string openingBalanceKey(store::MeterId meter) {
  return "opening:" + std::to_string(meter);
}

bool isOpeningBalance(const store::LedgerEntry& entry) {
  return entry.kind == domain::EntryKind::TransferIn && !entry.referencedEntryId &&
         entry.idempotencyKey == openingBalanceKey(entry.meterId);
}

namespace {

// The purchase-count register of the meters is 32 bits unsigned (devices/meter profiles).
constexpr std::int64_t MaxPurchaseCount = 4'294'967'295;

std::expected<void, BillingError> checkOpeningRequest(const OpeningBalanceRequest& request) {
  if (request.source.empty()) {
    return std::unexpected(
        error(BillingErrorCode::MissingSource, "the operator or channel (source) is required"));
  }
  if (request.amountFen <= 0) {
    return std::unexpected(
        error(BillingErrorCode::NonPositiveAmount, "an opening balance must be > 0 fen, got " +
                                                       std::to_string(request.amountFen) +
                                                       " (a zero balance needs no entry)"));
  }
  if (request.purchaseCount &&
      (*request.purchaseCount < 0 || *request.purchaseCount > MaxPurchaseCount)) {
    return std::unexpected(error(BillingErrorCode::InvalidConfiguration,
                                 "purchase count must be 0.." + std::to_string(MaxPurchaseCount) +
                                     ", got " + std::to_string(*request.purchaseCount)));
  }
  return {};
}

std::expected<Receipt, BillingError> postOpening(store::WriteTransaction& tx,
                                                 const BillingOptions& options,
                                                 const OpeningBalanceRequest& request,
                                                 domain::Instant now) {
  const std::string key = openingBalanceKey(request.meterId);
  auto existing = lift(tx.ledger().entryByKey(key), "idempotency key");
  if (!existing) {
    return std::unexpected(existing.error());
  }
  if (*existing) {
    const auto& first = **existing;
    // A purchase count left out of the request means "whatever the backend had": it matches.
    const bool sameCount = !request.purchaseCount || first.purchaseCount == request.purchaseCount;
    if (!isOpeningBalance(first) || first.amountFen != request.amountFen || !sameCount) {
      return std::unexpected(error(
          BillingErrorCode::IdempotencyConflict,
          "meter " + std::to_string(request.meterId) + " already has an opening balance of " +
              std::to_string(first.amountFen) + " fen" +
              (first.purchaseCount ? " and purchase count " + std::to_string(*first.purchaseCount)
                                   : std::string()) +
              " (ledger entry " + std::to_string(first.id) + ")"));
    }
    return receiptOf(tx, first, Replay::Replayed);
  }
  auto site = detail::loadSite(tx);
  if (!site) {
    return std::unexpected(site.error());
  }
  auto loaded = detail::loadMeter(tx, request.meterId);
  if (!loaded) {
    return std::unexpected(loaded.error());
  }
  MeterContext& context = *loaded;
  if (auto open = checkOpen(context); !open) {
    return std::unexpected(open.error());
  }
  // Counted from the entries themselves, not the balance cache: a meter whose entries sum to 0
  // still has a history an opening balance must not be slipped in front of.
  auto check = lift(tx.ledger().checkBalance(context.meter.id), meterName(context.meter));
  if (!check) {
    return std::unexpected(check.error());
  }
  if (check->entryCount > 0) {
    return std::unexpected(
        error(BillingErrorCode::LedgerNotEmpty,
              meterName(context.meter) + " already has " + std::to_string(check->entryCount) +
                  " ledger entr" + (check->entryCount == 1 ? "y" : "ies") + " (balance " +
                  domain::formatYuan(domain::Money::fromFen(check->sumFen)) +
                  " yuan): an opening balance is posted only before any other entry"));
  }
  // The backend's count must equal the meter's, or the first reading would look like a sale the
  // backend does not know (meter ahead) and freeze the mirror.
  std::optional<std::int64_t> count = request.purchaseCount;
  if (count && *count != context.meter.purchaseCount) {
    if (auto set = lift(tx.meters().setPurchaseCount(context.meter.id, *count), "purchase count");
        !set) {
      return std::unexpected(set.error());
    }
    context.meter.purchaseCount = *count;
  }
  if (!count && context.meterSide()) {
    count = context.meter.purchaseCount;
  }
  store::LedgerEntry entry;
  entry.meterId = context.meter.id;
  entry.accountId = context.account->id;
  entry.kind = domain::EntryKind::TransferIn;
  entry.amountFen = request.amountFen;
  entry.idempotencyKey = key;
  entry.purchaseCount = count;
  entry.source = request.source;
  entry.note = request.note.empty() ? "opening balance" : "opening balance: " + request.note;
  entry.createdAt = now;
  // A level the meter opens in was the tenant's before the migration: shown, not announced, and
  // the next downward crossing is announced (as after a recharge or a transfer in).
  return postBalanceChange(tx, context, *site, options, entry, now, "opening balance",
                           domain::BalanceChange::Recharge);
}

}  // namespace

std::expected<Receipt, BillingError> BillingService::postOpeningBalance(
    const OpeningBalanceRequest& request) {
  if (auto checked = checkOpeningRequest(request); !checked) {
    return std::unexpected(checked.error());
  }
  const domain::Instant now = m_clock();
  return runWrite(m_store,
                  [&](store::WriteTransaction& tx) -> std::expected<Receipt, BillingError> {
                    return postOpening(tx, m_options, request, now);
                  });
}

std::expected<Receipt, BillingError> BillingService::postOpeningBalance(
    store::WriteTransaction& tx, const OpeningBalanceRequest& request) {
  if (auto checked = checkOpeningRequest(request); !checked) {
    return std::unexpected(checked.error());
  }
  return postOpening(tx, m_options, request, m_clock());
}

// [SECTION] old-meter transfer and closing

namespace {

/// Payload of the commands closeMeter enqueues (told apart from staff and policy commands).
constexpr std::string_view ClosingPayload = "billing:close";

std::expected<void, BillingError> checkKeyAndSource(const std::string& key,
                                                    const std::string& source) {
  if (key.empty()) {
    return std::unexpected(
        error(BillingErrorCode::EmptyIdempotencyKey, "an idempotency key is required"));
  }
  if (source.empty()) {
    return std::unexpected(
        error(BillingErrorCode::MissingSource, "the operator or channel (source) is required"));
  }
  return {};
}

/// Bills the meter's last stored reading when billing has not processed it yet, through the
/// same per-meter step collection uses, so the money settled is what the meter last reported.
/// Returns the fen charged (0 when there was nothing new).
std::expected<std::int64_t, BillingError> billLastReading(store::WriteTransaction& tx,
                                                          const SiteContext& site,
                                                          const BillingOptions& options,
                                                          store::MeterId meter,
                                                          domain::Instant now) {
  auto latest = lift(tx.readings().latest(meter), "latest reading");
  if (!latest) {
    return std::unexpected(latest.error());
  }
  if (!*latest) {
    return 0;
  }
  const store::Reading last = **latest;
  MeterOutcome outcome;
  if (auto done = processMeter(tx, site, options, meter, {0}, std::span(&last, 1), now, outcome);
      !done) {
    return std::unexpected(done.error());
  }
  std::int64_t charged = 0;
  for (const auto& [index, report] : outcome.reports) {
    charged += report.chargedFen;
  }
  return charged;
}

/// Cancels the meter's queued commands of `kinds`. A Recharge that already left the queue
/// (sending, or sent without a confirmation) may be on the meter: that refuses the settlement
/// before anything is cancelled. Cancelled recharges give their purchase counts back, so the
/// backend's count is the meter's again (a later account on this meter continues from it).
std::expected<std::vector<store::CommandId>, BillingError> cancelQueued(
    store::WriteTransaction& tx, MeterContext& context, std::span<const store::CommandKind> kinds,
    domain::Instant now, const std::string& reason) {
  const store::MeterId id = context.meter.id;
  auto unfinished = lift(tx.commands().unfinishedForMeter(id), meterName(context.meter));
  if (!unfinished) {
    return std::unexpected(unfinished.error());
  }
  for (const auto& c : *unfinished) {
    if (c.kind == store::CommandKind::Recharge && c.state != store::CommandState::Queued) {
      return std::unexpected(
          error(BillingErrorCode::SettlementBlocked,
                meterName(context.meter) + ": recharge command " + std::to_string(c.id) +
                    " (purchase count " + std::to_string(c.purchaseCount.value_or(0)) + ") is " +
                    std::string(store::toString(c.state)) +
                    ": it may be on the meter; retry once collection has confirmed or failed it"));
    }
  }
  std::vector<store::CommandId> cancelled;
  std::optional<std::int64_t> lowestCount;
  for (const auto& c : *unfinished) {
    if (c.state != store::CommandState::Queued || std::ranges::find(kinds, c.kind) == kinds.end()) {
      continue;
    }
    if (auto done = lift(tx.commands().cancel(c.id, now, reason), "cancel command"); !done) {
      return std::unexpected(done.error());
    }
    cancelled.push_back(c.id);
    if (c.kind == store::CommandKind::Recharge && c.purchaseCount) {
      lowestCount = std::min(lowestCount.value_or(*c.purchaseCount), *c.purchaseCount);
    }
  }
  if (lowestCount && *lowestCount - 1 < context.meter.purchaseCount) {
    if (auto set = lift(tx.meters().setPurchaseCount(id, *lowestCount - 1), "purchase count");
        !set) {
      return std::unexpected(set.error());
    }
    context.meter.purchaseCount = *lowestCount - 1;
  }
  return cancelled;
}

/// A meter leaving billing: its balance alarms are closed and its alarm state starts afresh.
std::expected<void, BillingError> clearBalanceAlarms(store::WriteTransaction& tx,
                                                     MeterContext& context, domain::Instant now) {
  detail::AlarmEffects effects;
  for (const auto kind :
       {store::AlarmKind::Alarm1, store::AlarmKind::Alarm2, store::AlarmKind::Arrears}) {
    if (auto cleared = detail::setAlarm(tx, context.meter.id, kind, false, now, "",
                                        store::Notified::No, effects);
        !cleared) {
      return std::unexpected(cleared.error());
    }
  }
  context.state.balanceAlarm = {};
  context.state.arrearsSince.reset();
  context.state.updatedAt = now;
  return lift(tx.billingState().save(context.state), "billing state");
}

std::expected<store::CommandId, BillingError> enqueueControl(store::WriteTransaction& tx,
                                                             store::MeterId meter,
                                                             store::CommandKind kind,
                                                             domain::Instant now) {
  store::Command command;
  command.meterId = meter;
  command.kind = kind;
  command.payload = std::string(ClosingPayload);
  command.priority = store::PriorityControl;
  command.createdAt = now;
  command.notBefore = now;
  auto queued = lift(tx.commands().enqueue(command),
                     "meter " + std::to_string(meter) + " " + std::string(store::toString(kind)));
  if (!queued) {
    return std::unexpected(queued.error());
  }
  return queued->id;
}

std::expected<TransferResult, BillingError> replayedTransfer(store::WriteTransaction& tx,
                                                             const TransferRequest& request,
                                                             const store::LedgerEntry& in) {
  std::optional<store::LedgerEntry> out;
  if (in.referencedEntryId) {
    auto found = lift(tx.ledger().entry(*in.referencedEntryId), "transfer out entry");
    if (!found) {
      return std::unexpected(found.error());
    }
    out = *found;
  }
  if (in.kind != domain::EntryKind::TransferIn || in.meterId != request.toMeterId || !out ||
      out->meterId != request.fromMeterId) {
    return std::unexpected(
        error(BillingErrorCode::IdempotencyConflict,
              "idempotency key '" + request.idempotencyKey + "' was used for another request"));
  }
  TransferResult result;
  result.replay = Replay::Replayed;
  result.amountFen = in.amountFen;
  result.outEntryId = out->id;
  auto receipt = receiptOf(tx, in, Replay::Replayed);
  if (!receipt) {
    return std::unexpected(receipt.error());
  }
  auto command = rechargeCommandOf(tx, in);
  if (!command) {
    return std::unexpected(command.error());
  }
  if (*command) {
    receipt->rechargeCommandId = (*command)->id;
  }
  result.in = *receipt;
  return result;
}

std::expected<TransferResult, BillingError> transfer(store::WriteTransaction& tx,
                                                     const BillingOptions& options,
                                                     const TransferRequest& request,
                                                     domain::Instant now) {
  if (auto checked = checkKeyAndSource(request.idempotencyKey, request.source); !checked) {
    return std::unexpected(checked.error());
  }
  if (request.fromMeterId == request.toMeterId) {
    return std::unexpected(error(BillingErrorCode::InvalidConfiguration,
                                 "a meter cannot transfer its balance to itself"));
  }
  const std::string outKey = request.idempotencyKey + ":out";
  const std::string inKey = request.idempotencyKey + ":in";
  auto existingIn = lift(tx.ledger().entryByKey(inKey), "idempotency key");
  if (!existingIn) {
    return std::unexpected(existingIn.error());
  }
  if (*existingIn) {
    return replayedTransfer(tx, request, **existingIn);
  }
  auto existingOut = lift(tx.ledger().entryByKey(outKey), "idempotency key");
  if (!existingOut) {
    return std::unexpected(existingOut.error());
  }
  if (*existingOut) {
    return std::unexpected(
        error(BillingErrorCode::IdempotencyConflict,
              "idempotency key '" + request.idempotencyKey + "' was used for another request"));
  }
  auto site = detail::loadSite(tx);
  if (!site) {
    return std::unexpected(site.error());
  }
  auto to = loadOpenMeter(tx, request.toMeterId);
  if (!to) {
    return std::unexpected(to.error());
  }
  auto fromFirst = loadOpenMeter(tx, request.fromMeterId);
  if (!fromFirst) {
    return std::unexpected(fromFirst.error());
  }
  if (fromFirst->account->id != to->account->id) {
    return std::unexpected(error(
        BillingErrorCode::InvalidConfiguration,
        meterName(fromFirst->meter) + " and " + meterName(to->meter) + " are not on one account"));
  }
  TransferResult result;
  auto charged = billLastReading(tx, *site, options, request.fromMeterId, now);
  if (!charged) {
    return std::unexpected(charged.error());
  }
  result.finalChargeFen = *charged;
  // Reloaded: billing the last reading changed its balance and state.
  auto from = detail::loadMeter(tx, request.fromMeterId);
  if (!from) {
    return std::unexpected(from.error());
  }
  const std::array recharges{store::CommandKind::Recharge};
  auto cancelled = cancelQueued(
      tx, *from, recharges, now,
      "meter replaced: balance transferred to meter " + std::to_string(request.toMeterId));
  if (!cancelled) {
    return std::unexpected(cancelled.error());
  }
  result.cancelledCommands = std::move(*cancelled);
  if (from->balanceFen < 0) {
    return std::unexpected(error(BillingErrorCode::SettlementBlocked,
                                 meterName(from->meter) + " is in arrears (" +
                                     domain::formatYuan(domain::Money::fromFen(from->balanceFen)) +
                                     " yuan): settle it before the replacement"));
  }
  if (from->balanceFen > 0) {
    const std::int64_t amount = from->balanceFen;
    const std::string suffix = request.note.empty() ? std::string() : ": " + request.note;
    store::LedgerEntry out;
    out.meterId = from->meter.id;
    out.accountId = from->account->id;
    out.kind = domain::EntryKind::TransferOut;
    out.amountFen = -amount;
    out.idempotencyKey = outKey;
    out.source = request.source;
    out.note = "old-meter balance to meter " + std::to_string(request.toMeterId) + suffix;
    out.createdAt = now;
    auto postedOut = lift(tx.ledger().append(out), "transfer out");
    if (!postedOut) {
      return std::unexpected(postedOut.error());
    }
    result.outEntryId = postedOut->entry.id;
    if (auto refreshed = detail::refreshBalance(tx, *from); !refreshed) {
      return std::unexpected(refreshed.error());
    }

    std::optional<std::int64_t> count;
    if (to->meterSide()) {
      auto next = lift(tx.meters().nextPurchaseCount(to->meter.id), "purchase count");
      if (!next) {
        return std::unexpected(next.error());
      }
      count = *next;
    }
    store::LedgerEntry in = out;
    in.meterId = to->meter.id;
    in.accountId = to->account->id;
    in.kind = domain::EntryKind::TransferIn;
    in.amountFen = amount;
    in.idempotencyKey = inKey;
    in.referencedEntryId = postedOut->entry.id;
    in.purchaseCount = count;
    in.note = "old-meter balance from meter " + std::to_string(request.fromMeterId) + suffix;
    auto postedIn = lift(tx.ledger().append(in), "transfer in");
    if (!postedIn) {
      return std::unexpected(postedIn.error());
    }
    auto receipt = receiptOf(tx, postedIn->entry, Replay::New);
    if (!receipt) {
      return std::unexpected(receipt.error());
    }
    if (to->meterSide()) {
      // The money must reach the meter like a sale, or the mirror would read the missing amount
      // on the meter as consumption and charge it away.
      store::Command command;
      command.meterId = to->meter.id;
      command.kind = store::CommandKind::Recharge;
      command.payload = "amount_fen=" + std::to_string(amount);
      command.priority = store::PriorityRecharge;
      command.purchaseCount = count;
      command.ledgerEntryId = postedIn->entry.id;
      command.createdAt = now;
      command.notBefore = now;
      auto queued = lift(tx.commands().enqueue(command), "recharge command");
      if (!queued) {
        return std::unexpected(queued.error());
      }
      receipt->rechargeCommandId = queued->id;
    }
    if (auto after = afterBalanceChange(tx, *to, *site, options, domain::BalanceChange::Recharge,
                                        now, receipt->closeCommandId);
        !after) {
      return std::unexpected(after.error());
    }
    result.amountFen = amount;
    result.in = *receipt;
  }
  if (auto cleared = clearBalanceAlarms(tx, *from, now); !cleared) {
    return std::unexpected(cleared.error());
  }
  return result;
}

std::expected<CloseMeterResult, BillingError> closeOne(store::WriteTransaction& tx,
                                                       const BillingOptions& options,
                                                       const CloseMeterRequest& request,
                                                       domain::Instant now) {
  if (auto checked = checkKeyAndSource(request.idempotencyKey, request.source); !checked) {
    return std::unexpected(checked.error());
  }
  CloseMeterResult result;
  result.meterId = request.meterId;
  auto existing = lift(tx.ledger().entryByKey(request.idempotencyKey), "idempotency key");
  if (!existing) {
    return std::unexpected(existing.error());
  }
  if (*existing) {
    if ((*existing)->kind != domain::EntryKind::CloseSettlement ||
        (*existing)->meterId != request.meterId) {
      return std::unexpected(
          error(BillingErrorCode::IdempotencyConflict,
                "idempotency key '" + request.idempotencyKey + "' was used for another request"));
    }
    result.replay = Replay::Replayed;
    result.settledFen = -(*existing)->amountFen;
    result.settlementEntryId = (*existing)->id;
    return result;
  }
  auto site = detail::loadSite(tx);
  if (!site) {
    return std::unexpected(site.error());
  }
  auto first = loadOpenMeter(tx, request.meterId);
  if (!first) {
    return std::unexpected(first.error());
  }
  auto charged = billLastReading(tx, *site, options, request.meterId, now);
  if (!charged) {
    return std::unexpected(charged.error());
  }
  result.finalChargeFen = *charged;
  auto loaded = detail::loadMeter(tx, request.meterId);
  if (!loaded) {
    return std::unexpected(loaded.error());
  }
  MeterContext& context = *loaded;
  // Anything that would put money on the meter or power back on is obsolete now.
  const std::array obsolete{store::CommandKind::Recharge, store::CommandKind::Close,
                            store::CommandKind::KeepPowerOn, store::CommandKind::ResumePrepaid};
  auto cancelled = cancelQueued(tx, context, obsolete, now, "account closed");
  if (!cancelled) {
    return std::unexpected(cancelled.error());
  }
  result.cancelledCommands = std::move(*cancelled);
  result.settledFen = context.balanceFen;
  if (context.balanceFen != 0) {
    store::LedgerEntry entry;
    entry.meterId = context.meter.id;
    entry.accountId = context.account->id;
    entry.kind = domain::EntryKind::CloseSettlement;
    entry.amountFen = -context.balanceFen;
    entry.idempotencyKey = request.idempotencyKey;
    entry.source = request.source;
    entry.note = request.note.empty() ? "account closed" : request.note;
    entry.createdAt = now;
    auto posted = lift(tx.ledger().append(entry), "close settlement");
    if (!posted) {
      return std::unexpected(posted.error());
    }
    result.settlementEntryId = posted->entry.id;
    if (auto refreshed = detail::refreshBalance(tx, context); !refreshed) {
      return std::unexpected(refreshed.error());
    }
  }
  if (context.meter.keepPower == store::KeepPower::On) {
    auto off = enqueueControl(tx, context.meter.id, store::CommandKind::KeepPowerOff, now);
    if (!off) {
      return std::unexpected(off.error());
    }
    result.queuedCommands.push_back(*off);
    if (auto set =
            lift(tx.meters().setKeepPower(context.meter.id, store::KeepPower::Off), "keep power");
        !set) {
      return std::unexpected(set.error());
    }
  }
  auto unfinished = lift(tx.commands().unfinishedForMeter(context.meter.id), "commands");
  if (!unfinished) {
    return std::unexpected(unfinished.error());
  }
  const bool tripOnItsWay = std::ranges::any_of(
      *unfinished, [](const store::Command& c) { return c.kind == store::CommandKind::Trip; });
  if (!tripOnItsWay) {
    auto trip = enqueueControl(tx, context.meter.id, store::CommandKind::Trip, now);
    if (!trip) {
      return std::unexpected(trip.error());
    }
    result.queuedCommands.push_back(*trip);
  }
  // Billing opened the relay: a later account on this meter gets it reclosed by the trip policy
  // once its balance allows.
  context.state.relayOpener = store::RelayOpener::Billing;
  if (auto status =
          lift(tx.meters().setStatus(context.meter.id, store::MeterStatus::Closed), "meter status");
      !status) {
    return std::unexpected(status.error());
  }
  if (auto cleared = clearBalanceAlarms(tx, context, now); !cleared) {
    return std::unexpected(cleared.error());
  }
  return result;
}

}  // namespace

std::expected<TransferResult, BillingError> BillingService::transferBalance(
    store::WriteTransaction& tx, const TransferRequest& request) {
  return transfer(tx, m_options, request, m_clock());
}

std::expected<TransferResult, BillingError> BillingService::transferBalance(
    const TransferRequest& request) {
  const domain::Instant now = m_clock();
  return runWrite(m_store,
                  [&](store::WriteTransaction& tx) -> std::expected<TransferResult, BillingError> {
                    return transfer(tx, m_options, request, now);
                  });
}

std::expected<CloseMeterResult, BillingError> BillingService::closeMeter(
    store::WriteTransaction& tx, const CloseMeterRequest& request) {
  return closeOne(tx, m_options, request, m_clock());
}

std::expected<CloseMeterResult, BillingError> BillingService::closeMeter(
    const CloseMeterRequest& request) {
  const domain::Instant now = m_clock();
  return runWrite(
      m_store, [&](store::WriteTransaction& tx) -> std::expected<CloseMeterResult, BillingError> {
        return closeOne(tx, m_options, request, now);
      });
}

std::expected<store::TariffVersion, BillingError> BillingService::changePrice(
    store::TariffId tariff, const domain::Tariff& definition, domain::Instant effectiveFrom) {
  if (auto valid = domain::validateTariff(definition); !valid) {
    return std::unexpected(error(BillingErrorCode::InvalidTariff, valid.error().message));
  }
  const domain::Instant now = m_clock();
  if (effectiveFrom < now) {
    return std::unexpected(error(BillingErrorCode::PriceChangeInPast,
                                 "a price change takes effect now or later, not at " +
                                     std::to_string(detail::epochSeconds(effectiveFrom))));
  }
  return runWrite(
      m_store,
      [&](store::WriteTransaction& tx) -> std::expected<store::TariffVersion, BillingError> {
        auto known = lift(tx.tariffs().tariff(tariff), "tariff " + std::to_string(tariff),
                          BillingErrorCode::UnknownTariff);
        if (!known) {
          return std::unexpected(known.error());
        }
        store::TariffVersion version;
        version.tariffId = tariff;
        version.effectiveFrom = effectiveFrom;
        version.definition = domain::encodeTariff(definition);
        version.createdAt = now;
        auto added = tx.tariffs().addVersion(version);
        if (!added && added.error().code == store::StoreErrorCode::Duplicate) {
          return std::unexpected(error(
              BillingErrorCode::IdempotencyConflict,
              "tariff " + std::to_string(tariff) + " already has a version taking effect then"));
        }
        return lift(std::move(added), "tariff version");
      });
}

std::expected<std::vector<store::CommandId>, BillingError> BillingService::reevaluate(
    store::MeterId meter) {
  const domain::Instant now = m_clock();
  return runWrite(
      m_store,
      [&](store::WriteTransaction& tx)
          -> std::expected<std::vector<store::CommandId>, BillingError> {
        auto site = detail::loadSite(tx);
        if (!site) {
          return std::unexpected(site.error());
        }
        auto loaded = detail::loadMeter(tx, meter);
        if (!loaded) {
          return std::unexpected(loaded.error());
        }
        MeterContext& context = *loaded;
        if (!context.billed()) {
          return std::vector<store::CommandId>{};
        }
        detail::trackArrears(context, now);
        detail::AlarmEffects alarms;
        if (auto evaluated = detail::evaluateBalanceAlarms(
                tx, context, *site, m_options, domain::BalanceChange::Consumption, now, alarms);
            !evaluated) {
          return std::unexpected(evaluated.error());
        }
        auto latest = lift(tx.readings().latest(meter), "latest reading");
        if (!latest) {
          return std::unexpected(latest.error());
        }
        detail::ControlEffects control;
        if (auto controlled = detail::applyTripPolicy(tx, context, *site, m_options,
                                                      *latest ? (*latest)->relay : std::nullopt,
                                                      now, now, control);
            !controlled) {
          return std::unexpected(controlled.error());
        }
        context.state.updatedAt = now;
        if (auto saved = lift(tx.billingState().save(context.state), "billing state"); !saved) {
          return std::unexpected(saved.error());
        }
        return control.queued;
      });
}

std::expected<void, BillingError> BillingService::resolvePurchaseCountMismatch(
    store::MeterId meter, std::int64_t purchaseCount) {
  const domain::Instant now = m_clock();
  return runWrite(m_store, [&](store::WriteTransaction& tx) -> std::expected<void, BillingError> {
    auto loaded = detail::loadMeter(tx, meter);
    if (!loaded) {
      return std::unexpected(loaded.error());
    }
    if (purchaseCount < 0) {
      return std::unexpected(
          error(BillingErrorCode::InvalidConfiguration, "a purchase count cannot be negative"));
    }
    if (auto set = lift(tx.meters().setPurchaseCount(meter, purchaseCount), "purchase count");
        !set) {
      return std::unexpected(set.error());
    }
    detail::AlarmEffects effects;
    if (auto cleared = detail::setAlarm(tx, meter, store::AlarmKind::PurchaseCountMismatch, false,
                                        now, "", store::Notified::No, effects);
        !cleared) {
      return std::unexpected(cleared.error());
    }
    return lift(tx.meters().setSalesBlock(meter, store::SalesBlock::Allowed, ""), "sales block");
  });
}

std::expected<void, BillingError> BillingService::resetBaseline(store::MeterId meter) {
  const domain::Instant now = m_clock();
  return runWrite(m_store, [&](store::WriteTransaction& tx) -> std::expected<void, BillingError> {
    auto loaded = detail::loadMeter(tx, meter);
    if (!loaded) {
      return std::unexpected(loaded.error());
    }
    loaded->state.baseline.reset();
    loaded->state.updatedAt = now;
    return lift(tx.billingState().save(loaded->state), "billing state");
  });
}

}  // namespace prepaid::backend::billing
