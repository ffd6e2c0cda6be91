#include "prepaid/viewmodels/kiosk_session.hpp"

#include "fakes.hpp"
#include <gtest/gtest.h>

namespace prepaid::kiosk {
namespace {

using namespace std::chrono_literals;
using testing::Harness;

TEST(KioskSession, StartsOnAttractInChinese) {
  Harness h;
  EXPECT_EQ(h.session.screen(), Screen::Attract);
  EXPECT_EQ(h.session.language(), Language::ZhCn);
  h.session.toggleLanguage();
  EXPECT_EQ(h.session.language(), Language::En);
}

TEST(KioskSession, IdleTimeoutReturnsToAttractAndClearsTheTenant) {
  Harness h;
  h.identifyShop("A101");
  ASSERT_TRUE(h.session.hasTenant());
  h.advance(59s);
  EXPECT_EQ(h.session.screen(), Screen::Account);
  h.session.onInput(h.clock);
  h.advance(59s);
  EXPECT_EQ(h.session.screen(), Screen::Account);
  h.advance(2s);
  EXPECT_EQ(h.session.screen(), Screen::Attract);
  EXPECT_FALSE(h.session.hasTenant());
  EXPECT_TRUE(h.session.tenant().account.shopNumber.empty());
  EXPECT_TRUE(h.session.tenant().account.tenantToken.empty());
  EXPECT_TRUE(h.session.account().cards().empty());
}

TEST(KioskSession, OfflineBannerComesAndGoesByItself) {
  Harness h;
  h.advance(1s);
  EXPECT_TRUE(h.session.online());
  h.api.offline = true;
  h.advance(16s);
  EXPECT_FALSE(h.session.online());
  const int calls = h.api.healthCalls;
  h.advance(4s);
  EXPECT_GT(h.api.healthCalls, calls);  // checks again soon while offline
  h.api.offline = false;
  h.advance(4s);
  EXPECT_TRUE(h.session.online());
}

TEST(KioskSession, NextWakeIsBoundedByIdleAndHealth) {
  Harness h;
  h.advance(1s);
  const auto wake = h.session.nextWake(h.clock);
  EXPECT_GT(wake, h.clock);
  EXPECT_LE(wake, h.clock + KioskSession::OnlineHealthInterval);
}

TEST(KioskSession, ScanOnAttractStartsIdentification) {
  Harness h;
  h.session.codeScanned("CARDTOKEN0123456789");
  EXPECT_EQ(h.session.screen(), Screen::Identify);
  h.runner.settle();
  EXPECT_EQ(h.session.screen(), Screen::Account);
}

}  // namespace
}  // namespace prepaid::kiosk
