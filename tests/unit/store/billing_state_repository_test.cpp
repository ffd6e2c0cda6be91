// BillingStateRepository (migration 2) and the two queries billing added to the ledger and command
// repositories: balanceThroughEntryFen and unfinishedForMeter.

#include "store_fixture.hpp"

namespace prepaid::store::testing {
namespace {

class BillingStateRepositoryTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    gateway = addGateway("gw");
    meter = addMeter("M1", gateway);
  }
  GatewayId gateway = 0;
  MeterId meter = 0;
};

MeterBillingState fullState(MeterId meter) {
  MeterBillingState s;
  s.meterId = meter;
  s.processedThrough = utc(2024, 3, 1, 12);
  s.baseline = RegisterBaseline{utc(2024, 3, 1, 12), 123456, RateEnergies{1, 2, 3, 4}};
  s.rating.usageMonth = std::chrono::year(2024) / std::chrono::March;
  s.rating.monthUsage = domain::Energy::fromCentiKwh(5000);
  s.rating.yearUsage = domain::Energy::fromCentiKwh(90000);
  s.rating.carry = *domain::FenCarry::fromRemainder(9'999'999);
  s.balanceAlarm = {domain::BalanceLevel::Alarm2, domain::BalanceLevel::Alarm1};
  s.arrearsSince = utc(2024, 3, 1, 11);
  s.relayOpener = RelayOpener::Billing;
  s.lastAnomaly = "total register went backwards";
  s.lastAnomalyAt = utc(2024, 3, 1, 10);
  s.updatedAt = utc(2024, 3, 1, 12, 0, 5);
  return s;
}

TEST_F(BillingStateRepositoryTest, SchemaIsAtLeastVersionTwo) {
  EXPECT_GE(latestSchemaVersion(), 2);
  RawDb raw(dbPath());
  EXPECT_EQ(raw.queryInt("SELECT COUNT(*) FROM sqlite_master WHERE name = 'meter_billing_state'"),
            1);
}

TEST_F(BillingStateRepositoryTest, AbsentUntilSaved) {
  auto state = rd([&](const ReadTransaction& t) { return t.billingState().state(meter); });
  ASSERT_TRUE(state) << state.error().message;
  EXPECT_FALSE(state->has_value());
}

TEST_F(BillingStateRepositoryTest, RoundTripsEveryFieldAndReplaces) {
  const MeterBillingState s = fullState(meter);
  ASSERT_TRUE(tx([&](WriteTransaction& t) { return t.billingState().save(s); }));
  auto back = rd([&](const ReadTransaction& t) { return t.billingState().state(meter); });
  ASSERT_TRUE(back && back->has_value());
  const MeterBillingState& b = **back;
  EXPECT_EQ(b.processedThrough, s.processedThrough);
  ASSERT_TRUE(b.baseline.has_value());
  EXPECT_EQ(b.baseline->readAt, s.baseline->readAt);
  EXPECT_EQ(b.baseline->energyTotalCentiKwh, 123456);
  EXPECT_EQ(b.baseline->energyByRateCentiKwh, s.baseline->energyByRateCentiKwh);
  EXPECT_EQ(b.rating, s.rating);
  EXPECT_EQ(b.balanceAlarm, s.balanceAlarm);
  EXPECT_EQ(b.arrearsSince, s.arrearsSince);
  EXPECT_EQ(b.relayOpener, RelayOpener::Billing);
  EXPECT_EQ(b.lastAnomaly, s.lastAnomaly);
  EXPECT_EQ(b.lastAnomalyAt, s.lastAnomalyAt);
  EXPECT_EQ(b.updatedAt, s.updatedAt);

  MeterBillingState cleared;
  cleared.meterId = meter;
  cleared.updatedAt = utc(2024, 3, 2);
  ASSERT_TRUE(tx([&](WriteTransaction& t) { return t.billingState().save(cleared); }));
  back = rd([&](const ReadTransaction& t) { return t.billingState().state(meter); });
  ASSERT_TRUE(back && back->has_value());
  EXPECT_FALSE((*back)->baseline.has_value());
  EXPECT_FALSE((*back)->processedThrough.has_value());
  EXPECT_FALSE((*back)->rating.usageMonth.has_value());
  EXPECT_EQ((*back)->relayOpener, RelayOpener::Unknown);
}

TEST_F(BillingStateRepositoryTest, BaselineWithoutRateRegistersStaysWithout) {
  MeterBillingState s = fullState(meter);
  s.baseline->energyByRateCentiKwh.reset();
  ASSERT_TRUE(tx([&](WriteTransaction& t) { return t.billingState().save(s); }));
  auto back = rd([&](const ReadTransaction& t) { return t.billingState().state(meter); });
  ASSERT_TRUE(back && back->has_value());
  EXPECT_FALSE((*back)->baseline->energyByRateCentiKwh.has_value());
}

TEST_F(BillingStateRepositoryTest, RefusesUnknownMeterAndNegativeCounters) {
  MeterBillingState s = fullState(meter + 100);
  EXPECT_EQ(errorCode(tx([&](WriteTransaction& t) { return t.billingState().save(s); })),
            StoreErrorCode::Constraint);
  s = fullState(meter);
  s.rating.monthUsage = domain::Energy::fromCentiKwh(-1);
  EXPECT_EQ(errorCode(tx([&](WriteTransaction& t) { return t.billingState().save(s); })),
            StoreErrorCode::InvalidArgument);
}

TEST_F(BillingStateRepositoryTest, BalanceThroughEntrySumsEntriesUpToIt) {
  const MeterId other = addMeter("M2", gateway, 2);
  auto first = tx([&](WriteTransaction& t) {
    return t.ledger().append(entry(meter, domain::EntryKind::Recharge, 1000, "a"));
  });
  ASSERT_TRUE(first);
  ASSERT_TRUE(tx([&](WriteTransaction& t) {
    return t.ledger().append(entry(other, domain::EntryKind::Recharge, 7000, "b"));
  }));
  auto second = tx([&](WriteTransaction& t) {
    return t.ledger().append(entry(meter, domain::EntryKind::Charge, -300, "c"));
  });
  ASSERT_TRUE(second);
  ASSERT_TRUE(tx([&](WriteTransaction& t) {
    return t.ledger().append(entry(meter, domain::EntryKind::Recharge, 50, "d"));
  }));
  auto through = [&](MeterId m, LedgerEntryId id) {
    return rd([&](const ReadTransaction& t) { return t.ledger().balanceThroughEntryFen(m, id); });
  };
  EXPECT_EQ(through(meter, first->entry.id).value_or(-1), 1000);
  EXPECT_EQ(through(meter, second->entry.id).value_or(-1), 700);
  EXPECT_EQ(errorCode(through(other, first->entry.id)), StoreErrorCode::NotFound);
}

TEST_F(BillingStateRepositoryTest, UnfinishedForMeterListsQueuedSendingAndUnknownOnly) {
  auto enqueue = [&](CommandKind kind) {
    Command c;
    c.meterId = meter;
    c.kind = kind;
    c.priority = PriorityControl;
    c.createdAt = utc(2024, 3, 1);
    auto queued = tx([&](WriteTransaction& t) { return t.commands().enqueue(c); });
    EXPECT_TRUE(queued) << queued.error().message;
    return queued ? queued->id : 0;
  };
  const CommandId trip = enqueue(CommandKind::Trip);
  const CommandId close = enqueue(CommandKind::Close);
  const CommandId read = enqueue(CommandKind::ReadNow);
  ASSERT_TRUE(
      tx([&](WriteTransaction& t) { return t.commands().claimNext(gateway, utc(2024, 3, 1, 1)); }));
  ASSERT_TRUE(
      tx([&](WriteTransaction& t) { return t.commands().markDone(trip, utc(2024, 3, 1, 1)); }));
  ASSERT_TRUE(tx([&](WriteTransaction& t) {
    return t.commands().cancel(read, utc(2024, 3, 1, 1), "not needed");
  }));
  auto unfinished =
      rd([&](const ReadTransaction& t) { return t.commands().unfinishedForMeter(meter); });
  ASSERT_TRUE(unfinished);
  ASSERT_EQ(unfinished->size(), 1U);
  EXPECT_EQ(unfinished->front().id, close);
}

}  // namespace
}  // namespace prepaid::store::testing
