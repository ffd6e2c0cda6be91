#include "prepaid/collect/pass_tracker.hpp"

#include <gtest/gtest.h>

namespace prepaid::backend::collect {
namespace {

using namespace std::chrono_literals;

const SteadyTime T0{std::chrono::hours(1)};

class PassTrackerTest : public ::testing::Test {
 protected:
  // One poll of `meter` taking 100 ms, starting `at` after T0.
  bool poll(store::MeterId meter, PollKind kind, std::chrono::milliseconds at,
            const std::set<store::MeterId>& good) {
    return tracker.recordPoll(meter, kind, T0 + at, T0 + at + 100ms, good);
  }
  PassTracker tracker;
  const std::set<store::MeterId> all{1, 2, 3};
};

TEST_F(PassTrackerTest, APassEndsWhenEveryMeterInGoodStandingWasAttempted) {
  EXPECT_FALSE(poll(1, PollKind::Scheduled, 0ms, all));
  EXPECT_TRUE(tracker.passOpen());
  EXPECT_FALSE(poll(2, PollKind::Scheduled, 100ms, all));
  EXPECT_EQ(tracker.stats().passes, 0);
  EXPECT_TRUE(poll(3, PollKind::Scheduled, 250ms, all));
  EXPECT_FALSE(tracker.passOpen());
  EXPECT_EQ(tracker.stats().passes, 1);
  EXPECT_EQ(tracker.stats().lastDuration, 350ms);  // first start to last end, gaps included
  EXPECT_EQ(tracker.stats().lastBusy, 300ms);
  EXPECT_EQ(tracker.stats().lastMeters, 3);

  // The next round: a second pass, its own duration.
  EXPECT_FALSE(poll(2, PollKind::Scheduled, 1000ms, all));
  EXPECT_FALSE(poll(1, PollKind::Scheduled, 1100ms, all));
  EXPECT_TRUE(poll(3, PollKind::Scheduled, 1200ms, all));
  EXPECT_EQ(tracker.stats().passes, 2);
  EXPECT_EQ(tracker.stats().lastDuration, 300ms);
}

TEST_F(PassTrackerTest, RetriesReadNowAndProbesDoNotOpenAPassButRetriesCount) {
  EXPECT_FALSE(poll(1, PollKind::Retry, 0ms, all));
  EXPECT_FALSE(poll(2, PollKind::ReadNow, 100ms, all));
  EXPECT_FALSE(poll(3, PollKind::Probe, 200ms, all));
  EXPECT_FALSE(tracker.passOpen());
  EXPECT_EQ(tracker.stats().passes, 0);

  EXPECT_FALSE(poll(1, PollKind::Scheduled, 1000ms, all));
  EXPECT_FALSE(poll(2, PollKind::Retry, 1100ms, all));
  EXPECT_TRUE(poll(3, PollKind::ReadNow, 1200ms, all));
  EXPECT_EQ(tracker.stats().passes, 1);
  EXPECT_EQ(tracker.stats().lastDuration, 300ms);
}

TEST_F(PassTrackerTest, RepeatedPollsOfOneMeterDoNotCompleteAPass) {
  EXPECT_FALSE(poll(1, PollKind::Scheduled, 0ms, all));
  EXPECT_FALSE(poll(1, PollKind::Retry, 100ms, all));
  EXPECT_FALSE(poll(2, PollKind::Scheduled, 200ms, all));
  EXPECT_TRUE(tracker.passOpen());
  EXPECT_EQ(tracker.stats().passes, 0);
  EXPECT_TRUE(poll(3, PollKind::Scheduled, 300ms, all));
  EXPECT_EQ(tracker.stats().lastMeters, 3);
}

TEST_F(PassTrackerTest, LostAndRemovedMetersAreNotWaitedForAndNewOnesNotRequired) {
  // Meter 3 is lost from the start: not part of the pass.
  const std::set<store::MeterId> twoGood{1, 2};
  EXPECT_FALSE(poll(1, PollKind::Scheduled, 0ms, twoGood));
  // A meter added during the pass (4) is not required; meter 2 is removed from the bus.
  EXPECT_TRUE(poll(4, PollKind::Scheduled, 100ms, {1, 4}));
  EXPECT_EQ(tracker.stats().passes, 1);
  EXPECT_EQ(tracker.stats().lastMeters, 2);

  // A lost meter cannot open a pass.
  EXPECT_FALSE(poll(3, PollKind::Scheduled, 1000ms, twoGood));
  EXPECT_FALSE(tracker.passOpen());
}

TEST_F(PassTrackerTest, AProbeOrAbandonDropsTheOpenPass) {
  EXPECT_FALSE(poll(1, PollKind::Scheduled, 0ms, all));
  EXPECT_FALSE(poll(2, PollKind::Probe, 100ms, all));
  EXPECT_FALSE(tracker.passOpen());
  EXPECT_FALSE(poll(3, PollKind::Scheduled, 200ms, all));
  tracker.abandon();
  EXPECT_FALSE(tracker.passOpen());
  EXPECT_FALSE(poll(1, PollKind::Scheduled, 300ms, all));
  EXPECT_FALSE(poll(2, PollKind::Scheduled, 400ms, all));
  EXPECT_TRUE(poll(3, PollKind::Scheduled, 500ms, all));
  EXPECT_EQ(tracker.stats().passes, 1);
  EXPECT_EQ(tracker.stats().lastDuration, 300ms);
}

}  // namespace
}  // namespace prepaid::backend::collect
