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

TEST(KeyGrid, FillsTheBoxWhenKeysAreLargeEnough) {
  const auto grid = makeKeyGrid(12, 3, 840, 820, 14);
  EXPECT_EQ(grid.columns, 3);
  EXPECT_EQ(grid.rows, 4);
  EXPECT_FLOAT_EQ(grid.cellWidth, 270);   // (840 - 2 * 14) / 3
  EXPECT_FLOAT_EQ(grid.cellHeight, 194);  // floor((820 - 3 * 14) / 4)
  EXPECT_LE(grid.width(), 840);
  EXPECT_LE(grid.height(), 820);
}

TEST(KeyGrid, NarrowBoxesDropColumnsInsteadOfShrinkingKeysUnder64) {
  // The staff keyboard at 1366x768: 10 columns in 566 px would be 47 px keys.
  const auto grid = makeKeyGrid(40, 10, 566, 450, 10);
  EXPECT_LT(grid.columns, 10);
  EXPECT_GE(grid.cellWidth, MinTargetPx);
  EXPECT_GE(grid.cellHeight, MinTargetPx);
  EXPECT_LE(grid.width(), 566.5F);
  EXPECT_EQ(grid.rows, (40 + grid.columns - 1) / grid.columns);
}

TEST(KeyGrid, TightGapsComeBeforeFewerColumns) {
  // 10 keys of 64 px need 640 px plus gaps: a 3 px gap keeps all ten in a row.
  const auto grid = makeKeyGrid(10, 10, 670, 100, 12);
  EXPECT_EQ(grid.columns, 10);
  EXPECT_GE(grid.gap, 3.0F);
  EXPECT_GE(grid.cellWidth, MinTargetPx);
  EXPECT_LE(grid.width(), 670.5F);
}

TEST(KeyGrid, LowBoxesGrowTallerThanTheBoxButNeverBelow64) {
  const auto grid = makeKeyGrid(40, 10, 1000, 120, 14);
  EXPECT_EQ(grid.rows, 4);
  EXPECT_FLOAT_EQ(grid.cellHeight, MinTargetPx);
  EXPECT_GT(grid.height(), 120);  // the caller learns it needs more room
  EXPECT_GE(grid.rowGap, 14.0F / 4);
}

TEST(KeyGrid, DegenerateInputStaysSane) {
  const auto empty = makeKeyGrid(0, 3, 0, 0, 14);
  EXPECT_EQ(empty.columns, 1);
  EXPECT_EQ(empty.rows, 1);
  EXPECT_GE(empty.cellWidth, MinTargetPx);
  const auto many = makeKeyGrid(5, 0, 300, 300, 14);
  EXPECT_GE(many.columns, 1);
}

}  // namespace
}  // namespace prepaid::kiosk::ui
