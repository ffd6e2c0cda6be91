// CommandRepository: state machine, ordering (priority, then age), per gateway, backoff, one
// command in flight per meter, recharges in purchase-count order.

#include "store_fixture.hpp"

namespace prepaid::store::testing {
namespace {

class CommandRepositoryTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    gateway = addGateway("G1");
    otherGateway = addGateway("G2");
    meterA = addMeter("A", gateway, 1);
    meterB = addMeter("B", gateway, 2);
    meterC = addMeter("C", otherGateway, 1);
  }

  Command enqueue(MeterId meter, CommandKind kind, std::int64_t priority,
                  domain::Instant at = utc(2024, 3, 1, 8),
                  std::optional<std::int64_t> purchaseCount = std::nullopt) {
    Command c;
    c.meterId = meter;
    c.kind = kind;
    c.priority = priority;
    c.createdAt = at;
    c.purchaseCount = purchaseCount;
    if (kind == CommandKind::Recharge && !purchaseCount) {
      c.purchaseCount = 1;
    }
    auto queued = tx([&](WriteTransaction& t) { return t.commands().enqueue(c); });
    EXPECT_TRUE(queued) << queued.error().message;
    return queued.value_or(Command{});
  }

  std::optional<Command> claim(GatewayId g, domain::Instant now = utc(2024, 3, 1, 9)) {
    auto next = tx([&](WriteTransaction& t) { return t.commands().claimNext(g, now); });
    EXPECT_TRUE(next) << next.error().message;
    return next.value_or(std::nullopt);
  }

  GatewayId gateway = 0;
  GatewayId otherGateway = 0;
  MeterId meterA = 0;
  MeterId meterB = 0;
  MeterId meterC = 0;
};

TEST_F(CommandRepositoryTest, EnqueuedCommandIsQueuedAndPersisted) {
  const auto c = enqueue(meterA, CommandKind::Trip, PriorityControl);
  EXPECT_EQ(c.state, CommandState::Queued);
  EXPECT_EQ(c.attempts, 0);
  EXPECT_EQ(c.notBefore, c.createdAt);
  reopen();
  auto loaded = rd([&](const ReadTransaction& t) { return t.commands().command(c.id); });
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->kind, CommandKind::Trip);
  EXPECT_EQ(loaded->priority, PriorityControl);
}

TEST_F(CommandRepositoryTest, RechargeWithoutPurchaseCountIsRefused) {
  Command c;
  c.meterId = meterA;
  c.kind = CommandKind::Recharge;
  c.createdAt = utc(2024, 3, 1);
  EXPECT_EQ(errorCode(tx([&](WriteTransaction& t) { return t.commands().enqueue(c); })),
            StoreErrorCode::InvalidArgument);
}

TEST_F(CommandRepositoryTest, ClaimsByPriorityThenAgeWithinItsGatewayOnly) {
  const auto read = enqueue(meterA, CommandKind::ReadNow, PriorityReadNow);
  const auto price = enqueue(meterB, CommandKind::Price, PriorityDispatch);
  const auto recharge = enqueue(meterB, CommandKind::Recharge, PriorityRecharge);
  const auto trip = enqueue(meterA, CommandKind::Trip, PriorityControl);
  const auto elsewhere = enqueue(meterC, CommandKind::Trip, PriorityControl);

  auto first = claim(gateway);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->id, recharge.id);
  EXPECT_EQ(first->state, CommandState::Sending);
  EXPECT_EQ(first->attempts, 1);
  // meterB now has a command in flight: its price dispatch waits; meterA's trip is next.
  auto second = claim(gateway);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->id, trip.id);
  // Both meters busy: nothing more on this bus.
  EXPECT_FALSE(claim(gateway));
  ASSERT_TRUE(
      tx([&](WriteTransaction& t) { return t.commands().markDone(trip.id, utc(2024, 3, 1, 9)); }));
  auto third = claim(gateway);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->id, read.id);
  ASSERT_TRUE(tx(
      [&](WriteTransaction& t) { return t.commands().markDone(recharge.id, utc(2024, 3, 1, 9)); }));
  auto fourth = claim(gateway);
  ASSERT_TRUE(fourth);
  EXPECT_EQ(fourth->id, price.id);

  auto other = claim(otherGateway);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->id, elsewhere.id);
  EXPECT_EQ(rd([&](const ReadTransaction& t) { return t.commands().queuedCount(gateway); }).value(),
            0);
}

TEST_F(CommandRepositoryTest, BackoffDelaysTheRetryUntilNotBefore) {
  const auto c = enqueue(meterA, CommandKind::Close, PriorityControl);
  ASSERT_TRUE(claim(gateway));
  auto retried = tx([&](WriteTransaction& t) {
    return t.commands().retryLater(c.id, utc(2024, 3, 1, 9), utc(2024, 3, 1, 9, 5), "timeout");
  });
  ASSERT_TRUE(retried) << retried.error().message;
  EXPECT_EQ(retried->state, CommandState::Queued);
  EXPECT_EQ(retried->lastError, "timeout");
  EXPECT_FALSE(claim(gateway, utc(2024, 3, 1, 9, 4, 59)));
  auto again = claim(gateway, utc(2024, 3, 1, 9, 5));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->id, c.id);
  EXPECT_EQ(again->attempts, 2);
}

TEST_F(CommandRepositoryTest, StateTransitionsFollowTheStateMachine) {
  const auto c = enqueue(meterA, CommandKind::Recharge, PriorityRecharge);
  const auto at = utc(2024, 3, 1, 9);
  auto& id = c.id;
  // Not yet sending: cannot be done, failed or unknown.
  EXPECT_EQ(errorCode(tx([&](WriteTransaction& t) { return t.commands().markDone(id, at); })),
            StoreErrorCode::InvalidTransition);
  EXPECT_EQ(errorCode(tx(
                [&](WriteTransaction& t) { return t.commands().markOutcomeUnknown(id, at, "x"); })),
            StoreErrorCode::InvalidTransition);
  ASSERT_TRUE(claim(gateway));
  auto unknown =
      tx([&](WriteTransaction& t) { return t.commands().markOutcomeUnknown(id, at, "no reply"); });
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->state, CommandState::OutcomeUnknown);
  // A restart finds it in flight.
  reopen();
  auto inFlight = rd([&](const ReadTransaction& t) { return t.commands().inFlight(); });
  ASSERT_TRUE(inFlight);
  ASSERT_EQ(inFlight->size(), 1U);
  EXPECT_EQ((*inFlight)[0].id, id);
  // An outcome_unknown meter gets nothing else until resolved.
  enqueue(meterA, CommandKind::ReadNow, PriorityReadNow);
  EXPECT_FALSE(claim(gateway));
  auto done = tx([&](WriteTransaction& t) { return t.commands().markDone(id, at); });
  ASSERT_TRUE(done);
  EXPECT_EQ(done->state, CommandState::Done);
  EXPECT_EQ(done->lastError, "no reply");  // history kept
  // Terminal.
  EXPECT_EQ(
      errorCode(tx([&](WriteTransaction& t) { return t.commands().markFailed(id, at, "x"); })),
      StoreErrorCode::InvalidTransition);
  EXPECT_EQ(
      errorCode(tx([&](WriteTransaction& t) { return t.commands().retryLater(id, at, at, "x"); })),
      StoreErrorCode::InvalidTransition);
  EXPECT_EQ(errorCode(tx([&](WriteTransaction& t) { return t.commands().markDone(99999, at); })),
            StoreErrorCode::NotFound);
}

TEST_F(CommandRepositoryTest, CancelOnlyFromQueued) {
  const auto c = enqueue(meterA, CommandKind::Trip, PriorityControl);
  auto cancelled = tx([&](WriteTransaction& t) {
    return t.commands().cancel(c.id, utc(2024, 3, 1, 9), "operator");
  });
  ASSERT_TRUE(cancelled);
  EXPECT_EQ(cancelled->state, CommandState::Failed);
  EXPECT_EQ(cancelled->lastError, "cancelled: operator");
  EXPECT_FALSE(claim(gateway));
  EXPECT_EQ(errorCode(tx([&](WriteTransaction& t) {
              return t.commands().cancel(c.id, utc(2024, 3, 1, 9), "again");
            })),
            StoreErrorCode::InvalidTransition);
}

TEST_F(CommandRepositoryTest, RechargesOfOneMeterAreClaimedInQueueOrderEvenDuringBackoff) {
  const auto first =
      enqueue(meterA, CommandKind::Recharge, PriorityRecharge, utc(2024, 3, 1, 8), 1);
  const auto second =
      enqueue(meterA, CommandKind::Recharge, PriorityRecharge, utc(2024, 3, 1, 8), 2);
  auto claimed = claim(gateway);
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->id, first.id);
  ASSERT_TRUE(tx([&](WriteTransaction& t) {
    return t.commands().retryLater(first.id, utc(2024, 3, 1, 9), utc(2024, 3, 1, 10), "busy");
  }));
  // The first recharge backs off; the second must not overtake it.
  EXPECT_FALSE(claim(gateway, utc(2024, 3, 1, 9, 30)));
  auto next = claim(gateway, utc(2024, 3, 1, 10));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->id, first.id);
  ASSERT_TRUE(tx(
      [&](WriteTransaction& t) { return t.commands().markDone(first.id, utc(2024, 3, 1, 10)); }));
  auto last = claim(gateway, utc(2024, 3, 1, 10));
  ASSERT_TRUE(last);
  EXPECT_EQ(last->id, second.id);
  EXPECT_EQ(last->purchaseCount, 2);
}

TEST_F(CommandRepositoryTest, ListsByStateMeterAndBatch) {
  Command c;
  c.kind = CommandKind::Price;
  c.priority = PriorityDispatch;
  c.createdAt = utc(2024, 3, 1);
  c.batchId = "batch-7";
  for (const auto meter : {meterA, meterB, meterC}) {
    c.meterId = meter;
    ASSERT_TRUE(tx([&](WriteTransaction& t) { return t.commands().enqueue(c); }));
  }
  enqueue(meterA, CommandKind::ReadNow, PriorityReadNow);
  auto batch = rd([&](const ReadTransaction& t) { return t.commands().forBatch("batch-7"); });
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->size(), 3U);
  auto queued =
      rd([&](const ReadTransaction& t) { return t.commands().inState(CommandState::Queued, 10); });
  ASSERT_TRUE(queued);
  EXPECT_EQ(queued->size(), 4U);
  auto ofA = rd([&](const ReadTransaction& t) { return t.commands().forMeter(meterA, 10); });
  ASSERT_TRUE(ofA);
  ASSERT_EQ(ofA->size(), 2U);
  EXPECT_EQ((*ofA)[0].kind, CommandKind::ReadNow);  // newest first
  EXPECT_EQ(toString(CommandKind::KeepPowerOff), "keep_power_off");
  EXPECT_EQ(toString(CommandState::OutcomeUnknown), "outcome_unknown");
}

}  // namespace
}  // namespace prepaid::store::testing
