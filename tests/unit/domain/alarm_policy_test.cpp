#include "prepaid/domain/alarm_policy.hpp"

#include <gtest/gtest.h>

namespace prepaid::domain {
namespace {

const AlarmThresholds Thresholds{Money::fromFen(5000), Money::fromFen(1000), Money::fromFen(100)};

TEST(AlarmPolicy, ThresholdsAreValidated) {
  EXPECT_TRUE(validateThresholds(Thresholds).has_value());
  EXPECT_EQ(validateThresholds({Money::fromFen(5000), Money::zero(), Money::zero()}).error(),
            AlarmConfigError::Alarm2NotPositive);
  EXPECT_EQ(validateThresholds({Money::fromFen(1000), Money::fromFen(1000), Money::zero()}).error(),
            AlarmConfigError::Alarm1NotAboveAlarm2);
  EXPECT_EQ(
      validateThresholds({Money::fromFen(5000), Money::fromFen(1000), Money::fromFen(-1)}).error(),
      AlarmConfigError::BadHysteresis);
  EXPECT_EQ(validateThresholds({Money::fromFen(5000), Money::fromFen(1000), Money::fromFen(1000)})
                .error(),
            AlarmConfigError::BadHysteresis);
  EXPECT_FALSE(describe(AlarmConfigError::BadHysteresis).empty());
}

TEST(AlarmPolicy, LevelsFromBalance) {
  EXPECT_EQ(levelOf(Money::fromFen(5000), Thresholds), BalanceLevel::Normal);
  EXPECT_EQ(levelOf(Money::fromFen(4999), Thresholds), BalanceLevel::Alarm1);
  EXPECT_EQ(levelOf(Money::fromFen(999), Thresholds), BalanceLevel::Alarm2);
  EXPECT_EQ(levelOf(Money::fromFen(1), Thresholds), BalanceLevel::Alarm2);
  EXPECT_EQ(levelOf(Money::zero(), Thresholds), BalanceLevel::Arrears);
  EXPECT_EQ(levelOf(Money::fromFen(-5), Thresholds), BalanceLevel::Arrears);
  EXPECT_EQ(parseBalanceLevel(toString(BalanceLevel::Alarm2)), BalanceLevel::Alarm2);
}

TEST(AlarmPolicy, OneEventPerDownwardCrossing) {
  BalanceAlarmState state;
  auto step = evaluateBalance(state, Money::fromFen(4990), BalanceChange::Consumption, Thresholds);
  EXPECT_EQ(step.notify, BalanceLevel::Alarm1);
  state = step.state;
  step = evaluateBalance(state, Money::fromFen(4000), BalanceChange::Consumption, Thresholds);
  EXPECT_EQ(step.notify, std::nullopt);
  // Skipping a level notifies only the worst one.
  step = evaluateBalance(step.state, Money::fromFen(-1), BalanceChange::Consumption, Thresholds);
  EXPECT_EQ(step.notify, BalanceLevel::Arrears);
  EXPECT_EQ(step.state.level, BalanceLevel::Arrears);
}

TEST(AlarmPolicy, HoveringAtAThresholdDoesNotFlap) {
  BalanceAlarmState state;
  int events = 0;
  // A balance wobbling around 50.00 yuan (corrections of small charges) without a recharge.
  for (const std::int64_t fen : {4999, 5001, 4998, 5050, 4999, 5099, 4990}) {
    const auto step =
        evaluateBalance(state, Money::fromFen(fen), BalanceChange::Consumption, Thresholds);
    events += step.notify ? 1 : 0;
    state = step.state;
    EXPECT_EQ(state.level, BalanceLevel::Alarm1) << fen;
  }
  EXPECT_EQ(events, 1);
  // Clearing the threshold by the hysteresis lifts the level, but does not re-arm the event.
  auto step = evaluateBalance(state, Money::fromFen(5100), BalanceChange::Consumption, Thresholds);
  EXPECT_EQ(step.state.level, BalanceLevel::Normal);
  step = evaluateBalance(step.state, Money::fromFen(4900), BalanceChange::Consumption, Thresholds);
  EXPECT_EQ(step.state.level, BalanceLevel::Alarm1);
  EXPECT_EQ(step.notify, std::nullopt);
}

TEST(AlarmPolicy, RechargeResetsNotifications) {
  BalanceAlarmState state{BalanceLevel::Arrears, BalanceLevel::Arrears};
  auto step = evaluateBalance(state, Money::fromFen(5001), BalanceChange::Recharge, Thresholds);
  EXPECT_EQ(step.state, (BalanceAlarmState{BalanceLevel::Normal, BalanceLevel::Normal}));
  EXPECT_EQ(step.notify, std::nullopt);
  step = evaluateBalance(step.state, Money::fromFen(4999), BalanceChange::Consumption, Thresholds);
  EXPECT_EQ(step.notify, BalanceLevel::Alarm1);
  // A small recharge that leaves the balance in alarm 2 re-arms from alarm 2.
  state = {BalanceLevel::Arrears, BalanceLevel::Arrears};
  step = evaluateBalance(state, Money::fromFen(500), BalanceChange::Recharge, Thresholds);
  EXPECT_EQ(step.state.level, BalanceLevel::Alarm2);
  step = evaluateBalance(step.state, Money::fromFen(-10), BalanceChange::Consumption, Thresholds);
  EXPECT_EQ(step.notify, BalanceLevel::Arrears);
}

TEST(AlarmPolicy, Overload) {
  auto step = evaluateOverload(false, 5000, 5000);
  EXPECT_FALSE(step.overloaded);
  step = evaluateOverload(false, 5001, 5000, 200);
  EXPECT_TRUE(step.overloaded);
  EXPECT_TRUE(step.raised);
  step = evaluateOverload(true, 4900, 5000, 200);
  EXPECT_TRUE(step.overloaded);
  EXPECT_FALSE(step.raised);
  step = evaluateOverload(true, 4800, 5000, 200);
  EXPECT_FALSE(step.overloaded);
  EXPECT_TRUE(step.cleared);
}

TEST(AlarmPolicy, LostContactAfterNFailures) {
  ContactState state;
  for (int i = 1; i <= 2; ++i) {
    const auto step = evaluateContact(state, ReadOutcome::Failure, 3);
    EXPECT_FALSE(step.state.lost);
    state = step.state;
  }
  auto step = evaluateContact(state, ReadOutcome::Failure, 3);
  EXPECT_TRUE(step.lostNow);
  step = evaluateContact(step.state, ReadOutcome::Failure, 3);
  EXPECT_TRUE(step.state.lost);
  EXPECT_FALSE(step.lostNow);
  step = evaluateContact(step.state, ReadOutcome::Success, 3);
  EXPECT_TRUE(step.restoredNow);
  EXPECT_EQ(step.state, ContactState{});
  EXPECT_TRUE(evaluateContact({}, ReadOutcome::Failure, 0).lostNow);
}

TEST(AlarmPolicy, PurchaseCountComparison) {
  EXPECT_EQ(checkPurchaseCount(5, 5), PurchaseCountCheck::Match);
  EXPECT_EQ(checkPurchaseCount(6, 5), PurchaseCountCheck::MeterBehind);
  EXPECT_EQ(checkPurchaseCount(5, 7), PurchaseCountCheck::MeterAhead);
}

}  // namespace
}  // namespace prepaid::domain
