#include "prepaid/ui/layout.hpp"

#include <gtest/gtest.h>

namespace prepaid::kiosk::ui {
namespace {

TEST(Layout, DesignSizesHaveScaleOne) {
  const auto portrait = makeLayout(1080, 1920);
  EXPECT_TRUE(portrait.portrait);
  EXPECT_FLOAT_EQ(portrait.scale, 1.0F);
  const auto landscape = makeLayout(1920, 1080);
  EXPECT_FALSE(landscape.portrait);
  EXPECT_FLOAT_EQ(landscape.scale, 1.0F);
}

TEST(Layout, OtherSizesScaleAndTargetsStayTouchable) {
  const auto small = makeLayout(540, 960);
  EXPECT_FLOAT_EQ(small.scale, 0.5F);
  EXPECT_FLOAT_EQ(small.px(100), 50.0F);
  EXPECT_FLOAT_EQ(small.target(100), 64.0F);  // never below 64 px
  const auto big = makeLayout(2160, 3840);
  EXPECT_FLOAT_EQ(big.target(100), 200.0F);
  const auto wide = makeLayout(1366, 768);
  EXPECT_FALSE(wide.portrait);
  EXPECT_NEAR(wide.scale, 0.711F, 0.001F);
}

}  // namespace
}  // namespace prepaid::kiosk::ui
