// BillingService sell / refund / correct: checks, idempotent replays, conflicts, the ledger rules.

#include <set>
#include <thread>

#include "billing_fixture.hpp"

namespace prepaid::backend::billing::testing {
namespace {

class SellTest : public BillingTest {};

TEST_F(SellTest, SaleCreditsTheBalanceAndCountsThePurchase) {
  const auto m = addMeter();
  const auto first = sell(m, 10'000, "order-1");
  EXPECT_EQ(first.replay, Replay::New);
  EXPECT_EQ(first.kind, domain::EntryKind::Recharge);
  EXPECT_EQ(first.amountFen, 10'000);
  EXPECT_EQ(first.balanceAfterFen, 10'000);
  EXPECT_EQ(first.purchaseCount, 1);
  EXPECT_EQ(first.at, now);
  EXPECT_FALSE(first.rechargeCommandId);  // server-side: nothing to send
  const auto second = sell(m, 2'500, "order-2");
  EXPECT_EQ(second.purchaseCount, 2);
  EXPECT_EQ(second.balanceAfterFen, 12'500);
  const auto recharges = entriesOfKind(m, domain::EntryKind::Recharge);
  ASSERT_EQ(recharges.size(), 2U);
  EXPECT_EQ(recharges[0].source, "op");
  EXPECT_TRUE(recharges[0].accountId.has_value());
}

TEST_F(SellTest, ReplayReturnsTheFirstReceiptAndConflictsAreRefused) {
  const auto m = addMeter(MeterSetup().meterSide());
  const auto first = sell(m, 10'000, "order-1");
  sell(m, 500, "order-2");
  now += 1h;
  const auto replay = sell(m, 10'000, "order-1");
  EXPECT_EQ(replay.replay, Replay::Replayed);
  EXPECT_EQ(replay.entryId, first.entryId);
  EXPECT_EQ(replay.balanceAfterFen, 10'000);  // as printed the first time
  EXPECT_EQ(replay.purchaseCount, 1);
  EXPECT_EQ(replay.at, first.at);
  EXPECT_EQ(replay.rechargeCommandId, first.rechargeCommandId);
  EXPECT_EQ(balance(m), 10'500);
  EXPECT_EQ(meter(m).purchaseCount, 2);  // the replay took no purchase count
  EXPECT_EQ(unfinished(m, store::CommandKind::Recharge).size(), 2U);
  EXPECT_EQ(errorCode(trySell(m, 9'999, "order-1")), BillingErrorCode::IdempotencyConflict);
  const auto other = addMeter();
  EXPECT_EQ(errorCode(trySell(other, 10'000, "order-1")), BillingErrorCode::IdempotencyConflict);
  EXPECT_EQ(errorCode(tryRefund(m, 10'000, "order-1")), BillingErrorCode::IdempotencyConflict);
}

TEST_F(SellTest, SaleChecks) {
  const auto m = addMeter();
  EXPECT_EQ(errorCode(trySell(m, 0, "k0")), BillingErrorCode::NonPositiveAmount);
  EXPECT_EQ(errorCode(trySell(m, -5, "k1")), BillingErrorCode::NonPositiveAmount);
  EXPECT_EQ(errorCode(trySell(m, 100, "")), BillingErrorCode::EmptyIdempotencyKey);
  SaleRequest anonymous;
  anonymous.meterId = m;
  anonymous.amountFen = 100;
  anonymous.idempotencyKey = "k2";
  EXPECT_EQ(errorCode(service->sell(anonymous)), BillingErrorCode::MissingSource);
  EXPECT_EQ(errorCode(trySell(m + 100, 100, "k3")), BillingErrorCode::UnknownMeter);
  const auto unopened = addMeter(MeterSetup().notOpen());
  EXPECT_EQ(errorCode(trySell(unopened, 100, "k4")), BillingErrorCode::AccountNotOpen);
  // Hoarding cap (site default 5,000.00 yuan).
  updateSettings([](store::Settings& s) { s.hoardingCapFen = 20'000; });
  sell(m, 15'000, "k5");
  const auto capped = trySell(m, 5'001, "k6");
  EXPECT_EQ(errorCode(capped), BillingErrorCode::AboveHoardingCap);
  EXPECT_NE(capped.error().message.find("200.00"), std::string::npos) << capped.error().message;
  EXPECT_TRUE(trySell(m, 5'000, "k7"));  // exactly at the cap is allowed
  // Sales blocked by staff.
  must(write([&](store::WriteTransaction& t) {
    return t.meters().setSalesBlock(m, store::SalesBlock::Blocked, "meter under inspection");
  }));
  const auto blocked = trySell(m, 1, "k8");
  EXPECT_EQ(errorCode(blocked), BillingErrorCode::SalesBlocked);
  EXPECT_NE(blocked.error().message.find("inspection"), std::string::npos);
  // Closed meter (销户).
  must(write([&](store::WriteTransaction& t) {
    return t.meters().setStatus(m, store::MeterStatus::Closed);
  }));
  EXPECT_EQ(errorCode(trySell(m, 1, "k9")), BillingErrorCode::MeterClosed);
  // A refused sale posts nothing.
  EXPECT_EQ(balance(m), 20'000);
  EXPECT_EQ(meter(m).purchaseCount, 2);
  expectLedgerConsistent();
}

TEST_F(SellTest, ReplacedMeterTakesNoMoney) {
  const auto old = addMeter();
  const auto replacement = addMeter(MeterSetup().notOpen());
  must(write(
      [&](store::WriteTransaction& t) { return t.meters().setReplacedBy(old, replacement); }));
  EXPECT_EQ(errorCode(trySell(old, 100, "k")), BillingErrorCode::MeterClosed);
}

TEST_F(SellTest, RefundRules) {
  const auto m = addMeter();
  sell(m, 1'000, "order-1");
  EXPECT_EQ(errorCode(tryRefund(m, 1'001, "r0")), BillingErrorCode::RefundAboveBalance);
  EXPECT_EQ(errorCode(tryRefund(m, 0, "r1")), BillingErrorCode::NonPositiveAmount);
  const auto refund = tryRefund(m, 400, "r2");
  ASSERT_TRUE(refund);
  EXPECT_EQ(refund->kind, domain::EntryKind::Refund);
  EXPECT_EQ(refund->amountFen, -400);
  EXPECT_EQ(refund->balanceAfterFen, 600);
  const auto replay = tryRefund(m, 400, "r2");
  ASSERT_TRUE(replay);
  EXPECT_EQ(replay->replay, Replay::Replayed);
  EXPECT_EQ(replay->entryId, refund->entryId);
  EXPECT_EQ(balance(m), 600);
  EXPECT_EQ(errorCode(tryRefund(m, 300, "r2")), BillingErrorCode::IdempotencyConflict);
  // Meter-side: the meter protocol has no refund.
  const auto ms = addMeter(MeterSetup().meterSide());
  sell(ms, 1'000, "order-ms");
  EXPECT_EQ(errorCode(tryRefund(ms, 100, "r3")), BillingErrorCode::NotSupportedMeterSide);
  expectLedgerConsistent();
}

TEST_F(SellTest, CorrectionReversesExactlyOnce) {
  const auto m = addMeter();
  const auto sale = sell(m, 1'000, "order-1");
  sell(m, 300, "order-2");
  const auto corrected = tryCorrect(sale.entryId, "fix-1");
  ASSERT_TRUE(corrected);
  EXPECT_EQ(corrected->kind, domain::EntryKind::Correction);
  EXPECT_EQ(corrected->amountFen, -1'000);
  EXPECT_EQ(corrected->balanceAfterFen, 300);
  // Replay of the same correction request: the first result.
  const auto replay = tryCorrect(sale.entryId, "fix-1");
  ASSERT_TRUE(replay);
  EXPECT_EQ(replay->replay, Replay::Replayed);
  EXPECT_EQ(replay->entryId, corrected->entryId);
  // A second correction of the same entry, a correction of a correction, a charge, unknown ids.
  EXPECT_EQ(errorCode(tryCorrect(sale.entryId, "fix-2")), BillingErrorCode::AlreadyCorrected);
  EXPECT_EQ(errorCode(tryCorrect(corrected->entryId, "fix-3")), BillingErrorCode::NotCorrectable);
  processOne(reading(m, now, 0));
  processOne(reading(m, now + 1h, 100));
  const auto charge = entriesOfKind(m, domain::EntryKind::Charge).at(0);
  EXPECT_EQ(errorCode(tryCorrect(charge.id, "fix-4")), BillingErrorCode::NotCorrectable);
  EXPECT_EQ(errorCode(tryCorrect(999'999, "fix-5")), BillingErrorCode::UnknownEntry);
  EXPECT_EQ(errorCode(tryCorrect(sale.entryId, "order-2")), BillingErrorCode::IdempotencyConflict);
  EXPECT_EQ(errorCode(tryCorrect(sale.entryId, "")), BillingErrorCode::EmptyIdempotencyKey);
  // A refund corrected gives the money back.
  const auto refund = tryRefund(m, 100, "refund-1");
  ASSERT_TRUE(refund);
  const auto undo = tryCorrect(refund->entryId, "fix-6");
  ASSERT_TRUE(undo);
  EXPECT_EQ(undo->amountFen, 100);
  EXPECT_EQ(balance(m), 200);
  expectLedgerConsistent();
}

TEST_F(SellTest, MeterSideRechargeCorrectableOnlyWhileQueuedAndLatest) {
  const auto m = addMeter(MeterSetup().meterSide());
  const auto first = sell(m, 1'000, "order-1");
  const auto second = sell(m, 2'000, "order-2");
  // Not the latest sale: correcting it would leave a gap in the purchase counts on the meter.
  EXPECT_EQ(errorCode(tryCorrect(first.entryId, "fix-1")), BillingErrorCode::NotSupportedMeterSide);
  // The latest, still queued: withdrawn, and its purchase count given back.
  const auto undo = tryCorrect(second.entryId, "fix-2");
  ASSERT_TRUE(undo) << undo.error().message;
  EXPECT_EQ(meter(m).purchaseCount, 1);
  const auto queued = unfinished(m, store::CommandKind::Recharge);
  ASSERT_EQ(queued.size(), 1U);
  EXPECT_EQ(queued[0].ledgerEntryId, first.entryId);
  EXPECT_EQ(sell(m, 500, "order-3").purchaseCount, 2);
  // Delivered: the meter holds the money; no correction.
  deliverNext(now + 1min);
  EXPECT_EQ(errorCode(tryCorrect(first.entryId, "fix-3")), BillingErrorCode::NotSupportedMeterSide);
  EXPECT_EQ(balance(m), 1'500);
  expectLedgerConsistent();
}

TEST_F(SellTest, ConcurrentSalesAndReplaysFromManyThreadsCreditEachKeyOnce) {
  const auto m = addMeter(MeterSetup().meterSide());
  constexpr int Threads = 4;
  constexpr int SalesPerThread = 15;
  std::vector<std::thread> threads;
  std::vector<std::vector<Receipt>> receipts(Threads);
  std::vector<int> failures(Threads, 0);
  for (int t = 0; t < Threads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < SalesPerThread; ++i) {
        // Two threads use the same keys: every key is sold twice, concurrently.
        SaleRequest request;
        request.meterId = m;
        request.amountFen = 100 + i;
        request.idempotencyKey = "order-" + std::to_string(t % 2) + "-" + std::to_string(i);
        request.source = "kiosk";
        auto result = service->sell(request);
        if (result) {
          receipts[static_cast<std::size_t>(t)].push_back(*result);
        } else {
          ++failures[static_cast<std::size_t>(t)];
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  std::set<std::int64_t> counts;
  std::int64_t newSales = 0;
  for (int t = 0; t < Threads; ++t) {
    EXPECT_EQ(failures[static_cast<std::size_t>(t)], 0);
    for (const auto& r : receipts[static_cast<std::size_t>(t)]) {
      if (r.replay == Replay::New) {
        ++newSales;
        counts.insert(*r.purchaseCount);
      }
    }
  }
  EXPECT_EQ(newSales, 2 * SalesPerThread);
  EXPECT_EQ(counts.size(), static_cast<std::size_t>(2 * SalesPerThread));
  EXPECT_EQ(*counts.rbegin(), 2 * SalesPerThread);
  std::int64_t expected = 0;
  for (int i = 0; i < SalesPerThread; ++i) {
    expected += 2 * (100 + i);
  }
  EXPECT_EQ(balance(m), expected);
  EXPECT_EQ(unfinished(m, store::CommandKind::Recharge).size(),
            static_cast<std::size_t>(2 * SalesPerThread));
  expectLedgerConsistent();
}

}  // namespace
}  // namespace prepaid::backend::billing::testing
