#include "prepaid/domain/ledger.hpp"

#include <gtest/gtest.h>

namespace prepaid::domain {
namespace {

using namespace std::chrono_literals;

const Instant T0{1'700'000'000s};

Money yuan(std::int64_t whole) {
  return Money::fromFen(whole * 100);
}

LedgerErrorCode codeOf(const std::expected<Posted, LedgerError>& result) {
  EXPECT_FALSE(result.has_value());
  return result ? LedgerErrorCode::Overflow : result.error().code;
}

TEST(Ledger, BalanceIsTheSumOfEntries) {
  Ledger ledger;
  ASSERT_TRUE(ledger.recharge(yuan(100), 1, "pay-1", T0).has_value());
  ASSERT_TRUE(ledger.charge(Money::fromFen(1234), "charge-1", T0 + 1h).has_value());
  ASSERT_TRUE(ledger.allocate(Money::fromFen(66), "alloc-1", T0 + 2h).has_value());
  ASSERT_TRUE(ledger.refund(yuan(50), "refund-1", T0 + 3h).has_value());
  EXPECT_EQ(ledger.balance(), Money::fromFen(10000 - 1234 - 66 - 5000));
  std::int64_t sum = 0;
  for (const auto& entry : ledger.entries()) {
    sum += entry.amount.fen();
  }
  EXPECT_EQ(sum, ledger.balance().fen());
  EXPECT_EQ(ledger.entries()[1].kind, EntryKind::Charge);
  EXPECT_EQ(ledger.entries()[1].amount, Money::fromFen(-1234));
  EXPECT_EQ(ledger.entries()[1].sequence, 2);
  EXPECT_EQ(ledger.entries()[0].purchaseCount, 1);
  EXPECT_EQ(ledger.purchaseCount(), 1);
}

TEST(Ledger, SameKeyReturnsTheFirstEntryOnce) {
  Ledger ledger;
  const auto first = ledger.recharge(yuan(100), 1, "order-42", T0);
  const auto again = ledger.recharge(yuan(100), 1, "order-42", T0 + 5min);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(first->posting, Posting::New);
  EXPECT_EQ(again->posting, Posting::Replayed);
  EXPECT_EQ(again->entry, first->entry);
  EXPECT_EQ(ledger.entries().size(), 1U);
  EXPECT_EQ(ledger.balance(), yuan(100));
  EXPECT_EQ(codeOf(ledger.recharge(yuan(200), 2, "order-42", T0)),
            LedgerErrorCode::IdempotencyConflict);
  EXPECT_EQ(codeOf(ledger.charge(yuan(1), "order-42", T0)), LedgerErrorCode::IdempotencyConflict);
  EXPECT_EQ(codeOf(ledger.charge(yuan(1), "", T0)), LedgerErrorCode::EmptyIdempotencyKey);
  ASSERT_NE(ledger.findByKey("order-42"), nullptr);
  EXPECT_EQ(ledger.findByKey("order-43"), nullptr);
}

TEST(Ledger, RefundAboveBalanceAndNonPositiveAmounts) {
  Ledger ledger;
  ASSERT_TRUE(ledger.recharge(yuan(10), 1, "r1", T0).has_value());
  const auto refused = ledger.refund(Money::fromFen(1001), "f1", T0);
  EXPECT_EQ(codeOf(refused), LedgerErrorCode::RefundAboveBalance);
  EXPECT_EQ(refused.error().message, "refund of 10.01 yuan is above the balance of 10.00 yuan");
  EXPECT_TRUE(ledger.refund(yuan(10), "f2", T0).has_value());
  EXPECT_EQ(codeOf(ledger.recharge(Money::zero(), 2, "r2", T0)),
            LedgerErrorCode::NonPositiveAmount);
  EXPECT_EQ(codeOf(ledger.charge(Money::fromFen(-5), "c1", T0)),
            LedgerErrorCode::NonPositiveAmount);
  EXPECT_EQ(codeOf(ledger.transferIn(Money::zero(), "t1", T0)), LedgerErrorCode::ZeroTransfer);
}

TEST(Ledger, HoardingCapRefusesARechargeAboveIt) {
  Ledger ledger(AccountLimits{yuan(500)});
  ASSERT_TRUE(ledger.recharge(yuan(400), 1, "r1", T0).has_value());
  const auto refused = ledger.recharge(Money::fromFen(10001), 2, "r2", T0);
  EXPECT_EQ(codeOf(refused), LedgerErrorCode::AboveHoardingCap);
  EXPECT_EQ(refused.error().message,
            "recharge would raise the balance to 500.01 yuan, above the cap of 500.00 yuan");
  EXPECT_EQ(ledger.purchaseCount(), 1);  // a refused recharge changes nothing
  EXPECT_TRUE(ledger.recharge(yuan(100), 2, "r2", T0).has_value());
  // Transfers are not purchases: the cap does not apply.
  EXPECT_TRUE(ledger.transferIn(yuan(300), "t1", T0).has_value());
}

TEST(Ledger, PurchaseCountMustBeInSequence) {
  Ledger ledger({}, 7);
  const auto refused = ledger.recharge(yuan(1), 9, "r1", T0);
  EXPECT_EQ(codeOf(refused), LedgerErrorCode::PurchaseCountOutOfSequence);
  EXPECT_EQ(refused.error().message, "purchase count 9 out of sequence: expected 8");
  EXPECT_EQ(codeOf(ledger.recharge(yuan(1), 7, "r1", T0)),
            LedgerErrorCode::PurchaseCountOutOfSequence);
  EXPECT_TRUE(ledger.recharge(yuan(1), 8, "r1", T0).has_value());
}

TEST(Ledger, CorrectionReversesExactlyOnce) {
  Ledger ledger;
  ASSERT_TRUE(ledger.recharge(yuan(100), 1, "r1", T0).has_value());
  ASSERT_TRUE(ledger.recharge(Money::fromFen(5055), 2, "r2", T0).has_value());  // the mistake
  const auto correction = ledger.correct(2, "fix-r2", T0 + 1min);
  ASSERT_TRUE(correction.has_value());
  EXPECT_EQ(correction->entry.kind, EntryKind::Correction);
  EXPECT_EQ(correction->entry.amount, Money::fromFen(-5055));
  EXPECT_EQ(correction->entry.corrects, 2);
  EXPECT_EQ(ledger.balance(), yuan(100));
  EXPECT_EQ(ledger.purchaseCount(), 2);  // the meter's count is not rolled back
  EXPECT_EQ(codeOf(ledger.correct(2, "fix-r2-again", T0)), LedgerErrorCode::AlreadyCorrected);
  EXPECT_EQ(codeOf(ledger.correct(3, "fix-fix", T0)), LedgerErrorCode::NotCorrectable);
  EXPECT_EQ(codeOf(ledger.correct(4, "fix-none", T0)), LedgerErrorCode::UnknownEntry);
  EXPECT_EQ(codeOf(ledger.correct(0, "fix-zero", T0)), LedgerErrorCode::UnknownEntry);
  // The same correction request replays.
  EXPECT_EQ(ledger.correct(2, "fix-r2", T0)->posting, Posting::Replayed);
  // A refund can be corrected; a correction may drive the balance negative.
  ASSERT_TRUE(ledger.refund(yuan(100), "f1", T0).has_value());
  ASSERT_TRUE(ledger.correct(4, "fix-f1", T0).has_value());
  EXPECT_EQ(ledger.balance(), yuan(100));
  ASSERT_TRUE(ledger.correct(1, "fix-r1", T0).has_value());
  EXPECT_EQ(ledger.balance(), Money::zero());
}

TEST(Ledger, ClosedAccountsRefuseEverything) {
  Ledger ledger;
  ASSERT_TRUE(ledger.recharge(yuan(30), 1, "r1", T0).has_value());
  ASSERT_TRUE(ledger.charge(yuan(5), "c1", T0).has_value());
  const auto settled = ledger.closeSettlement("close", T0 + 1h);
  ASSERT_TRUE(settled.has_value());
  EXPECT_EQ(settled->entry.amount, yuan(-25));
  EXPECT_EQ(ledger.balance(), Money::zero());
  EXPECT_TRUE(ledger.isClosed());
  EXPECT_EQ(codeOf(ledger.recharge(yuan(1), 2, "r2", T0)), LedgerErrorCode::AccountClosed);
  EXPECT_EQ(codeOf(ledger.charge(yuan(1), "c2", T0)), LedgerErrorCode::AccountClosed);
  EXPECT_EQ(codeOf(ledger.correct(2, "fix", T0)), LedgerErrorCode::AccountClosed);
  EXPECT_EQ(codeOf(ledger.closeSettlement("close-2", T0)), LedgerErrorCode::AccountClosed);
  // A retried close still answers with its first entry.
  EXPECT_EQ(ledger.closeSettlement("close", T0)->posting, Posting::Replayed);
  EXPECT_EQ(codeOf(ledger.correct(3, "fix-close", T0)), LedgerErrorCode::AccountClosed);
}

TEST(Ledger, MeterReplacementTransfersTheBalance) {
  Ledger oldMeter;
  ASSERT_TRUE(oldMeter.recharge(yuan(80), 1, "r1", T0).has_value());
  ASSERT_TRUE(oldMeter.charge(Money::fromFen(1234), "c1", T0).has_value());
  const auto out = oldMeter.transferOut("replace-1-out", T0 + 1h);
  ASSERT_TRUE(out.has_value());
  EXPECT_TRUE(oldMeter.isClosed());
  Ledger newMeter;
  const auto in = newMeter.transferIn(out->entry.amount.negated().value(), "replace-1-in", T0 + 1h);
  ASSERT_TRUE(in.has_value());
  EXPECT_EQ(newMeter.balance(), Money::fromFen(8000 - 1234));
  EXPECT_EQ(oldMeter.balance(), Money::zero());
  // Arrears move too.
  Ledger inArrears;
  ASSERT_TRUE(inArrears.charge(yuan(3), "c1", T0).has_value());
  EXPECT_EQ(inArrears.transferOut("out", T0)->entry.amount, yuan(3));
}

TEST(Ledger, ReplayRebuildsAndChecksEveryEntry) {
  Ledger ledger(AccountLimits{yuan(1000)}, 3);
  ASSERT_TRUE(ledger.recharge(yuan(100), 4, "r1", T0).has_value());
  ASSERT_TRUE(ledger.charge(yuan(7), "c1", T0).has_value());
  ASSERT_TRUE(ledger.correct(2, "x1", T0).has_value());
  ASSERT_TRUE(ledger.refund(yuan(10), "f1", T0).has_value());
  const std::vector<LedgerEntry> stored(ledger.entries().begin(), ledger.entries().end());
  const auto rebuilt = Ledger::replay(stored, AccountLimits{yuan(1000)}, 3);
  ASSERT_TRUE(rebuilt.has_value()) << rebuilt.error().message;
  EXPECT_EQ(rebuilt->balance(), ledger.balance());
  EXPECT_EQ(rebuilt->purchaseCount(), 4);

  auto tampered = stored;
  tampered[1].amount = yuan(-6);
  auto failed = Ledger::replay(tampered, AccountLimits{yuan(1000)}, 3);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, LedgerErrorCode::InconsistentEntry);
  EXPECT_EQ(failed.error().message.rfind("entry 3: ", 0), 0U) << failed.error().message;

  tampered = stored;
  tampered[0].purchaseCount = 9;
  failed = Ledger::replay(tampered, AccountLimits{yuan(1000)}, 3);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().message, "entry 1: purchase count 9 out of sequence: expected 4");

  tampered = stored;
  tampered[3].idempotencyKey = "r1";
  EXPECT_FALSE(Ledger::replay(tampered, AccountLimits{yuan(1000)}, 3).has_value());
  tampered = stored;
  tampered[2].sequence = 7;
  EXPECT_FALSE(Ledger::replay(tampered, AccountLimits{yuan(1000)}, 3).has_value());
}

TEST(Ledger, OverflowIsAnError) {
  Ledger ledger;
  ASSERT_TRUE(ledger.transferIn(Money::fromFen(std::numeric_limits<std::int64_t>::max()), "t1", T0)
                  .has_value());
  EXPECT_EQ(codeOf(ledger.transferIn(Money::fromFen(1), "t2", T0)), LedgerErrorCode::Overflow);
}

}  // namespace
}  // namespace prepaid::domain
