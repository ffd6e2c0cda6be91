// BillingService::transferBalance (老表金额转入) and closeMeter (销户) with meter-side and
// server-side meters: the money reaches a meter-side new meter as a recharge (the mirror does not
// charge it away), the old meter's last reading is billed first, undelivered recharges are
// cancelled, a recharge in flight refuses, closing trips the relay and clears the alarms.

#include "billing_fixture.hpp"

namespace prepaid::backend::billing::testing {
namespace {

class AccountTest : public BillingTest {
 protected:
  /// Opens `second` on the same account as `first` (what the account route does first).
  void addToAccountOf(store::MeterId first, store::MeterId second) {
    must(write([&](store::WriteTransaction& t) -> std::expected<void, store::StoreError> {
      auto account = t.accounts().openAccountOfMeter(first);
      if (!account) {
        return std::unexpected(account.error());
      }
      if (auto added = t.accounts().addMeter((*account)->id, second, now); !added) {
        return std::unexpected(added.error());
      }
      return t.meters().setStatus(second, store::MeterStatus::Opened);
    }));
  }
  std::expected<TransferResult, BillingError> tryTransfer(store::MeterId from, store::MeterId to,
                                                          const std::string& key = "t1") {
    TransferRequest request;
    request.fromMeterId = from;
    request.toMeterId = to;
    request.idempotencyKey = key;
    request.source = "op";
    return service->transferBalance(request);
  }
  std::expected<CloseMeterResult, BillingError> tryClose(store::MeterId m,
                                                         const std::string& key = "close:1") {
    CloseMeterRequest request;
    request.meterId = m;
    request.idempotencyKey = key;
    request.source = "op";
    return service->closeMeter(request);
  }
  static store::Reading meterReading(store::MeterId m, Instant at, std::int64_t balanceFen,
                                     std::int64_t purchaseCount, std::int64_t total = 0) {
    auto r = reading(m, at, total);
    r.balanceFen = balanceFen;
    r.purchaseCount = purchaseCount;
    return r;
  }
  /// Stores a reading as collection does, without billing it (billing lags behind).
  void storeOnly(const store::Reading& r) { must(store->writeReadings({r})); }
  store::Command command(store::CommandId id) {
    return must(read([&](const store::ReadTransaction& t) { return t.commands().command(id); }));
  }
  /// Claims the meter's next command without finishing it: sent, reply pending.
  void claimOnly(Instant at) {
    auto claimed = must(
        write([&](store::WriteTransaction& t) { return t.commands().claimNext(gateway, at); }));
    ASSERT_TRUE(claimed);
  }
};

TEST_F(AccountTest, TransferToAMeterSideMeterQueuesARechargeTheMirrorDoesNotCharge) {
  const auto oldMeter = addMeter();
  const auto newMeter = addMeter(MeterSetup().meterSide().notOpen());
  addToAccountOf(oldMeter, newMeter);
  sell(oldMeter, 5'000, "s1");

  const auto result = must(tryTransfer(oldMeter, newMeter));
  EXPECT_EQ(result.replay, Replay::New);
  EXPECT_EQ(result.amountFen, 5'000);
  ASSERT_TRUE(result.outEntryId);
  ASSERT_TRUE(result.in);
  EXPECT_EQ(result.in->kind, domain::EntryKind::TransferIn);
  EXPECT_EQ(result.in->balanceAfterFen, 5'000);
  EXPECT_EQ(result.in->purchaseCount, 1);
  ASSERT_TRUE(result.in->rechargeCommandId);
  const auto recharge = command(*result.in->rechargeCommandId);
  EXPECT_EQ(recharge.kind, store::CommandKind::Recharge);
  EXPECT_EQ(recharge.purchaseCount, 1);
  EXPECT_EQ(recharge.ledgerEntryId, result.in->entryId);
  EXPECT_EQ(recharge.payload, "amount_fen=5000");
  EXPECT_EQ(meter(newMeter).purchaseCount, 1);
  EXPECT_EQ(balance(oldMeter), 0);
  const auto in = entriesOfKind(newMeter, domain::EntryKind::TransferIn);
  ASSERT_EQ(in.size(), 1U);
  EXPECT_EQ(in[0].referencedEntryId, *result.outEntryId);
  EXPECT_FALSE(isOpeningBalance(in[0]));

  // Before delivery the meter still shows 0 with count 0: the money is on its way, not used.
  auto report = processOne(meterReading(newMeter, now + 10min, 0, 0));
  EXPECT_EQ(report.outcome, ReadingOutcome::Mirrored) << report.detail;
  EXPECT_EQ(report.chargedFen, 0);
  // Delivered, then 1.00 yuan used: only that is charged.
  deliverNext(now + 11min);
  report = processOne(meterReading(newMeter, now + 20min, 4'900, 1));
  EXPECT_EQ(report.outcome, ReadingOutcome::Mirrored) << report.detail;
  EXPECT_EQ(report.chargedFen, 100);
  EXPECT_EQ(balance(newMeter), 4'900);
  EXPECT_FALSE(hasOpenAlarm(newMeter, store::AlarmKind::PurchaseCountMismatch));

  // Replay with the same key: the first result, nothing posted again.
  const auto again = must(tryTransfer(oldMeter, newMeter));
  EXPECT_EQ(again.replay, Replay::Replayed);
  EXPECT_EQ(again.amountFen, 5'000);
  ASSERT_TRUE(again.in);
  EXPECT_EQ(again.in->rechargeCommandId, result.in->rechargeCommandId);
  EXPECT_EQ(entriesOfKind(newMeter, domain::EntryKind::TransferIn).size(), 1U);
  EXPECT_EQ(errorCode(tryTransfer(newMeter, oldMeter)), BillingErrorCode::IdempotencyConflict);
  expectLedgerConsistent();
}

TEST_F(AccountTest, TransferBillsTheOldMetersLastReadingAndCancelsItsUndeliveredRecharge) {
  const auto oldMeter = addMeter(MeterSetup().meterSide());
  const auto newMeter = addMeter(MeterSetup().notOpen());
  addToAccountOf(oldMeter, newMeter);
  sell(oldMeter, 3'000, "s1");  // count 1
  deliverNext(now + 1min);
  processOne(meterReading(oldMeter, now + 5min, 2'900, 1));  // 1.00 used
  EXPECT_EQ(balance(oldMeter), 2'900);
  const auto queued = sell(oldMeter, 2'000, "s2");  // count 2, not delivered
  // The meter's last report (0.50 more used) is stored but billing has not seen it yet.
  storeOnly(meterReading(oldMeter, now + 10min, 2'850, 1));

  const auto result = must(tryTransfer(oldMeter, newMeter));
  EXPECT_EQ(result.finalChargeFen, 50);
  ASSERT_EQ(result.cancelledCommands.size(), 1U);
  EXPECT_EQ(result.cancelledCommands[0], *queued.rechargeCommandId);
  EXPECT_EQ(command(*queued.rechargeCommandId).state, store::CommandState::Failed);
  EXPECT_EQ(meter(oldMeter).purchaseCount, 1);  // the cancelled sale's count given back
  EXPECT_EQ(result.amountFen, 2'850 + 2'000);
  EXPECT_EQ(balance(oldMeter), 0);
  EXPECT_EQ(balance(newMeter), 4'850);
  ASSERT_TRUE(result.in);
  EXPECT_FALSE(result.in->rechargeCommandId);  // server-side target: ledger only
  EXPECT_FALSE(result.in->purchaseCount);
  EXPECT_TRUE(commands(newMeter).empty());
  EXPECT_TRUE(openAlarms(oldMeter).empty());  // no arrears alarm on the emptied old meter
  expectLedgerConsistent();
}

TEST_F(AccountTest, TransferIsRefusedWhileARechargeIsInFlightOrTheOldMeterIsInArrears) {
  const auto oldMeter = addMeter(MeterSetup().meterSide());
  const auto newMeter = addMeter(MeterSetup().notOpen());
  addToAccountOf(oldMeter, newMeter);
  sell(oldMeter, 3'000, "s1");
  claimOnly(now + 1min);  // sent, no reply yet
  auto refused = tryTransfer(oldMeter, newMeter);
  EXPECT_EQ(errorCode(refused), BillingErrorCode::SettlementBlocked);
  EXPECT_NE(refused.error().message.find("retry"), std::string::npos) << refused.error().message;
  EXPECT_EQ(balance(oldMeter), 3'000);  // nothing of the attempt was kept
  EXPECT_EQ(balance(newMeter), 0);

  const auto debtor = addMeter();
  const auto successor = addMeter(MeterSetup().notOpen());
  addToAccountOf(debtor, successor);
  sell(debtor, 100, "d1");
  processOne(reading(debtor, now, 0));
  processOne(reading(debtor, now + 10min, 300));  // 3.00 used on 1.00: arrears
  ASSERT_EQ(balance(debtor), -200);
  EXPECT_EQ(errorCode(tryTransfer(debtor, successor, "t2")), BillingErrorCode::SettlementBlocked);
  EXPECT_EQ(errorCode(tryTransfer(debtor, debtor, "t3")), BillingErrorCode::InvalidConfiguration);
  EXPECT_EQ(errorCode(tryTransfer(debtor, oldMeter, "t4")), BillingErrorCode::InvalidConfiguration);
  EXPECT_EQ(errorCode(tryTransfer(debtor, successor, "")), BillingErrorCode::EmptyIdempotencyKey);
  expectLedgerConsistent();
}

TEST_F(AccountTest, TransferRaisesTheNewServerSideMetersBalanceAndRecloses) {
  const auto oldMeter = addMeter();
  const auto newMeter =
      addMeter(MeterSetup().withTrip(domain::TripPolicyKind::Immediate).notOpen());
  addToAccountOf(oldMeter, newMeter);
  sell(oldMeter, 2'000, "s1");
  // The new meter started with nothing: billing tripped it on arrears.
  auto r = reading(newMeter, now, 0);
  r.relay = domain::RelayState::Closed;
  ASSERT_EQ(process({r}).commandsQueued.size(), 1U);
  deliverNext(now + 11min);
  r = reading(newMeter, now + 20min, 0);
  r.relay = domain::RelayState::Open;
  processOne(r);
  ASSERT_TRUE(hasOpenAlarm(newMeter, store::AlarmKind::Arrears));

  const auto result = must(tryTransfer(oldMeter, newMeter));
  ASSERT_TRUE(result.in);
  ASSERT_TRUE(result.in->closeCommandId);  // 充值后自动合闸, as after a sale
  EXPECT_EQ(command(*result.in->closeCommandId).kind, store::CommandKind::Close);
  EXPECT_FALSE(hasOpenAlarm(newMeter, store::AlarmKind::Arrears));
  EXPECT_EQ(balance(newMeter), 2'000);
  expectLedgerConsistent();
}

TEST_F(AccountTest, ClosingAMeterSideMeterSettlesCancelsTheRechargeAndTrips) {
  const auto m = addMeter(MeterSetup().meterSide());
  auto config = meter(m);
  config.keepPower = store::KeepPower::On;
  updateMeter(config);
  sell(m, 3'000, "s1");
  deliverNext(now + 1min);
  processOne(meterReading(m, now + 5min, 2'900, 1));
  const auto queued = sell(m, 1'000, "s2");
  storeOnly(meterReading(m, now + 10min, 2'800, 1));

  const auto result = must(tryClose(m));
  EXPECT_EQ(result.replay, Replay::New);
  EXPECT_EQ(result.finalChargeFen, 100);
  EXPECT_EQ(result.settledFen, 2'800 + 1'000);  // owed to the tenant
  ASSERT_TRUE(result.settlementEntryId);
  ASSERT_EQ(result.cancelledCommands.size(), 1U);
  EXPECT_EQ(result.cancelledCommands[0], *queued.rechargeCommandId);
  EXPECT_EQ(meter(m).purchaseCount, 1);
  EXPECT_EQ(meter(m).status, store::MeterStatus::Closed);
  EXPECT_EQ(meter(m).keepPower, store::KeepPower::Off);
  ASSERT_EQ(result.queuedCommands.size(), 2U);
  EXPECT_EQ(command(result.queuedCommands[0]).kind, store::CommandKind::KeepPowerOff);
  EXPECT_EQ(command(result.queuedCommands[1]).kind, store::CommandKind::Trip);
  EXPECT_EQ(command(result.queuedCommands[1]).payload, "billing:close");
  EXPECT_EQ(balance(m), 0);
  const auto settlement = entriesOfKind(m, domain::EntryKind::CloseSettlement);
  ASSERT_EQ(settlement.size(), 1U);
  EXPECT_EQ(settlement[0].amountFen, -3'800);
  EXPECT_EQ(settlement[0].idempotencyKey, "close:1");

  // The meter still reports its own balance: a closed meter is not billed any more.
  EXPECT_EQ(processOne(meterReading(m, now + 30min, 2'700, 1)).outcome, ReadingOutcome::NotBilled);
  EXPECT_EQ(balance(m), 0);
  // The same close again replays; anything else on the closed meter is refused.
  const auto again = must(tryClose(m));
  EXPECT_EQ(again.replay, Replay::Replayed);
  EXPECT_EQ(again.settledFen, 3'800);
  EXPECT_EQ(errorCode(tryClose(m, "close:other")), BillingErrorCode::MeterClosed);
  EXPECT_EQ(errorCode(trySell(m, 100, "s3")), BillingErrorCode::MeterClosed);
  expectLedgerConsistent();
}

TEST_F(AccountTest, ClosingAServerSideMeterInArrearsSettlesTheDebtAndClearsItsAlarms) {
  const auto m = addMeter(MeterSetup().withTrip(domain::TripPolicyKind::Immediate));
  sell(m, 100, "s1");
  processOne(reading(m, now, 0));
  auto r = reading(m, now + 10min, 250);
  r.relay = domain::RelayState::Closed;
  ASSERT_EQ(process({r}).commandsQueued.size(), 1U);  // billing's trip, not sent yet
  ASSERT_TRUE(hasOpenAlarm(m, store::AlarmKind::Arrears));
  storeOnly(reading(m, now + 20min, 300));

  const auto result = must(tryClose(m));
  EXPECT_EQ(result.finalChargeFen, 50);
  EXPECT_EQ(result.settledFen, -200);          // owed by the tenant
  EXPECT_TRUE(result.queuedCommands.empty());  // billing's trip is already on its way
  EXPECT_EQ(unfinished(m, store::CommandKind::Trip).size(), 1U);
  EXPECT_TRUE(openAlarms(m).empty());
  EXPECT_EQ(balance(m), 0);
  EXPECT_EQ(entriesOfKind(m, domain::EntryKind::CloseSettlement).at(0).amountFen, 200);
  expectLedgerConsistent();
}

TEST_F(AccountTest, ClosingWithAZeroBalancePostsNothingAndTripsAndARechargeInFlightRefuses) {
  const auto empty = addMeter();
  const auto result = must(tryClose(empty));
  EXPECT_EQ(result.settledFen, 0);
  EXPECT_FALSE(result.settlementEntryId);
  EXPECT_TRUE(entries(empty).empty());
  ASSERT_EQ(result.queuedCommands.size(), 1U);
  EXPECT_EQ(command(result.queuedCommands[0]).kind, store::CommandKind::Trip);

  const auto busy = addMeter(MeterSetup().meterSide());
  sell(busy, 1'000, "b1");
  claimOnly(now + 1min);
  EXPECT_EQ(errorCode(tryClose(busy, "close:busy")), BillingErrorCode::SettlementBlocked);
  EXPECT_EQ(meter(busy).status, store::MeterStatus::Opened);
  EXPECT_EQ(balance(busy), 1'000);
  EXPECT_EQ(errorCode(tryClose(busy, "")), BillingErrorCode::EmptyIdempotencyKey);
  EXPECT_EQ(errorCode(tryClose(9999, "close:x")), BillingErrorCode::UnknownMeter);
  expectLedgerConsistent();
}

}  // namespace
}  // namespace prepaid::backend::billing::testing
