// BillingService::postOpeningBalance (期初余额): one TransferIn entry under "opening:<meter>", the
// meter-side purchase count taken over so the mirror agrees with the meter, no Recharge command,
// refused once the meter has ledger entries, idempotent, alarms and relay evaluated after it.

#include "billing_fixture.hpp"

namespace prepaid::backend::billing::testing {
namespace {

class OpeningTest : public BillingTest {
 protected:
  std::expected<Receipt, BillingError> tryOpen(store::MeterId m, std::int64_t fen,
                                               std::optional<std::int64_t> purchaseCount = {}) {
    OpeningBalanceRequest request;
    request.meterId = m;
    request.amountFen = fen;
    request.purchaseCount = purchaseCount;
    request.source = "migration";
    return service->postOpeningBalance(request);
  }
  Receipt open(store::MeterId m, std::int64_t fen, std::optional<std::int64_t> count = {}) {
    return must(tryOpen(m, fen, count));
  }
  static store::Reading meterReading(store::MeterId m, Instant at, std::int64_t balanceFen,
                                     std::int64_t purchaseCount) {
    auto r = reading(m, at, 0);
    r.balanceFen = balanceFen;
    r.purchaseCount = purchaseCount;
    return r;
  }
  /// postOpeningBalance inside a write transaction that commits when it succeeds.
  std::expected<Receipt, BillingError> inTransaction(const OpeningBalanceRequest& request) {
    std::optional<std::expected<Receipt, BillingError>> out;
    const auto written =
        store->write([&](store::WriteTransaction& t) -> std::expected<void, store::StoreError> {
          out.emplace(service->postOpeningBalance(t, request));
          if (!*out) {
            return std::unexpected(
                store::StoreError{store::StoreErrorCode::InvalidArgument, out->error().message});
          }
          return {};
        });
    if (!out) {
      return std::unexpected(BillingError{BillingErrorCode::Storage, written.error().message});
    }
    return *out;
  }
  store::Alarm openAlarm(store::MeterId m) {
    const auto alarms = openAlarms(m);
    if (alarms.size() != 1) {
      throw std::runtime_error("expected exactly one open alarm, got " +
                               std::to_string(alarms.size()));
    }
    return alarms[0];
  }
};

TEST_F(OpeningTest, PostsOneTransferInEntryUnderTheOpeningKey) {
  const auto m = addMeter();
  const auto receipt = open(m, 15'000);
  EXPECT_EQ(receipt.replay, Replay::New);
  EXPECT_EQ(receipt.kind, domain::EntryKind::TransferIn);
  EXPECT_EQ(receipt.amountFen, 15'000);
  EXPECT_EQ(receipt.balanceAfterFen, 15'000);
  EXPECT_EQ(receipt.at, now);
  EXPECT_FALSE(receipt.rechargeCommandId);
  EXPECT_FALSE(receipt.purchaseCount);  // server-side, no count given
  const auto all = entries(m);
  ASSERT_EQ(all.size(), 1U);
  EXPECT_EQ(all[0].id, receipt.entryId);
  EXPECT_EQ(all[0].idempotencyKey, "opening:" + std::to_string(m));
  EXPECT_EQ(all[0].idempotencyKey, openingBalanceKey(m));
  EXPECT_TRUE(isOpeningBalance(all[0]));
  EXPECT_TRUE(all[0].accountId.has_value());
  EXPECT_EQ(all[0].source, "migration");
  EXPECT_EQ(all[0].note, "opening balance");
  EXPECT_EQ(balance(m), 15'000);
  EXPECT_TRUE(commands(m).empty());  // nothing to send to the meter
  EXPECT_TRUE(openAlarms(m).empty());
  expectLedgerConsistent();
}

TEST_F(OpeningTest, ServerSideMeterIsChargedInsteadOfTrippedOnArrears) {
  const auto opened = addMeter(MeterSetup().withTrip(domain::TripPolicyKind::Immediate));
  const auto without = addMeter(MeterSetup().withTrip(domain::TripPolicyKind::Immediate));
  open(opened, 15'000);
  process({reading(opened, now + 1min, 1'000), reading(without, now + 1min, 1'000)});
  const auto summary =
      process({reading(opened, now + 31min, 1'250), reading(without, now + 31min, 1'250)});
  // With its opening balance the meter pays for the 2.50 kWh (flat 1.00 yuan/kWh)...
  EXPECT_EQ(summary.readings[0].outcome, ReadingOutcome::Charged);
  EXPECT_EQ(summary.readings[0].chargedFen, 250);
  EXPECT_EQ(balance(opened), 14'750);
  EXPECT_TRUE(unfinished(opened, store::CommandKind::Trip).empty());
  EXPECT_EQ(entriesOfKind(opened, domain::EntryKind::Charge).size(), 1U);
  // ...without one it is in arrears at once and billing trips it.
  EXPECT_EQ(unfinished(without, store::CommandKind::Trip).size(), 1U);
}

TEST_F(OpeningTest, MeterSidePurchaseCountIsTakenOverAndTheMirrorIsClean) {
  const auto m = addMeter(MeterSetup().meterSide());
  const auto receipt = open(m, 20'000, 7);
  EXPECT_EQ(receipt.purchaseCount, 7);
  EXPECT_FALSE(receipt.rechargeCommandId);
  EXPECT_TRUE(commands(m).empty());
  EXPECT_EQ(meter(m).purchaseCount, 7);
  EXPECT_EQ(entries(m).at(0).purchaseCount, 7);
  // The meter holds 200.00 and count 7, then deducts 0.50 by its own price: mirrored exactly.
  auto r = processOne(meterReading(m, now + 1min, 20'000, 7));
  EXPECT_EQ(r.outcome, ReadingOutcome::Mirrored) << r.detail;
  EXPECT_EQ(r.chargedFen, 0);
  r = processOne(meterReading(m, now + 31min, 19'950, 7));
  EXPECT_EQ(r.outcome, ReadingOutcome::Mirrored) << r.detail;
  EXPECT_EQ(r.chargedFen, 50);
  EXPECT_EQ(balance(m), 19'950);
  EXPECT_FALSE(hasOpenAlarm(m, store::AlarmKind::PurchaseCountMismatch));
  EXPECT_EQ(meter(m).salesBlock, store::SalesBlock::Allowed);
  // The next sale continues the meter's sequence.
  const auto sale = sell(m, 1'000, "order-1");
  EXPECT_EQ(sale.purchaseCount, 8);
  const auto queued = unfinished(m, store::CommandKind::Recharge);
  ASSERT_EQ(queued.size(), 1U);
  EXPECT_EQ(queued[0].purchaseCount, 8);
  expectLedgerConsistent();
}

TEST_F(OpeningTest, WithoutAnOpeningBalanceTheSameMeterIsAboveTheLedgerOrMismatched) {
  // The two failures opening balances exist to avoid, on the same readings as above.
  const auto plain = addMeter(MeterSetup().meterSide());
  auto r = processOne(meterReading(plain, now + 1min, 20'000, 0));
  EXPECT_EQ(r.outcome, ReadingOutcome::Anomaly);
  EXPECT_NE(r.detail.find("above the ledger"), std::string::npos) << r.detail;
  const auto counted = addMeter(MeterSetup().meterSide());
  r = processOne(meterReading(counted, now + 1min, 20'000, 7));
  EXPECT_EQ(r.outcome, ReadingOutcome::MirrorFrozen);
  EXPECT_TRUE(hasOpenAlarm(counted, store::AlarmKind::PurchaseCountMismatch));
}

TEST_F(OpeningTest, MeterSideWithoutACountRecordsTheBackendsCount) {
  const auto m = addMeter(MeterSetup().meterSide());
  must(write([&](store::WriteTransaction& t) { return t.meters().setPurchaseCount(m, 3); }));
  const auto receipt = open(m, 5'000);
  EXPECT_EQ(receipt.purchaseCount, 3);
  EXPECT_EQ(meter(m).purchaseCount, 3);
  EXPECT_EQ(processOne(meterReading(m, now + 1min, 5'000, 3)).outcome, ReadingOutcome::Mirrored);
}

TEST_F(OpeningTest, RefusedOnceTheMeterHasLedgerEntries) {
  const auto sold = addMeter();
  sell(sold, 1'000, "order-1");
  const auto refused = tryOpen(sold, 15'000);
  EXPECT_EQ(errorCode(refused), BillingErrorCode::LedgerNotEmpty);
  EXPECT_NE(refused.error().message.find("meter " + std::to_string(sold)), std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find("1 ledger entry"), std::string::npos)
      << refused.error().message;
  EXPECT_EQ(balance(sold), 1'000);
  // Entries that sum to zero are still a history: a sale and its correction.
  const auto corrected = addMeter();
  const auto sale = sell(corrected, 1'000, "order-2");
  must(tryCorrect(sale.entryId, "fix-2"));
  ASSERT_EQ(balance(corrected), 0);
  EXPECT_EQ(errorCode(tryOpen(corrected, 15'000)), BillingErrorCode::LedgerNotEmpty);
  // A second, different opening balance is a conflict, never a second entry.
  const auto opened = addMeter();
  open(opened, 100);
  EXPECT_EQ(errorCode(tryOpen(opened, 200)), BillingErrorCode::IdempotencyConflict);
  EXPECT_EQ(entries(opened).size(), 1U);
}

TEST_F(OpeningTest, ReplaysTheSameRequestAndRefusesADifferentOne) {
  const auto m = addMeter(MeterSetup().meterSide());
  const auto first = open(m, 15'000, 4);
  now += 1h;
  const auto again = open(m, 15'000, 4);
  EXPECT_EQ(again.replay, Replay::Replayed);
  EXPECT_EQ(again.entryId, first.entryId);
  EXPECT_EQ(again.balanceAfterFen, 15'000);
  EXPECT_EQ(again.at, first.at);
  EXPECT_EQ(again.purchaseCount, 4);
  // Leaving the count out means "as the backend has it": still the same request.
  EXPECT_EQ(open(m, 15'000).replay, Replay::Replayed);
  // A replay after later activity still returns the first receipt and posts nothing.
  sell(m, 1'000, "order-1");
  EXPECT_EQ(open(m, 15'000, 4).balanceAfterFen, 15'000);
  EXPECT_EQ(balance(m), 16'000);
  const auto amount = tryOpen(m, 15'001, 4);
  EXPECT_EQ(errorCode(amount), BillingErrorCode::IdempotencyConflict);
  EXPECT_NE(amount.error().message.find("15000 fen"), std::string::npos) << amount.error().message;
  EXPECT_EQ(errorCode(tryOpen(m, 15'000, 5)), BillingErrorCode::IdempotencyConflict);
  EXPECT_EQ(entriesOfKind(m, domain::EntryKind::TransferIn).size(), 1U);
  EXPECT_EQ(meter(m).purchaseCount, 5);  // the sale's, untouched by the replays
}

TEST_F(OpeningTest, RequestChecks) {
  const auto m = addMeter(MeterSetup().meterSide());
  EXPECT_EQ(errorCode(tryOpen(m, 0)), BillingErrorCode::NonPositiveAmount);
  EXPECT_EQ(errorCode(tryOpen(m, -100)), BillingErrorCode::NonPositiveAmount);
  EXPECT_EQ(errorCode(tryOpen(m, 100, -1)), BillingErrorCode::InvalidConfiguration);
  EXPECT_EQ(errorCode(tryOpen(m, 100, 4'294'967'296)), BillingErrorCode::InvalidConfiguration);
  OpeningBalanceRequest anonymous;
  anonymous.meterId = m;
  anonymous.amountFen = 100;
  EXPECT_EQ(errorCode(service->postOpeningBalance(anonymous)), BillingErrorCode::MissingSource);
  EXPECT_EQ(errorCode(tryOpen(m + 100, 100)), BillingErrorCode::UnknownMeter);
  const auto vacant = addMeter(MeterSetup().notOpen());
  EXPECT_EQ(errorCode(tryOpen(vacant, 100)), BillingErrorCode::AccountNotOpen);
  const auto closed = addMeter();
  must(write([&](store::WriteTransaction& t) {
    return t.meters().setStatus(closed, store::MeterStatus::Closed);
  }));
  EXPECT_EQ(errorCode(tryOpen(closed, 100)), BillingErrorCode::MeterClosed);
  EXPECT_TRUE(entries(m).empty());
  EXPECT_EQ(meter(m).purchaseCount, 0);
  // The hoarding cap limits sales, not money the tenant already has.
  updateSettings([](store::Settings& s) { s.hoardingCapFen = 10'000; });
  EXPECT_EQ(open(m, 12'000, 1).balanceAfterFen, 12'000);
}

TEST_F(OpeningTest, LowOpeningLevelsAreShownNotAnnouncedAndTheNextCrossingIs) {
  // Site defaults: alarm 1 below 50.00, alarm 2 below 20.00.
  const auto low = addMeter();
  open(low, 4'000);
  EXPECT_EQ(openAlarm(low).kind, store::AlarmKind::Alarm1);
  EXPECT_EQ(openAlarm(low).notified, store::Notified::Yes);
  const auto lower = addMeter();
  open(lower, 1'500);
  EXPECT_EQ(openAlarm(lower).kind, store::AlarmKind::Alarm2);
  EXPECT_EQ(openAlarm(lower).notified, store::Notified::Yes);
  // Using 15.00 (flat 1.00 yuan/kWh) puts it in arrears: a new crossing, announced.
  processOne(reading(lower, now + 1min, 0));
  processOne(reading(lower, now + 31min, 1'500));
  EXPECT_EQ(balance(lower), 0);
  EXPECT_EQ(openAlarm(lower).kind, store::AlarmKind::Arrears);
  EXPECT_EQ(openAlarm(lower).notified, store::Notified::No);
  const auto healthy = addMeter();
  open(healthy, 9'000);
  EXPECT_TRUE(openAlarms(healthy).empty());
}

TEST_F(OpeningTest, ReclosesARelayBillingOpenedBeforeTheOpeningBalance) {
  // The backend ran before the balances were migrated: billing tripped the meter on arrears.
  const auto m = addMeter(MeterSetup().withTrip(domain::TripPolicyKind::Immediate));
  auto r = reading(m, now + 1min, 0);
  r.relay = domain::RelayState::Closed;
  processOne(r);
  ASSERT_EQ(unfinished(m, store::CommandKind::Trip).size(), 1U);
  deliverNext(now + 2min);
  r = reading(m, now + 11min, 0);
  r.relay = domain::RelayState::Open;
  processOne(r);
  EXPECT_TRUE(unfinished(m, store::CommandKind::Trip).empty());
  ASSERT_TRUE(entries(m).empty());  // no energy used: nothing posted yet
  const auto receipt = open(m, 15'000);
  ASSERT_TRUE(receipt.closeCommandId);
  EXPECT_EQ(unfinished(m, store::CommandKind::Close).size(), 1U);
}

TEST_F(OpeningTest, InsideTheCallersTransactionARollbackLeavesNothing) {
  const auto m = addMeter(MeterSetup().meterSide());
  OpeningBalanceRequest request;
  request.meterId = m;
  request.amountFen = 15'000;
  request.purchaseCount = 9;
  request.source = "prepaidctl init";
  const auto rolledBack =
      store->write([&](store::WriteTransaction& t) -> std::expected<void, store::StoreError> {
        auto posted = service->postOpeningBalance(t, request);
        EXPECT_TRUE(posted) << posted.error().message;
        EXPECT_EQ(posted->balanceAfterFen, 15'000);
        return std::unexpected(
            store::StoreError{store::StoreErrorCode::InvalidArgument, "a later row failed"});
      });
  EXPECT_FALSE(rolledBack);
  EXPECT_TRUE(entries(m).empty());
  EXPECT_EQ(meter(m).purchaseCount, 0);
  // Committed this time.
  EXPECT_TRUE(inTransaction(request));
  EXPECT_EQ(balance(m), 15'000);
  EXPECT_EQ(meter(m).purchaseCount, 9);
  // An error inside the transaction comes back as a billing error.
  auto changed = request;
  changed.amountFen = 1;
  EXPECT_EQ(errorCode(inTransaction(changed)), BillingErrorCode::IdempotencyConflict);
  EXPECT_EQ(balance(m), 15'000);
}

}  // namespace
}  // namespace prepaid::backend::billing::testing
