#include "prepaid/viewmodels/corner_long_press.hpp"

#include <gtest/gtest.h>

namespace prepaid::kiosk {
namespace {

using namespace std::chrono_literals;
const auto T0 = std::chrono::steady_clock::time_point{} + 1h;

TEST(CornerLongPress, HoldInCornerTriggersOnce) {
  CornerLongPress g(3000ms);
  g.press(10, 10, 1080, 1920, T0);
  EXPECT_FALSE(g.poll(T0 + 2999ms));
  EXPECT_TRUE(g.poll(T0 + 3000ms));
  EXPECT_FALSE(g.poll(T0 + 4000ms));
}

TEST(CornerLongPress, ReleaseOrLeavingCancels) {
  CornerLongPress g(3000ms);
  g.press(10, 10, 1080, 1920, T0);
  g.release();
  EXPECT_FALSE(g.poll(T0 + 5s));
  g.press(10, 10, 1080, 1920, T0);
  g.move(500, 500, 1080, 1920);
  EXPECT_FALSE(g.poll(T0 + 5s));
}

TEST(CornerLongPress, PressOutsideTheCornerNeverTriggers) {
  CornerLongPress g(3000ms);
  g.press(540, 960, 1080, 1920, T0);
  EXPECT_FALSE(g.deadline());
  EXPECT_FALSE(g.poll(T0 + 10s));
}

}  // namespace
}  // namespace prepaid::kiosk
