#include "prepaid/kioskapp/frame_wait.hpp"

#include <gtest/gtest.h>

namespace prepaid::kiosk::app {
namespace {

using namespace std::chrono_literals;
using Time = std::chrono::steady_clock::time_point;

FrameWaitInputs at(Time now) {
  FrameWaitInputs inputs;
  inputs.now = now;
  return inputs;
}

const Time Now = Time{} + 1h;

TEST(FrameWait, SleepsUntilTheEarliestDeadline) {
  auto inputs = at(Now);
  inputs.sessionDue = Now + 1500ms;    // the order poll
  inputs.animationDue = Now + 1000ms;  // the countdown's next second
  EXPECT_EQ(frameWaitMs(inputs), 1000);
  inputs.animationDue = Time::max();
  EXPECT_EQ(frameWaitMs(inputs), 1500);
}

TEST(FrameWait, IdleKioskWakesForTheClockMinute) {
  auto inputs = at(Now);
  inputs.sessionDue = Now + 15s;  // health check
  inputs.untilNextMinute = 4000ms;
  EXPECT_EQ(frameWaitMs(inputs), 4000);
  inputs.untilNextMinute = 60000ms;
  EXPECT_EQ(frameWaitMs(inputs), 15000);
}

TEST(FrameWait, NothingDueSleepsAtMostTheCap) {
  auto inputs = at(Now);
  inputs.untilNextMinute = 10min;
  EXPECT_EQ(frameWaitMs(inputs), static_cast<int>(MaxFrameWait.count()));
}

TEST(FrameWait, PendingFramesOrFingerSamplesDoNotSleep) {
  auto inputs = at(Now);
  inputs.sessionDue = Now + 15s;
  inputs.renderPending = true;
  EXPECT_EQ(frameWaitMs(inputs), 0);
}

TEST(FrameWait, APassedDeadlineIsDueNow) {
  auto inputs = at(Now);
  inputs.sessionDue = Now;
  EXPECT_EQ(frameWaitMs(inputs), 0);
  inputs.sessionDue = Now - 5s;
  EXPECT_EQ(frameWaitMs(inputs), 0);
}

TEST(FrameWait, SubMillisecondDeadlineSleepsOneMillisecondNotZero) {
  auto inputs = at(Now);
  inputs.sessionDue = Now + 400us;
  EXPECT_EQ(frameWaitMs(inputs), 1);
  inputs.sessionDue = Now + 1001us;
  EXPECT_EQ(frameWaitMs(inputs), 2);
}

TEST(FrameWait, ClockMinuteBoundaryNeverZero) {
  auto inputs = at(Now);
  inputs.untilNextMinute = 0ms;
  EXPECT_EQ(frameWaitMs(inputs), 1);
}

}  // namespace
}  // namespace prepaid::kiosk::app
