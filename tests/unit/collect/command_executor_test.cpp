#include "prepaid/collect/command_executor.hpp"

#include "fake_meter.hpp"
#include <gtest/gtest.h>

namespace prepaid::backend::collect {
namespace {

using testing::FakeFault;
using testing::FakeMeter;
using testing::FakeMeterState;

class CommandExecutorTest : public ::testing::Test {
 protected:
  CommandExecutorTest() {
    CollectOptions options;
    options.clock = [] { return domain::Instant(std::chrono::seconds(1700000000)); };
    options.commandRetryBase = std::chrono::milliseconds(1000);
    options.commandRetryMax = std::chrono::milliseconds(8000);
    options.maxControlAttempts = 3;
    executor = std::make_unique<CommandExecutor>(options);
    state->purchaseCount = 4;
    state->balanceFen = 1000;
    meter = std::make_unique<FakeMeter>(7, *devices::parseMacKey(testing::FakeFleet::KeyHex), mutex,
                                        state);
  }

  CommandContext recharge(std::int64_t count, std::int64_t fen) {
    CommandContext context;
    context.command.id = 1;
    context.command.kind = store::CommandKind::Recharge;
    context.command.purchaseCount = count;
    context.command.state = store::CommandState::Sending;
    context.command.attempts = 1;
    context.rechargeAmountFen = fen;
    context.meter.serial = "M7";
    context.meter.macKeyHex = testing::FakeFleet::KeyHex;
    return context;
  }

  CommandContext control(store::CommandKind kind) {
    auto context = recharge(0, 0);
    context.command.kind = kind;
    context.command.purchaseCount.reset();
    context.rechargeAmountFen.reset();
    return context;
  }

  std::shared_ptr<std::mutex> mutex = std::make_shared<std::mutex>();
  std::shared_ptr<FakeMeterState> state = std::make_shared<FakeMeterState>();
  std::unique_ptr<FakeMeter> meter;
  std::unique_ptr<CommandExecutor> executor;
};

TEST_F(CommandExecutorTest, RechargeIsCreditedWithAValidMac) {
  const auto resolution = executor->execute(recharge(5, 2000), *meter);
  EXPECT_EQ(resolution.verdict, Verdict::Done) << resolution.detail;
  EXPECT_EQ(state->balanceFen, 3000);
  EXPECT_EQ(state->purchaseCount, 5U);
  EXPECT_EQ(state->recharges, 1);
}

TEST_F(CommandExecutorTest, RechargeWithLostReplyIsReadBackAndNotResent) {
  state->fault = FakeFault::ReplyLostAfterApply;
  state->faultCount = 1;
  const auto resolution = executor->execute(recharge(5, 2000), *meter);
  EXPECT_EQ(resolution.verdict, Verdict::Done) << resolution.detail;
  EXPECT_EQ(state->recharges, 1);
  EXPECT_EQ(state->balanceFen, 3000);
}

TEST_F(CommandExecutorTest, RechargeWhoseCountCannotBeReadBackIsOutcomeUnknown) {
  state->fault = FakeFault::NoReplyAfterRecharge;
  const auto resolution = executor->execute(recharge(5, 2000), *meter);
  EXPECT_EQ(resolution.verdict, Verdict::OutcomeUnknown) << resolution.detail;
  EXPECT_GT(resolution.retryAfter.count(), 0);
  // Resolving reads the count first: unreadable -> still unknown, nothing sent.
  auto context = recharge(5, 2000);
  context.command.state = store::CommandState::OutcomeUnknown;
  EXPECT_EQ(executor->resolve(context, *meter).verdict, Verdict::OutcomeUnknown);
  state->fault = FakeFault::None;
  const auto resolved = executor->resolve(context, *meter);
  EXPECT_EQ(resolved.verdict, Verdict::Done) << resolved.detail;
  EXPECT_EQ(state->recharges, 1);
}

TEST_F(CommandExecutorTest, ResolveRequeuesARechargeProvenNotApplied) {
  auto context = recharge(5, 2000);
  const auto resolved = executor->resolve(context, *meter);
  EXPECT_EQ(resolved.verdict, Verdict::RetryLater);
  EXPECT_EQ(resolved.retryAfter.count(), 0);
  EXPECT_EQ(state->recharges, 0);  // resolve never sends
}

TEST_F(CommandExecutorTest, AlreadyAppliedRechargeIsDoneWithoutSending) {
  state->purchaseCount = 5;
  const auto resolution = executor->execute(recharge(5, 2000), *meter);
  EXPECT_EQ(resolution.verdict, Verdict::Done);
  EXPECT_EQ(state->recharges, 0);
  EXPECT_EQ(state->balanceFen, 1000);
}

TEST_F(CommandExecutorTest, PurchaseCountMismatchKeepsTheCreditPendingAndFlagsIt) {
  state->purchaseCount = 9;
  const auto resolution = executor->execute(recharge(5, 2000), *meter);
  EXPECT_EQ(resolution.verdict, Verdict::RetryLater);
  EXPECT_TRUE(resolution.purchaseCountMismatch);
  EXPECT_EQ(state->recharges, 0);
  auto context = recharge(5, 2000);
  EXPECT_TRUE(executor->resolve(context, *meter).purchaseCountMismatch);
}

TEST_F(CommandExecutorTest, UnreachableMeterRetriesWithGrowingBackoff) {
  state->fault = FakeFault::NoReply;
  auto context = recharge(5, 2000);
  const auto first = executor->execute(context, *meter);
  EXPECT_EQ(first.verdict, Verdict::RetryLater);
  EXPECT_EQ(first.contact, Contact::NoAnswer);
  context.command.attempts = 3;
  const auto third = executor->execute(context, *meter);
  EXPECT_EQ(third.verdict, Verdict::RetryLater);  // a credit is never given up
  EXPECT_GT(third.retryAfter, first.retryAfter);
  context.command.attempts = 50;
  EXPECT_EQ(executor->execute(context, *meter).retryAfter, std::chrono::milliseconds(8000));
}

TEST_F(CommandExecutorTest, MissingKeyKeepsTheRechargePending) {
  auto context = recharge(5, 2000);
  context.meter.macKeyHex.clear();
  const auto resolution = executor->execute(context, *meter);
  EXPECT_EQ(resolution.verdict, Verdict::RetryLater);
  EXPECT_NE(resolution.detail.find("MAC key"), std::string::npos);
}

TEST_F(CommandExecutorTest, ControlUsesTheCurrentPurchaseCount) {
  const auto resolution = executor->execute(control(store::CommandKind::Trip), *meter);
  EXPECT_EQ(resolution.verdict, Verdict::Done) << resolution.detail;
  EXPECT_EQ(state->relay, domain::RelayState::Open);
  EXPECT_EQ(executor->execute(control(store::CommandKind::Close), *meter).verdict, Verdict::Done);
  EXPECT_EQ(state->relay, domain::RelayState::Closed);
  EXPECT_EQ(executor->execute(control(store::CommandKind::KeepPowerOn), *meter).verdict,
            Verdict::Done);
  EXPECT_EQ(state->keepPower, devices::KeepPower::On);
}

TEST_F(CommandExecutorTest, ControlGivesUpAfterMaxAttempts) {
  state->fault = FakeFault::NoReply;
  auto context = control(store::CommandKind::Trip);
  EXPECT_EQ(executor->execute(context, *meter).verdict, Verdict::RetryLater);
  context.command.attempts = 3;
  EXPECT_EQ(executor->execute(context, *meter).verdict, Verdict::Failed);
}

TEST_F(CommandExecutorTest, ResolveOfAControlChecksTheMeterState) {
  auto context = control(store::CommandKind::Trip);
  auto resolved = executor->resolve(context, *meter);
  EXPECT_EQ(resolved.verdict, Verdict::RetryLater);  // relay still closed: send again
  state->relay = domain::RelayState::Open;
  resolved = executor->resolve(context, *meter);
  EXPECT_EQ(resolved.verdict, Verdict::Done);
  EXPECT_TRUE(resolved.snapshot.has_value());
}

TEST_F(CommandExecutorTest, PriceAndSettingsFallBackToConfiguration) {
  auto context = control(store::CommandKind::Price);
  context.command.payload = "peak=1500000";
  context.settings.defaultUnitPriceMicroYuan = 900000;
  EXPECT_EQ(executor->execute(context, *meter).verdict, Verdict::Done);
  EXPECT_EQ(state->prices[domain::indexOf(domain::Rate::Peak)].microYuan(), 1500000);
  EXPECT_EQ(state->prices[domain::indexOf(domain::Rate::Valley)].microYuan(), 900000);

  context = control(store::CommandKind::Settings);
  context.command.payload = "alarm2_fen=700";
  context.meter.alarm1Fen = 3000;
  context.settings.overloadThresholdW = 6000;
  EXPECT_EQ(executor->execute(context, *meter).verdict, Verdict::Done);
  EXPECT_EQ(state->thresholds.alarm1.fen(), 3000);
  EXPECT_EQ(state->thresholds.alarm2.fen(), 700);
  EXPECT_EQ(state->thresholds.overloadWatts, 6000);

  context.command.payload = "bogus=1";
  EXPECT_EQ(executor->execute(context, *meter).verdict, Verdict::Failed);
}

TEST_F(CommandExecutorTest, ReadNowReturnsTheSnapshot) {
  const auto resolution = executor->execute(control(store::CommandKind::ReadNow), *meter);
  EXPECT_EQ(resolution.verdict, Verdict::Done);
  ASSERT_TRUE(resolution.snapshot.has_value());
  EXPECT_EQ(resolution.snapshot->prepaid->balance->fen(), 1000);
}

}  // namespace
}  // namespace prepaid::backend::collect
