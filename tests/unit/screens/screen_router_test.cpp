#include <functional>
#include <regex>

#include "headless.hpp"
#include <gtest/gtest.h>

#include "prepaid/screens/frame.hpp"

// Every screen and step, drawn headless at the four sizes the kiosk meets (portrait and
// landscape design sizes, an office PC's 1366x768, a 10" portrait tablet's 800x1280) in both
// languages: every touch target is at least 64 px, inside the window, and no two overlap; every
// text is inside the window; no text is a raw catalogue key.

namespace prepaid::kiosk {
namespace {

using namespace std::chrono_literals;
using Step = RechargeViewModel::Step;
using testing::Site;

struct Size {
  float width;
  float height;
};
constexpr Size Sizes[] = {{1080, 1920}, {1920, 1080}, {1366, 768}, {800, 1280}};

struct Scene {
  std::string name;
  std::function<void(Site&, testing::HeadlessUi&, Size)> setUp;
  Screen screen;
};

std::vector<Scene> scenes() {
  return {
      {"attract", [](Site&, testing::HeadlessUi&, Size) {}, Screen::Attract},
      {"identify", [](Site& s, testing::HeadlessUi&, Size) { s.session.startIdentify(); },
       Screen::Identify},
      {"identify-letters",
       [](Site& s, testing::HeadlessUi& ui, Size size) {
         s.session.startIdentify();
         ASSERT_TRUE(ui.tap(s.session, s.clock, size.width, size.height, "mode"));
       },
       Screen::Identify},
      {"identify-pin",
       [](Site& s, testing::HeadlessUi&, Size) {
         s.api.identifyResult = testing::account(false, true);
         s.identifyShop("A101");
       },
       Screen::Identify},
      {"account", [](Site& s, testing::HeadlessUi&, Size) { s.identified(); }, Screen::Account},
      {"account-offline",
       [](Site& s, testing::HeadlessUi&, Size) {
         s.identified();
         s.api.offline = true;
         s.advance(16s);
       },
       Screen::Account},
      {"usage",
       [](Site& s, testing::HeadlessUi&, Size) {
         s.identified();
         s.session.navigate(Screen::Usage);
         s.runner.settle();
       },
       Screen::Usage},
      {"alarms",
       [](Site& s, testing::HeadlessUi&, Size) {
         s.identified();
         s.session.navigate(Screen::Alarms);
       },
       Screen::Alarms},
      {"history",
       [](Site& s, testing::HeadlessUi&, Size) {
         s.identified();
         s.session.navigate(Screen::History);
       },
       Screen::History},
      {"recharge-choose", [](Site& s, testing::HeadlessUi&, Size) { s.recharge(Step::Choose); },
       Screen::Recharge},
      {"recharge-paper",
       [](Site& s, testing::HeadlessUi&, Size) { s.recharge(Step::PaperWarning); },
       Screen::Recharge},
      {"recharge-waiting", [](Site& s, testing::HeadlessUi&, Size) { s.recharge(Step::Waiting); },
       Screen::Recharge},
      {"recharge-code",
       [](Site& s, testing::HeadlessUi&, Size) {
         s.identified();
         s.session.navigate(Screen::Recharge);
         s.session.recharge().setChannel(PaymentChannel::Code);
         s.session.recharge().pay();
         s.runner.settle();
       },
       Screen::Recharge},
      {"recharge-crediting",
       [](Site& s, testing::HeadlessUi&, Size) { s.recharge(Step::Crediting); }, Screen::Recharge},
      {"recharge-done", [](Site& s, testing::HeadlessUi&, Size) { s.recharge(Step::Done); },
       Screen::Recharge},
      {"recharge-failed", [](Site& s, testing::HeadlessUi&, Size) { s.recharge(Step::Failed); },
       Screen::Recharge},
      {"maintenance-login",
       [](Site& s, testing::HeadlessUi&, Size) { s.session.openMaintenance(); },
       Screen::Maintenance},
      {"maintenance-panel",
       [](Site& s, testing::HeadlessUi&, Size) {
         s.session.openMaintenance();
         auto& vm = s.session.maintenance();
         for (char c : std::string("admin")) {
           vm.key(c);
         }
         vm.focus(MaintenanceViewModel::Field::Password);
         for (char c : std::string("secret1")) {
           vm.key(c);
         }
         vm.login();
         s.runner.settle();
         for (int i = 0; i < 3; ++i) {  // more audit entries than the panel has room for
           vm.testPrint();
           vm.refreshStatus();
           s.runner.settle();
         }
         ASSERT_EQ(vm.step(), MaintenanceViewModel::Step::Panel);
       },
       Screen::Maintenance},
  };
}

bool overlap(const ui::Painter::Target& a, const ui::Painter::Target& b) {
  constexpr float Slack = 0.5F;  // touching edges are fine
  return a.pos.x + a.size.x > b.pos.x + Slack && b.pos.x + b.size.x > a.pos.x + Slack &&
         a.pos.y + a.size.y > b.pos.y + Slack && b.pos.y + b.size.y > a.pos.y + Slack;
}

std::string describe(const ui::Painter::Target& t) {
  return t.id + " at (" + std::to_string(static_cast<int>(t.pos.x)) + "," +
         std::to_string(static_cast<int>(t.pos.y)) + ") " +
         std::to_string(static_cast<int>(t.size.x)) + "x" +
         std::to_string(static_cast<int>(t.size.y));
}

void checkTargets(const testing::Drawn& drawn, const std::string& where) {
  const float w = drawn.layout.width;
  const float h = drawn.layout.height;
  ASSERT_FALSE(drawn.targets.empty()) << where;
  for (std::size_t i = 0; i < drawn.targets.size(); ++i) {
    const auto& a = drawn.targets[i];
    EXPECT_GE(a.size.x, ui::MinTargetPx) << where << ": " << describe(a);
    EXPECT_GE(a.size.y, ui::MinTargetPx) << where << ": " << describe(a);
    EXPECT_TRUE(a.pos.x >= -0.5F && a.pos.y >= -0.5F && a.pos.x + a.size.x <= w + 0.5F &&
                a.pos.y + a.size.y <= h + 0.5F)
        << where << ": outside the " << w << "x" << h << " window: " << describe(a);
    for (std::size_t j = i + 1; j < drawn.targets.size(); ++j) {
      EXPECT_FALSE(overlap(a, drawn.targets[j]))
          << where << ": " << describe(a) << " overlaps " << describe(drawn.targets[j]);
    }
  }
}

class EveryScreen : public ::testing::TestWithParam<Size> {};

TEST_P(EveryScreen, TargetsAreTouchableInsideTheWindowAndApart) {
  const Size size = GetParam();
  const std::regex rawKey(R"(^[a-z_]+\.[a-z_0-9.]+$)");
  for (const auto language : {Language::ZhCn, Language::En}) {
    for (const auto& scene : scenes()) {
      testing::HeadlessUi ui;
      Site site;
      site.session.setLanguage(language);
      scene.setUp(site, ui, size);
      ASSERT_EQ(site.session.screen(), scene.screen) << scene.name;
      const auto drawn = ui.draw(site.session, site.clock, size.width, size.height);
      const std::string where = scene.name + " " + std::to_string(static_cast<int>(size.width)) +
                                "x" + std::to_string(static_cast<int>(size.height)) +
                                (language == Language::ZhCn ? " zh-CN" : " en");
      checkTargets(drawn, where);
      for (std::size_t i = 0; i < drawn.texts.size(); ++i) {
        const auto& text = drawn.texts[i];
        EXPECT_FALSE(std::regex_match(text, rawKey)) << where << ": raw key " << text;
        // Nothing runs off the screen (a list too long for a landscape screen did).
        const auto& box = drawn.textBoxes[i];
        EXPECT_TRUE(box.pos.x >= -0.5F && box.pos.y >= -0.5F &&
                    box.pos.x + box.size.x <= size.width + 0.5F &&
                    box.pos.y + box.size.y <= size.height + 0.5F)
            << where << ": text outside the window at (" << box.pos.x << "," << box.pos.y << ") "
            << box.size.x << "x" << box.size.y << ": " << text;
      }
      EXPECT_TRUE(ui.lastBuild) << ui.lastBuild.error();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, EveryScreen, ::testing::ValuesIn(Sizes),
                         [](const ::testing::TestParamInfo<Size>& param) {
                           return std::to_string(static_cast<int>(param.param.width)) + "x" +
                                  std::to_string(static_cast<int>(param.param.height));
                         });

TEST(ScreenRouter, RecognisableStepsAreDrawn) {
  testing::HeadlessUi ui;
  Site site;
  site.recharge(Step::Waiting);
  ASSERT_EQ(site.session.recharge().step(), Step::Waiting);
  const auto waiting = ui.draw(site.session, site.clock, 1080, 1920);
  EXPECT_TRUE(waiting.showsText("剩余 180 秒"));
  EXPECT_TRUE(waiting.animating);  // the countdown redraws every second
  EXPECT_NE(waiting.target("cancelpay"), nullptr);
}

TEST(ScreenRouter, ANeverSeenTenantNameIsInTheAtlasOfThePresentedFrame) {
  testing::HeadlessUi ui;
  Site site;
  (void)ui.draw(site.session, site.clock, 1080, 1920);
  const int buildsBefore = ui.builds;
  EXPECT_EQ(ui.fonts().large->FindGlyphNoFallback(U'龘'), nullptr);
  site.identified();
  const auto account = ui.draw(site.session, site.clock, 1080, 1920);
  EXPECT_TRUE(account.showsText("龘*"));
  EXPECT_GT(ui.builds, buildsBefore);  // rebuilt before the frame was presented
  EXPECT_NE(ui.fonts().large->FindGlyphNoFallback(U'龘'), nullptr);
  EXPECT_TRUE(ui.fonts().missing().empty());
}

TEST(ScreenRouter, TapsReachTheViewModels) {
  testing::HeadlessUi ui;
  Site site;
  ASSERT_TRUE(ui.tap(site.session, site.clock, 1366, 768, "start"));
  EXPECT_EQ(site.session.screen(), Screen::Identify);
  for (const char* key : {"digits:1", "digits:0", "digits:2"}) {
    ASSERT_TRUE(ui.tap(site.session, site.clock, 1366, 768, key)) << key;
  }
  EXPECT_EQ(site.session.identify().display(), "102");
  ASSERT_TRUE(ui.tap(site.session, site.clock, 1366, 768, "lang"));
  EXPECT_EQ(site.session.language(), Language::En);
}

}  // namespace
}  // namespace prepaid::kiosk
