// The running engine (prepaid-backend as a child process) against prepaid-meter-sim: both billing
// modes, Modbus TCP and RTU on a pty, lost contact and recovery, exactly-once recharge with a lost
// reply, trip on arrears and reclose, delayed trip, price change inside an interval,
// purchase-count mismatch.

#include <algorithm>

#include "engine_site.hpp"
#include <gtest/gtest.h>

#include "prepaid/domain/tariff.hpp"
#include "prepaid/domain/tariff_codec.hpp"

namespace prepaid::test {
namespace {

using backend::billing::BillingErrorCode;

std::vector<std::string> simFlags(const std::string& protocol, int meters, double timeScale) {
  return {"--gateways",           "1",
          "--meters-per-gateway", std::to_string(meters),
          "--protocol",           protocol,
          "--time-scale",         std::to_string(timeScale),
          "--profile-dir",        PREPAID_SOURCE_DIR "/assets/meters"};
}

long long simField(EngineSite& site, int unit, const std::string& name) {
  return site.sim().field(0, unit, name);
}

bool relayOpen(EngineSite& site, int unit) {
  const auto reply = site.sim().control("get 0 " + std::to_string(unit));
  return MeterSimProcess::valueOf(reply, "relay") == "open";
}

TEST(BackendEngineTest, MeterSideRechargeIsDeliveredAndReadingsMirrored) {
  EngineSite site;
  ASSERT_TRUE(site.startSim(simFlags("modbus-tcp", 2, 1)));
  site.settings(1, 3);
  site.addGateway(0, "tcp");
  const auto meter = site.addMeter(EngineSite::spec(0, 1));
  site.addMeter(EngineSite::spec(0, 2));
  ASSERT_TRUE(site.startBackend());
  ASSERT_TRUE(eventually([&] {
    const auto reading = site.latestReading(meter.id);
    return reading && reading->balanceFen && reading->purchaseCount == 0;
  })) << site.log();

  const auto before = simField(site, 1, "balance_fen");
  const auto receipt = site.sell(meter.id, 500, "order-1");
  ASSERT_TRUE(receipt.has_value()) << receipt.error().message;
  ASSERT_TRUE(receipt->rechargeCommandId.has_value());
  ASSERT_TRUE(eventually([&] { return simField(site, 1, "purchase_count") == 1; })) << site.log();
  const auto after = simField(site, 1, "balance_fen");
  EXPECT_LE(after, before + 500);
  EXPECT_GE(after, before + 500 - 20);  // a few seconds of consumption at most
  ASSERT_TRUE(eventually([&] { return site.unfinished(meter.id) == 0; }));
  EXPECT_EQ(site.backend().stop(), 0) << site.log();
  const auto verified = site.db().verifyLedger();
  ASSERT_TRUE(verified.has_value());
  EXPECT_TRUE(verified->ok());
}

TEST(BackendEngineTest, ServerSideMeterOnAnRtuPtyIsRatedAndCharged) {
  EngineSite site;
  ASSERT_TRUE(site.startSim(simFlags("rtu-pty", 1, 3600)));
  ASSERT_EQ(site.sim().control("set 0 1 balance_fen 100000000").substr(0, 2), "ok");
  site.settings(1, 3);
  site.addGateway(0, "rtu");
  const auto meter = site.addMeter(EngineSite::spec(0, 1, domain::BillingMode::ServerSide));
  ASSERT_TRUE(site.sell(meter.id, 200000, "open-credit").has_value());
  ASSERT_TRUE(site.startBackend());
  ASSERT_TRUE(eventually([&] { return site.balanceFen(meter.id) < 200000 - 100; }, 30s))
      << site.log();
  const auto verified = site.db().verifyLedger();
  ASSERT_TRUE(verified.has_value());
  EXPECT_TRUE(verified->ok());
  EXPECT_EQ(site.backend().stop(), 0);
}

TEST(BackendEngineTest, LostContactOfAMeterAndOfAGatewayIsRaisedAndCleared) {
  EngineSite site;
  ASSERT_TRUE(site.startSim(simFlags("modbus-tcp", 2, 1)));
  site.settings(1, 2);
  const auto gateway = site.addGateway(0, "tcp");
  const auto dead = site.addMeter(EngineSite::spec(0, 1));
  const auto alive = site.addMeter(EngineSite::spec(0, 2));
  ASSERT_TRUE(site.startBackend());
  ASSERT_TRUE(eventually([&] { return site.latestReading(alive.id).has_value(); })) << site.log();

  ASSERT_EQ(site.sim().control("fault 0 1 no-reply").substr(0, 2), "ok");
  ASSERT_TRUE(eventually([&] {
    return site.meter(dead.id).linkState == store::LinkState::Lost &&
           site.hasOpenAlarm(store::AlarmSubject::meter(dead.id), store::AlarmKind::LostContact);
  })) << site.log();
  EXPECT_EQ(site.gateway(gateway.id).linkState, store::LinkState::Online);
  ASSERT_EQ(site.sim().control("clear 0 1").substr(0, 2), "ok");
  ASSERT_TRUE(eventually([&] {
    return site.meter(dead.id).linkState == store::LinkState::Online &&
           !site.hasOpenAlarm(store::AlarmSubject::meter(dead.id), store::AlarmKind::LostContact);
  })) << site.log();

  ASSERT_EQ(site.sim().control("gateway-fault 0 gateway-down").substr(0, 2), "ok");
  ASSERT_TRUE(eventually([&] {
    return site.gateway(gateway.id).linkState == store::LinkState::Lost &&
           site.hasOpenAlarm(store::AlarmSubject::gateway(gateway.id),
                             store::AlarmKind::LostContact);
  })) << site.log();
  ASSERT_EQ(site.sim().control("clear 0").substr(0, 2), "ok");
  const auto lastBefore = site.latestReading(alive.id)->readAt;
  ASSERT_TRUE(eventually([&] {
    return site.gateway(gateway.id).linkState == store::LinkState::Online &&
           !site.hasOpenAlarm(store::AlarmSubject::gateway(gateway.id),
                              store::AlarmKind::LostContact) &&
           site.latestReading(alive.id)->readAt > lastBefore;
  })) << site.log();
  EXPECT_EQ(site.backend().stop(), 0);
}

TEST(BackendEngineTest, RechargeWhoseReplyIsLostIsCreditedExactlyOnce) {
  EngineSite site;
  ASSERT_TRUE(site.startSim(simFlags("rtu-over-tcp", 1, 1)));
  site.settings(1, 3);
  site.addGateway(0, "rtu+tcp");
  const auto meter = site.addMeter(EngineSite::spec(0, 1));
  ASSERT_TRUE(site.startBackend());
  ASSERT_TRUE(eventually([&] { return site.latestReading(meter.id).has_value(); }));
  ASSERT_EQ(site.sim().control("fault 0 1 reply-lost-after-recharge*1").substr(0, 2), "ok");
  const auto before = simField(site, 1, "balance_fen");
  const auto receipt = site.sell(meter.id, 700, "lost-reply");
  ASSERT_TRUE(receipt.has_value()) << receipt.error().message;
  ASSERT_TRUE(eventually([&] { return site.unfinished(meter.id) == 0; })) << site.log();
  const auto commands = site.commandsOf(meter.id);
  ASSERT_EQ(commands.size(), 1U);
  EXPECT_EQ(commands.front().state, store::CommandState::Done);
  EXPECT_EQ(simField(site, 1, "purchase_count"), 1);
  const auto after = simField(site, 1, "balance_fen");
  EXPECT_LE(after, before + 700);
  EXPECT_GE(after, before + 700 - 20);
  EXPECT_EQ(site.backend().stop(), 0);
}

TEST(BackendEngineTest, ServerSideTripOnArrearsAndAutomaticRecloseAfterARecharge) {
  EngineSite site;
  ASSERT_TRUE(site.startSim(simFlags("modbus-tcp", 1, 60)));
  ASSERT_EQ(site.sim().control("set 0 1 balance_fen 100000000").substr(0, 2), "ok");
  site.settings(1, 3);
  site.addGateway(0, "tcp");
  // No credit on the account: the first reading finds it in arrears.
  const auto meter = site.addMeter(EngineSite::spec(0, 1, domain::BillingMode::ServerSide));
  ASSERT_TRUE(site.startBackend());
  ASSERT_TRUE(eventually([&] { return relayOpen(site, 1); })) << site.log();
  const auto receipt = site.sell(meter.id, 5000, "pay-after-trip");
  ASSERT_TRUE(receipt.has_value()) << receipt.error().message;
  ASSERT_TRUE(eventually([&] { return !relayOpen(site, 1); })) << site.log();
  ASSERT_TRUE(eventually([&] { return site.unfinished(meter.id) == 0; })) << site.log();
  bool tripped = false;
  bool closed = false;
  for (const auto& command : site.commandsOf(meter.id)) {
    tripped = tripped || (command.kind == store::CommandKind::Trip &&
                          command.state == store::CommandState::Done);
    closed = closed || (command.kind == store::CommandKind::Close &&
                        command.state == store::CommandState::Done);
  }
  EXPECT_TRUE(tripped);
  EXPECT_TRUE(closed);
  EXPECT_EQ(site.backend().stop(), 0);
}

TEST(BackendEngineTest, DelayedTripWaitsForItsWindow) {
  EngineSite site;
  ASSERT_TRUE(site.startSim(simFlags("modbus-tcp", 1, 1)));
  ASSERT_EQ(site.sim().control("set 0 1 balance_fen 100000000").substr(0, 2), "ok");
  site.settings(1, 3);
  site.addGateway(0, "tcp");
  // The check time is the next local minute (at least 10 s away), night and holidays allowed so
  // the test runs at any hour.
  const auto zone = domain::SiteTimeZone{};
  auto now = wallNow();
  auto window = std::chrono::ceil<std::chrono::minutes>(zone.toLocal(now + 10s));
  const auto checkInstant = zone.toInstant(window);
  const auto minuteOfDay =
      (std::chrono::floor<std::chrono::minutes>(zone.secondsOfDay(checkInstant))).count();
  store::TripPolicy policy;
  policy.kind = domain::TripPolicyKind::Delayed;
  policy.delayedTripMinuteOfDay = minuteOfDay;
  policy.night = store::NightTrip::Allowed;
  policy.holidays = store::HolidayTrip::Allowed;
  auto spec = EngineSite::spec(0, 1, domain::BillingMode::ServerSide);
  spec.tripPolicy = policy;
  const auto meter = site.addMeter(spec);
  ASSERT_TRUE(site.startBackend());
  // In arrears from the first reading, but nothing is tripped before the check time.
  ASSERT_TRUE(eventually([&] {
    const auto reading = site.latestReading(meter.id);
    return reading && reading->readAt >= wallNow() - 1s &&
           site.hasOpenAlarm(store::AlarmSubject::meter(meter.id), store::AlarmKind::Arrears);
  })) << site.log();
  while (wallNow() < checkInstant - 2s) {
    for (const auto& command : site.commandsOf(meter.id)) {
      ASSERT_NE(command.kind, store::CommandKind::Trip) << "tripped before the window";
    }
    EXPECT_FALSE(relayOpen(site, 1));
    std::this_thread::sleep_for(500ms);
  }
  ASSERT_TRUE(eventually([&] { return relayOpen(site, 1); }, 40s)) << site.log();
  for (const auto& command : site.commandsOf(meter.id)) {
    if (command.kind == store::CommandKind::Trip) {
      EXPECT_GE(command.createdAt, checkInstant);
    }
  }
  EXPECT_EQ(site.backend().stop(), 0);
}

TEST(BackendEngineTest, PriceChangeInTheMiddleOfAnIntervalAppliesFromItsEffectiveTime) {
  EngineSite site;
  ASSERT_TRUE(site.startSim(simFlags("modbus-tcp", 1, 3600)));
  ASSERT_EQ(site.sim().control("set 0 1 balance_fen 100000000").substr(0, 2), "ok");
  site.settings(2, 3);
  site.addGateway(0, "tcp");
  store::TariffId tariffId = 0;
  site.write([&](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
    auto tariff = tx.tariffs().addTariff("flat");
    if (!tariff) {
      return std::unexpected(tariff.error());
    }
    tariffId = tariff->id;
    store::TariffVersion version;
    version.tariffId = tariffId;
    version.effectiveFrom = wallNow() - std::chrono::hours(1);
    version.definition =
        domain::encodeTariff(domain::Tariff::flat(domain::UnitPrice::fromMicroYuan(1000000)));
    version.createdAt = wallNow();
    auto added = tx.tariffs().addVersion(version);
    if (!added) {
      return std::unexpected(added.error());
    }
    return {};
  });
  auto spec = EngineSite::spec(0, 1, domain::BillingMode::ServerSide);
  spec.tariff = tariffId;
  const auto meter = site.addMeter(spec);
  ASSERT_TRUE(site.sell(meter.id, 400000, "credit").has_value());
  ASSERT_TRUE(site.startBackend());
  ASSERT_TRUE(eventually([&] { return site.latestReading(meter.id).has_value(); }));
  // Effective in the middle of the next collection interval.
  const auto effective = wallNow() + 3s;
  const auto changed = site.billing().changePrice(
      tariffId, domain::Tariff::flat(domain::UnitPrice::fromMicroYuan(2000000)), effective);
  ASSERT_TRUE(changed.has_value()) << changed.error().message;
  ASSERT_TRUE(eventually([&] {
    const auto reading = site.latestReading(meter.id);
    return reading && reading->readAt >= effective + 5s;
  })) << site.log();
  EXPECT_EQ(site.backend().stop(), 0);

  const auto from = wallNow() - std::chrono::hours(2);
  const auto to = wallNow() + std::chrono::hours(1);
  const auto readings = site.read<std::vector<store::Reading>>(
      [&](const auto& tx) { return tx.readings().readings(meter.id, from, to, 10000); });
  const auto entries = site.read<std::vector<store::LedgerEntry>>(
      [&](const auto& tx) { return tx.ledger().entries(meter.id, from, to, 10000); });
  std::map<domain::Instant, std::int64_t> charged;
  for (const auto& entry : entries) {
    if (entry.kind == domain::EntryKind::Charge && entry.usageAt) {
      charged[*entry.usageAt] += -entry.amountFen;
    }
  }
  int before = 0;
  int after = 0;
  int straddling = 0;
  for (std::size_t i = 1; i < readings.size(); ++i) {
    const auto energy = readings[i].energyTotalCentiKwh - readings[i - 1].energyTotalCentiKwh;
    const auto fen = charged.contains(readings[i].readAt) ? charged[readings[i].readAt] : 0;
    // 1 yuan/kWh: 0.01 kWh costs 1 fen; 2 yuan/kWh: 2 fen (a sub-fen carry moves at most 1).
    if (readings[i].readAt <= effective) {
      EXPECT_LE(std::abs(fen - energy), 1)
          << "interval ending " << readings[i].readAt.time_since_epoch().count();
      ++before;
    } else if (readings[i - 1].readAt >= effective) {
      EXPECT_LE(std::abs(fen - 2 * energy), 1);
      ++after;
    } else {
      EXPECT_GE(fen, energy - 1);
      EXPECT_LE(fen, 2 * energy + 1);
      if (energy > 2) {
        EXPECT_GT(fen, energy + 0) << "the part after the change is at the new price";
        EXPECT_LT(fen, 2 * energy) << "the part before the change is at the old price";
      }
      ++straddling;
    }
  }
  EXPECT_GE(before, 1);
  EXPECT_GE(after, 1);
  // Exactly one interval straddles the change, unless a reading fell in the very second the
  // price changed (then that reading splits the intervals and none straddles).
  const bool readAtTheChange = std::ranges::any_of(
      readings, [&](const auto& reading) { return reading.readAt == effective; });
  EXPECT_EQ(straddling, readAtTheChange ? 0 : 1);
}

TEST(BackendEngineTest, PurchaseCountMismatchBlocksSales) {
  EngineSite site;
  ASSERT_TRUE(site.startSim(simFlags("modbus-tcp", 1, 1)));
  site.settings(1, 3);
  site.addGateway(0, "tcp");
  const auto meter = site.addMeter(EngineSite::spec(0, 1));
  ASSERT_TRUE(site.startBackend());
  ASSERT_TRUE(eventually([&] { return site.latestReading(meter.id).has_value(); }));
  ASSERT_TRUE(site.sell(meter.id, 100, "before").has_value());
  ASSERT_TRUE(eventually([&] { return simField(site, 1, "purchase_count") == 1; })) << site.log();
  // Someone recharged the meter behind the backend's back (比对充值次数 must catch it).
  ASSERT_EQ(site.sim().control("set 0 1 purchase_count 5").substr(0, 2), "ok");
  ASSERT_TRUE(eventually([&] {
    return site.meter(meter.id).salesBlock == store::SalesBlock::Blocked &&
           site.hasOpenAlarm(store::AlarmSubject::meter(meter.id),
                             store::AlarmKind::PurchaseCountMismatch);
  })) << site.log();
  const auto refused = site.sell(meter.id, 100, "after");
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, BillingErrorCode::SalesBlocked);
  EXPECT_EQ(simField(site, 1, "purchase_count"), 5);
  EXPECT_EQ(site.backend().stop(), 0);
}

}  // namespace
}  // namespace prepaid::test
