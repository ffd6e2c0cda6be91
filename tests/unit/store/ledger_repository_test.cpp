// LedgerRepository: append-only (triggers), idempotency, balance cache == sum, verifier,
// correction and sign rules, charge roll-ups.

#include "store_fixture.hpp"

namespace prepaid::store::testing {
namespace {

using domain::EntryKind;

class LedgerRepositoryTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    meter = addMeter("M1", addGateway("G1"));
    other = addMeter("M2", addGateway("G2"));
  }
  std::expected<AppendResult, StoreError> append(const LedgerEntry& e) {
    return tx([&](WriteTransaction& t) { return t.ledger().append(e); });
  }
  MeterId meter = 0;
  MeterId other = 0;
};

TEST_F(LedgerRepositoryTest, AppendsAndKeepsBalanceCacheEqualToSum) {
  ASSERT_TRUE(append(entry(meter, EntryKind::Recharge, 10000, "r1")));
  ASSERT_TRUE(append(entry(meter, EntryKind::Charge, -1234, "c1")));
  ASSERT_TRUE(append(entry(meter, EntryKind::Refund, -766, "f1")));
  ASSERT_TRUE(append(entry(other, EntryKind::Recharge, 5, "r2")));
  auto balance = rd([&](const ReadTransaction& t) { return t.ledger().balanceFen(meter); });
  ASSERT_TRUE(balance);
  EXPECT_EQ(*balance, 8000);
  auto check = rd([&](const ReadTransaction& t) { return t.ledger().checkBalance(meter); });
  ASSERT_TRUE(check);
  EXPECT_TRUE(check->consistent());
  EXPECT_EQ(check->sumFen, 8000);
  EXPECT_EQ(check->entryCount, 3);
  auto all = store->verifyLedger();
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->ok());
  EXPECT_EQ(all->metersChecked, 2);
  EXPECT_EQ(all->entriesChecked, 4);
  EXPECT_EQ(rd([&](const ReadTransaction& t) { return t.ledger().balanceFen(424242); }).value(), 0);
}

TEST_F(LedgerRepositoryTest, UpdateAndDeleteAreRejectedByTriggers) {
  ASSERT_TRUE(append(entry(meter, EntryKind::Recharge, 10000, "r1")));
  RawDb raw(dbPath());
  EXPECT_NE(raw.exec("UPDATE ledger_entries SET amount_fen = 99999"), SQLITE_OK);
  EXPECT_NE(raw.lastError().find("append-only"), std::string::npos) << raw.lastError();
  EXPECT_NE(raw.exec("DELETE FROM ledger_entries"), SQLITE_OK);
  EXPECT_NE(raw.lastError().find("append-only"), std::string::npos) << raw.lastError();
  EXPECT_EQ(raw.queryInt("SELECT amount_fen FROM ledger_entries"), 10000);
  EXPECT_EQ(raw.queryInt("SELECT COUNT(*) FROM ledger_entries"), 1);
}

TEST_F(LedgerRepositoryTest, DuplicateKeyWithSameContentReturnsTheExistingEntry) {
  auto first = append(entry(meter, EntryKind::Recharge, 10000, "pay-42"));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->outcome, AppendOutcome::Appended);
  auto again = append(entry(meter, EntryKind::Recharge, 10000, "pay-42", utc(2024, 3, 2)));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->outcome, AppendOutcome::Replayed);
  EXPECT_EQ(again->entry.id, first->entry.id);
  EXPECT_EQ(again->entry.createdAt, first->entry.createdAt);
  EXPECT_EQ(rd([&](const ReadTransaction& t) { return t.ledger().balanceFen(meter); }).value(),
            10000);
}

TEST_F(LedgerRepositoryTest, DuplicateKeyWithDifferentContentIsAConflict) {
  ASSERT_TRUE(append(entry(meter, EntryKind::Recharge, 10000, "pay-42")));
  for (const auto& e : {entry(meter, EntryKind::Recharge, 20000, "pay-42"),
                        entry(other, EntryKind::Recharge, 10000, "pay-42"),
                        entry(meter, EntryKind::TransferIn, 10000, "pay-42")}) {
    auto result = append(e);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, StoreErrorCode::IdempotencyConflict);
  }
  EXPECT_EQ(store->verifyLedger()->entriesChecked, 1);
}

TEST_F(LedgerRepositoryTest, VerifierDetectsATamperedCache) {
  ASSERT_TRUE(append(entry(meter, EntryKind::Recharge, 10000, "r1")));
  ASSERT_TRUE(append(entry(other, EntryKind::Recharge, 300, "r2")));
  RawDb raw(dbPath());
  ASSERT_EQ(raw.exec("UPDATE meter_balances SET balance_fen = 99999 WHERE meter_id = " +
                     std::to_string(meter)),
            SQLITE_OK);
  auto check = rd([&](const ReadTransaction& t) { return t.ledger().checkBalance(meter); });
  ASSERT_TRUE(check);
  EXPECT_FALSE(check->consistent());
  EXPECT_EQ(check->cachedFen, 99999);
  EXPECT_EQ(check->sumFen, 10000);
  auto all = store->verifyLedger();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->mismatches.size(), 1U);
  EXPECT_EQ(all->mismatches[0].meterId, meter);
}

TEST_F(LedgerRepositoryTest, VerifierDetectsACacheRowWithoutEntries) {
  ASSERT_TRUE(append(entry(meter, EntryKind::Recharge, 100, "r1")));
  RawDb raw(dbPath());
  ASSERT_EQ(
      raw.exec("INSERT INTO meter_balances VALUES (" + std::to_string(other) + ", 500, 1, 1)"),
      SQLITE_OK);
  auto all = store->verifyLedger();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->mismatches.size(), 1U);
  EXPECT_EQ(all->mismatches[0].meterId, other);
  EXPECT_EQ(all->mismatches[0].sumFen, 0);
}

TEST_F(LedgerRepositoryTest, SignRulesPerKind) {
  EXPECT_EQ(errorCode(append(entry(meter, EntryKind::Recharge, 0, "a"))),
            StoreErrorCode::InvalidArgument);
  EXPECT_EQ(errorCode(append(entry(meter, EntryKind::Recharge, -5, "b"))),
            StoreErrorCode::InvalidArgument);
  EXPECT_EQ(errorCode(append(entry(meter, EntryKind::Refund, 5, "c"))),
            StoreErrorCode::InvalidArgument);
  EXPECT_EQ(errorCode(append(entry(meter, EntryKind::Charge, 5, "d"))),
            StoreErrorCode::InvalidArgument);
  EXPECT_TRUE(append(entry(meter, EntryKind::CloseSettlement, 5, "e")));
  EXPECT_TRUE(append(entry(meter, EntryKind::CloseSettlement, -5, "f")));
  EXPECT_TRUE(append(entry(meter, EntryKind::Charge, 0, "g")));
  auto empty = entry(meter, EntryKind::Recharge, 5, "");
  EXPECT_EQ(errorCode(append(empty)), StoreErrorCode::InvalidArgument);
}

TEST_F(LedgerRepositoryTest, CorrectionMustExactlyReverseOneRechargeOnce) {
  auto sale = append(entry(meter, EntryKind::Recharge, 5000, "sale"));
  ASSERT_TRUE(sale);
  auto correction = entry(meter, EntryKind::Correction, -5000, "fix");
  EXPECT_EQ(errorCode(append(correction)), StoreErrorCode::InvalidArgument);  // no reference
  correction.referencedEntryId = sale->entry.id;
  correction.amountFen = -4000;
  EXPECT_EQ(errorCode(append(correction)), StoreErrorCode::InvalidArgument);  // wrong amount
  correction.amountFen = -5000;
  correction.meterId = other;
  EXPECT_EQ(errorCode(append(correction)), StoreErrorCode::InvalidArgument);  // other meter
  correction.meterId = meter;
  auto fixed = append(correction);
  ASSERT_TRUE(fixed) << fixed.error().message;
  auto second = correction;
  second.idempotencyKey = "fix-again";
  EXPECT_EQ(errorCode(append(second)), StoreErrorCode::InvalidArgument);  // already corrected
  EXPECT_EQ(rd([&](const ReadTransaction& t) { return t.ledger().balanceFen(meter); }).value(), 0);
  auto corrections =
      rd([&](const ReadTransaction& t) { return t.ledger().correctionsOf(sale->entry.id); });
  ASSERT_TRUE(corrections);
  ASSERT_EQ(corrections->size(), 1U);
  EXPECT_EQ((*corrections)[0].referencedEntryId, sale->entry.id);
}

TEST_F(LedgerRepositoryTest, BalanceOverflowIsRefused) {
  ASSERT_TRUE(append(entry(meter, EntryKind::Recharge, INT64_MAX, "huge")));
  auto more = append(entry(meter, EntryKind::Recharge, 1, "more"));
  ASSERT_FALSE(more);
  EXPECT_EQ(more.error().code, StoreErrorCode::InvalidArgument);
  EXPECT_EQ(rd([&](const ReadTransaction& t) { return t.ledger().balanceFen(meter); }).value(),
            INT64_MAX);
}

TEST_F(LedgerRepositoryTest, EntriesRoundTripAndQueryByKeyAndRange) {
  auto e = entry(meter, EntryKind::Recharge, 700, "r1", utc(2024, 3, 1, 10));
  e.purchaseCount = 7;
  e.note = "现金";
  e.source = "operator:alice";
  ASSERT_TRUE(append(e));
  ASSERT_TRUE(append(entry(meter, EntryKind::Recharge, 1, "r2", utc(2024, 3, 5))));
  auto byKey = rd([&](const ReadTransaction& t) { return t.ledger().entryByKey("r1"); });
  ASSERT_TRUE(byKey && *byKey);
  EXPECT_EQ((*byKey)->purchaseCount, 7);
  EXPECT_EQ((*byKey)->note, "现金");
  EXPECT_EQ((*byKey)->source, "operator:alice");
  EXPECT_EQ((*byKey)->createdAt, utc(2024, 3, 1, 10));
  auto inRange = rd([&](const ReadTransaction& t) {
    return t.ledger().entries(meter, utc(2024, 3, 1), utc(2024, 3, 2), 100);
  });
  ASSERT_TRUE(inRange);
  ASSERT_EQ(inRange->size(), 1U);
  EXPECT_EQ((*inRange)[0].idempotencyKey, "r1");
  EXPECT_FALSE(rd([&](const ReadTransaction& t) { return t.ledger().entryByKey("nope"); })
                   .value()
                   .has_value());
  EXPECT_EQ(errorCode(rd([&](const ReadTransaction& t) { return t.ledger().entry(9999); })),
            StoreErrorCode::NotFound);
}

TEST_F(LedgerRepositoryTest, ChargesRollUpIntoTheLocalPeriodOfTheirUsage) {
  // 2024-03-31 16:30 UTC is 2024-04-01 00:30 at UTC+8: April's first hour, day and month.
  auto charge = entry(meter, EntryKind::Charge, -250, "c1", utc(2024, 4, 2));
  charge.usageAt = utc(2024, 3, 31, 16, 30);
  ASSERT_TRUE(append(charge));
  auto allocation = entry(meter, EntryKind::Allocation, -40, "a1", utc(2024, 3, 31, 16, 45));
  ASSERT_TRUE(append(allocation));
  auto months = rd([&](const ReadTransaction& t) {
    return t.readings().rollups(meter, Granularity::Month, utc(2024, 1, 1), utc(2025, 1, 1));
  });
  ASSERT_TRUE(months);
  ASSERT_EQ(months->size(), 1U);
  EXPECT_EQ((*months)[0].periodStart, utc(2024, 3, 31, 16));  // 2024-04-01 00:00 +08:00
  EXPECT_EQ((*months)[0].chargedFen, 250);
  EXPECT_EQ((*months)[0].allocatedFen, 40);
}

}  // namespace
}  // namespace prepaid::store::testing
