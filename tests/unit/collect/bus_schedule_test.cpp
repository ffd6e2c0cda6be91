#include "prepaid/collect/bus_schedule.hpp"

#include <gtest/gtest.h>

namespace prepaid::backend::collect {
namespace {

using namespace std::chrono_literals;

ScheduleParameters params() {
  ScheduleParameters p;
  p.interval = 10s;
  p.lostAfter = 3;
  p.retryBase = 1s;
  p.maxBackoff = 60s;
  return p;
}

class BusScheduleTest : public ::testing::Test {
 protected:
  SteadyTime t0 = SteadyTime{} + 1000s;
  BusSchedule schedule{params()};
  void SetUp() override { schedule.setMeters({{1, false}, {2, false}, {3, false}}, t0); }
};

TEST_F(BusScheduleTest, NewMetersAreDueAtOnceAndThenOncePerInterval) {
  ASSERT_EQ(schedule.nextDue(t0), 1);
  schedule.recordSuccess(1, t0);
  EXPECT_EQ(schedule.nextDue(t0), 2);
  schedule.recordSuccess(2, t0);
  schedule.recordSuccess(3, t0);
  EXPECT_FALSE(schedule.nextDue(t0 + 9s).has_value());
  EXPECT_EQ(schedule.nextWake(), t0 + 10s);
  EXPECT_EQ(schedule.nextDue(t0 + 10s), 1);
}

TEST_F(BusScheduleTest, CadenceIsKeptWhenAPollIsLate) {
  schedule.recordSuccess(1, t0 + 2s);  // due t0, polled late
  schedule.recordSuccess(2, t0);
  schedule.recordSuccess(3, t0);
  EXPECT_EQ(schedule.nextWake(), t0 + 10s);
}

TEST_F(BusScheduleTest, FailedMeterBacksOffAndIsLostAfterN) {
  for (auto id : {2, 3}) {
    schedule.recordSuccess(id, t0);
  }
  auto outcome = schedule.recordFailure(1, FailureKind::Meter, t0);
  EXPECT_EQ(outcome.meter, LinkChange::None);
  EXPECT_FALSE(schedule.nextDue(t0 + 999ms).has_value());
  EXPECT_EQ(schedule.nextDue(t0 + 1s), 1);  // retry base
  outcome = schedule.recordFailure(1, FailureKind::Meter, t0 + 1s);
  EXPECT_EQ(schedule.dueAt(1), t0 + 3s);  // 2 s backoff
  outcome = schedule.recordFailure(1, FailureKind::Meter, t0 + 3s);
  EXPECT_EQ(outcome.meter, LinkChange::Lost);
  EXPECT_TRUE(schedule.meterLost(1));
  EXPECT_EQ(outcome.gateway, LinkChange::None);  // the others answer
  // Lost: once per interval, doubling.
  EXPECT_EQ(schedule.dueAt(1), t0 + 13s);
  schedule.recordFailure(1, FailureKind::Meter, t0 + 13s);
  EXPECT_EQ(schedule.dueAt(1), t0 + 33s);
  const auto back = schedule.recordSuccess(1, t0 + 33s);
  EXPECT_EQ(back.meter, LinkChange::Recovered);
  EXPECT_FALSE(schedule.meterLost(1));
  EXPECT_EQ(schedule.consecutiveFailures(1), 0);
}

TEST_F(BusScheduleTest, LostMeterBackoffIsCapped) {
  for (int i = 0; i < 20; ++i) {
    schedule.recordFailure(1, FailureKind::Meter, t0);
    schedule.recordSuccess(2, t0);  // keep the gateway alive
  }
  EXPECT_TRUE(schedule.meterLost(1));
  EXPECT_EQ(schedule.dueAt(1), t0 + 60s);  // capped at maxBackoff
}

TEST_F(BusScheduleTest, GatewayLostAfterRepeatedConnectionFailuresAndProbedUntilBack) {
  PollOutcome outcome;
  for (int i = 0; i < 3; ++i) {
    outcome =
        schedule.recordFailure(static_cast<store::MeterId>(i % 3 + 1), FailureKind::Connection, t0);
  }
  EXPECT_EQ(outcome.gateway, LinkChange::Lost);
  EXPECT_TRUE(schedule.gatewayLost());
  EXPECT_EQ(schedule.consecutiveFailures(1), 0);  // connection failures are not the meter's
  EXPECT_FALSE(schedule.nextDue(t0).has_value());
  const auto probe = schedule.nextDue(t0 + 1s);
  ASSERT_TRUE(probe.has_value());
  schedule.recordFailure(*probe, FailureKind::Connection, t0 + 1s);
  EXPECT_FALSE(schedule.nextDue(t0 + 2s).has_value());  // backed off
  const auto next = schedule.nextWake();
  const auto back = schedule.recordSuccess(*schedule.nextDue(next), next);
  EXPECT_EQ(back.gateway, LinkChange::Recovered);
  // Every meter due again at once.
  int due = 0;
  while (auto id = schedule.nextDue(next)) {
    schedule.recordSuccess(*id, next);
    ++due;
  }
  EXPECT_EQ(due, 2);
}

TEST_F(BusScheduleTest, GatewayLostWhenEveryMeterStopsAnswering) {
  PollOutcome outcome;
  outcome = schedule.recordFailure(1, FailureKind::Meter, t0);
  outcome = schedule.recordFailure(2, FailureKind::Meter, t0);
  EXPECT_EQ(outcome.gateway, LinkChange::None);
  outcome = schedule.recordFailure(3, FailureKind::Meter, t0);
  EXPECT_EQ(outcome.gateway, LinkChange::Lost);
}

TEST_F(BusScheduleTest, OneDeadMeterAmongLiveOnesNeverLosesTheGateway) {
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(schedule.recordFailure(1, FailureKind::Meter, t0).gateway, LinkChange::None);
    schedule.recordSuccess(2, t0);
  }
  EXPECT_FALSE(schedule.gatewayLost());
}

TEST_F(BusScheduleTest, ReadNowAndShorterIntervalPullPollsIn) {
  for (auto id : {1, 2, 3}) {
    schedule.recordSuccess(id, t0);
  }
  schedule.makeDue(2, t0 + 1s);
  EXPECT_EQ(schedule.nextDue(t0 + 1s), 2);
  schedule.recordSuccess(2, t0 + 1s);
  auto p = params();
  p.interval = 2s;
  schedule.setParameters(p, t0 + 1s);
  EXPECT_LE(schedule.nextWake(), t0 + 3s);
}

TEST_F(BusScheduleTest, RestartKeepsRecordedLostStateAndNewMetersAppear) {
  BusSchedule restarted{params()};
  restarted.setMeters({{1, true}, {2, false}}, t0);
  EXPECT_TRUE(restarted.meterLost(1));
  const auto outcome = restarted.recordFailure(1, FailureKind::Meter, t0);
  EXPECT_EQ(outcome.meter, LinkChange::None);  // not raised again
  restarted.setMeters({{1, true}, {2, false}, {5, false}}, t0);
  EXPECT_EQ(restarted.meterCount(), 3U);
}

TEST_F(BusScheduleTest, AnsweredCommandRestoresAMeterWithoutMovingItsPoll) {
  for (int i = 0; i < 3; ++i) {
    schedule.recordFailure(1, FailureKind::Meter, t0);
    schedule.recordSuccess(2, t0);
  }
  ASSERT_TRUE(schedule.meterLost(1));
  const auto outcome = schedule.noteAnswered(1, t0 + 1s);
  EXPECT_EQ(outcome.meter, LinkChange::Recovered);
  EXPECT_EQ(schedule.dueAt(1), t0 + 1s);
}

}  // namespace
}  // namespace prepaid::backend::collect
