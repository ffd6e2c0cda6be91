// BillingService for meter-side meters: the ledger mirrors the meter's own deductions (recharges in
// flight included), the purchase-count check raises an alarm and blocks sales until resolved.

#include "billing_fixture.hpp"

namespace prepaid::backend::billing::testing {
namespace {

class MirroringTest : public BillingTest {
 protected:
  store::Reading meterReading(store::MeterId m, Instant at, std::int64_t balanceFen,
                              std::int64_t purchaseCount, std::int64_t totalCentiKwh = 0) {
    auto r = reading(m, at, totalCentiKwh);
    r.balanceFen = balanceFen;
    r.purchaseCount = purchaseCount;
    return r;
  }
};

TEST_F(MirroringTest, SaleQueuesARechargeCommandInTheSameTransaction) {
  const auto m = addMeter(MeterSetup().meterSide());
  const auto receipt = sell(m, 10'000, "order-1");
  EXPECT_EQ(receipt.purchaseCount, 1);
  EXPECT_EQ(receipt.balanceAfterFen, 10'000);
  ASSERT_TRUE(receipt.rechargeCommandId);
  const auto queued = unfinished(m, store::CommandKind::Recharge);
  ASSERT_EQ(queued.size(), 1U);
  EXPECT_EQ(queued[0].id, *receipt.rechargeCommandId);
  EXPECT_EQ(queued[0].purchaseCount, 1);
  EXPECT_EQ(queued[0].ledgerEntryId, receipt.entryId);
  EXPECT_EQ(queued[0].priority, store::PriorityRecharge);
  EXPECT_EQ(queued[0].payload, "amount_fen=10000");
  EXPECT_EQ(meter(m).purchaseCount, 1);
  EXPECT_FALSE(receipt.closeCommandId);
}

TEST_F(MirroringTest, LedgerFollowsTheMetersDeductionsWithARechargeInFlight) {
  const auto m = addMeter(MeterSetup().meterSide());
  sell(m, 10'000, "order-1");
  // Read before the recharge reached the meter: count 0, balance 0. Nothing is owed.
  auto r = processOne(meterReading(m, now + 1min, 0, 0));
  EXPECT_EQ(r.outcome, ReadingOutcome::Mirrored);
  EXPECT_EQ(r.chargedFen, 0);
  EXPECT_FALSE(hasOpenAlarm(m, store::AlarmKind::PurchaseCountMismatch));
  // The meter applies it, then deducts 0.50 by its own price.
  deliverNext(now + 2min);
  r = processOne(meterReading(m, now + 30min, 9'950, 1));
  EXPECT_EQ(r.chargedFen, 50);
  EXPECT_EQ(balance(m), 9'950);
  // A second sale in flight while the meter keeps deducting.
  sell(m, 5'000, "order-2");
  r = processOne(meterReading(m, now + 60min, 9'900, 1));
  EXPECT_EQ(r.chargedFen, 50);
  EXPECT_EQ(balance(m), 14'900);  // = meter 9,900 + 5,000 on its way
  deliverNext(now + 61min);
  r = processOne(meterReading(m, now + 90min, 14'880, 2));
  EXPECT_EQ(r.chargedFen, 20);
  EXPECT_EQ(balance(m), 14'880);
  // Same reading again: nothing.
  auto again = service->processReadings(std::vector{meterReading(m, now + 90min, 14'880, 2)});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->readings[0].outcome, ReadingOutcome::AlreadyProcessed);
  EXPECT_EQ(balance(m), 14'880);
  expectLedgerConsistent();
}

TEST_F(MirroringTest, RechargeDeliveredAfterTheReadingWasTakenIsNotAMismatch) {
  const auto m = addMeter(MeterSetup().meterSide());
  sell(m, 2'000, "order-1");
  // The bus worker delivered the recharge after the reading, before billing saw the reading.
  deliverNext(now + 5min);
  const auto r = processOne(meterReading(m, now + 4min, 0, 0));
  EXPECT_EQ(r.outcome, ReadingOutcome::Mirrored);
  EXPECT_EQ(r.chargedFen, 0);
  EXPECT_FALSE(hasOpenAlarm(m, store::AlarmKind::PurchaseCountMismatch));
}

TEST_F(MirroringTest, MeterAheadRaisesMismatchBlocksSalesAndFreezesTheMirror) {
  const auto m = addMeter(MeterSetup().meterSide());
  sell(m, 1'000, "order-1");
  deliverNext(now + 1min);
  // The meter counts 3 sales; the backend made 1.
  auto r = processOne(meterReading(m, now + 10min, 5'000, 3));
  EXPECT_EQ(r.outcome, ReadingOutcome::MirrorFrozen);
  EXPECT_TRUE(hasOpenAlarm(m, store::AlarmKind::PurchaseCountMismatch));
  EXPECT_EQ(meter(m).salesBlock, store::SalesBlock::Blocked);
  const auto blocked = trySell(m, 500, "order-2");
  EXPECT_EQ(errorCode(blocked), BillingErrorCode::SalesBlocked);
  // Recorded once however often it is seen; nothing is posted while frozen.
  r = processOne(meterReading(m, now + 40min, 4'000, 3));
  EXPECT_EQ(r.outcome, ReadingOutcome::MirrorFrozen);
  std::int64_t mismatchAlarms = 0;
  for (const auto& a : alarmHistory()) {
    mismatchAlarms += a.kind == store::AlarmKind::PurchaseCountMismatch ? 1 : 0;
  }
  EXPECT_EQ(mismatchAlarms, 1);
  EXPECT_EQ(balance(m), 1'000);
  // Staff resolve: the meter's count is taken as the truth; sales and mirroring resume.
  ASSERT_TRUE(service->resolvePurchaseCountMismatch(m, 3));
  EXPECT_FALSE(hasOpenAlarm(m, store::AlarmKind::PurchaseCountMismatch));
  EXPECT_EQ(meter(m).salesBlock, store::SalesBlock::Allowed);
  const auto receipt = sell(m, 500, "order-2");
  EXPECT_EQ(receipt.purchaseCount, 4);
  EXPECT_EQ(errorCode(service->resolvePurchaseCountMismatch(m + 100, 1)),
            BillingErrorCode::UnknownMeter);
}

TEST_F(MirroringTest, MeterBehindAfterADeliveredRechargeIsAMismatch) {
  const auto m = addMeter(MeterSetup().meterSide());
  sell(m, 1'000, "order-1");
  deliverNext(now + 1min);
  // Reported done, yet the meter (read later) does not count it: a reset or a swapped meter.
  const auto r = processOne(meterReading(m, now + 10min, 0, 0));
  EXPECT_EQ(r.outcome, ReadingOutcome::MirrorFrozen);
  EXPECT_NE(r.detail.find("behind"), std::string::npos) << r.detail;
  // The missing credit was not charged away.
  EXPECT_EQ(balance(m), 1'000);
}

TEST_F(MirroringTest, MeterBalanceAboveTheLedgerIsReportedNotCredited) {
  const auto m = addMeter(MeterSetup().meterSide());
  sell(m, 1'000, "order-1");
  deliverNext(now + 1min);
  auto r = processOne(meterReading(m, now + 10min, 1'200, 1));
  EXPECT_EQ(r.outcome, ReadingOutcome::Anomaly);
  EXPECT_EQ(balance(m), 1'000);
  // Later deductions below the ledger are mirrored again.
  r = processOne(meterReading(m, now + 20min, 900, 1));
  EXPECT_EQ(r.chargedFen, 100);
  EXPECT_EQ(balance(m), 900);
}

TEST_F(MirroringTest, ReadingWithoutBalanceIsAnAnomaly) {
  const auto m = addMeter(MeterSetup().meterSide());
  const auto r = processOne(reading(m, now, 100));
  EXPECT_EQ(r.outcome, ReadingOutcome::Anomaly);
  EXPECT_EQ(balance(m), 0);
}

TEST_F(MirroringTest, MeterSideMetersAreNeverTrippedByTheBackend) {
  const auto m = addMeter(MeterSetup().meterSide().withTrip(domain::TripPolicyKind::Immediate));
  sell(m, 100, "order-1");
  deliverNext(now + 1min);
  processOne(meterReading(m, now + 10min, -50, 1));
  EXPECT_EQ(balance(m), -50);
  EXPECT_TRUE(hasOpenAlarm(m, store::AlarmKind::Arrears));
  EXPECT_TRUE(unfinished(m, store::CommandKind::Trip).empty());
}

}  // namespace
}  // namespace prepaid::backend::billing::testing
