#include "prepaid/screens/scroll_list.hpp"

#include "headless.hpp"
#include <gtest/gtest.h>

// Lists longer than the screen page with touch buttons instead of dropping rows.

namespace prepaid::kiosk {
namespace {

using testing::Site;

TEST(ScrollList, LongHistoryPagesWithButtons) {
  testing::HeadlessUi ui;
  Site site;
  site.identified();
  site.session.navigate(Screen::History);
  const auto first = ui.draw(site.session, site.clock, 1366, 768);
  ASSERT_NE(first.target("historyup"), nullptr);
  ASSERT_NE(first.target("historydown"), nullptr);
  EXPECT_FALSE(first.require("historyup").enabled);  // already at the top
  EXPECT_TRUE(first.require("historydown").enabled);
  EXPECT_TRUE(first.showsText("¥ 100.00"));   // the first recharge (entry 100)
  EXPECT_FALSE(first.showsText("¥ 113.00"));  // the 14th does not fit
  ASSERT_TRUE(ui.tap(site.session, site.clock, 1366, 768, "historydown"));
  const auto second = ui.draw(site.session, site.clock, 1366, 768);
  EXPECT_FALSE(second.showsText("¥ 100.00"));
  EXPECT_TRUE(second.require("historyup").enabled);
  // Page on until the last row shows; then "next" is disabled.
  for (int i = 0;
       i < 14 && ui.draw(site.session, site.clock, 1366, 768).require("historydown").enabled; ++i) {
    ASSERT_TRUE(ui.tap(site.session, site.clock, 1366, 768, "historydown"));
  }
  const auto last = ui.draw(site.session, site.clock, 1366, 768);
  EXPECT_TRUE(last.showsText("¥ 113.00"));
  EXPECT_FALSE(last.require("historydown").enabled);
  ASSERT_TRUE(ui.tap(site.session, site.clock, 1366, 768, "historyup"));
  EXPECT_TRUE(ui.draw(site.session, site.clock, 1366, 768).require("historydown").enabled);
}

TEST(ScrollList, ShortListsHaveNoPageButtons) {
  testing::HeadlessUi ui;
  Site site;
  site.api.alarmsResult.resize(2);
  site.identified();
  site.session.navigate(Screen::Alarms);
  const auto drawn = ui.draw(site.session, site.clock, 1080, 1920);
  EXPECT_EQ(drawn.target("alarmsup"), nullptr);
  EXPECT_EQ(drawn.target("alarmsdown"), nullptr);
}

}  // namespace
}  // namespace prepaid::kiosk
