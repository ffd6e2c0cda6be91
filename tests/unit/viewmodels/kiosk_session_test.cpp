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

// The 10 s after a finished recharge count from when it finished, not from the tenant's last
// touch (found by the e2e run on the demo site: a credit-pending screen reached 60 s after "pay"
// went back to attract at once, unseen).
TEST(KioskSession, CreditPendingScreenStaysTenSecondsAfterItAppears) {
  Harness h;
  h.identifyShop("A101");
  h.session.navigate(Screen::Recharge);
  h.session.recharge().choosePreset(10000);
  h.session.recharge().pay();
  h.runner.settle();
  h.api.orderScript = {testing::order(OrderState::Crediting)};
  h.advance(2s);
  h.advance(30s);
  h.advance(31s);
  ASSERT_EQ(h.session.recharge().step(), RechargeViewModel::Step::CreditPending);
  ASSERT_TRUE(h.session.recharge().finishedAt().has_value());
  h.advance(1s);
  EXPECT_EQ(h.session.screen(), Screen::Recharge);
  EXPECT_GE(h.session.idleSecondsLeft(h.clock), 8);
  h.advance(8s);
  EXPECT_EQ(h.session.screen(), Screen::Recharge);
  h.advance(2s);
  EXPECT_EQ(h.session.screen(), Screen::Attract);
  EXPECT_FALSE(h.session.hasTenant());
}

TEST(KioskSession, SuccessAfterASlowPaymentStaysTenSeconds) {
  Harness h;
  h.identifyShop("A101");
  h.session.navigate(Screen::Recharge);
  h.session.recharge().choosePreset(10000);
  h.session.recharge().pay();
  h.runner.settle();
  h.api.orderScript = {testing::order(OrderState::Pending)};
  for (int i = 0; i < 20; ++i) {  // the customer takes 40 s to pay on the phone
    h.advance(2s);
  }
  h.api.orderScript = {testing::order(OrderState::Credited)};
  h.advance(2s);
  ASSERT_EQ(h.session.recharge().step(), RechargeViewModel::Step::Done);
  const auto wake = h.session.nextWake(h.clock);
  EXPECT_GT(wake, h.clock + 9s);  // the loop sleeps until the 10 s are over, not at once
  h.advance(9s);
  EXPECT_EQ(h.session.screen(), Screen::Recharge);
  h.advance(2s);
  EXPECT_EQ(h.session.screen(), Screen::Attract);
}

TEST(KioskSession, NoSpinWhilePayingPastTheIdleDeadline) {
  // 60 s after the last touch while a QR payment waits: the idle timeout does not apply, so
  // the next wake must still lie ahead (it used to be "now": the frame loop spun).
  Harness h;
  h.identifyShop("A101");
  h.session.navigate(Screen::Recharge);
  h.session.recharge().pay();
  h.runner.settle();
  ASSERT_EQ(h.session.recharge().step(), RechargeViewModel::Step::Waiting);
  for (int i = 0; i < 40; ++i) {
    h.advance(2s);  // 80 s without input
    const auto wake = h.session.nextWake(h.clock);
    EXPECT_GT(wake, h.clock) << "after " << (i + 1) * 2 << " s";
    EXPECT_LE(wake, h.clock + RechargeViewModel::PollInterval);
  }
  // No "returning to attract" countdown while paying.
  EXPECT_GT(h.session.idleSecondsLeft(h.clock), 15);
}

TEST(KioskSession, NoSpinWhileAHealthCheckIsOut) {
  Harness h;
  h.advance(1s);
  h.clock += KioskSession::OnlineHealthInterval + 1s;
  h.session.tick(h.clock);  // the health check goes out; no answer yet
  ASSERT_EQ(h.runner.queued(), 1U);
  EXPECT_GT(h.session.nextWake(h.clock), h.clock);
  h.runner.settle();  // the answer: next check in 15 s
  EXPECT_EQ(h.session.nextWake(h.clock), h.clock + KioskSession::OnlineHealthInterval);
}

TEST(KioskSession, TenantLanguageLastsOneVisit) {
  Harness h;
  h.identifyShop("A101");
  h.session.toggleLanguage();
  EXPECT_EQ(h.session.language(), Language::En);
  EXPECT_EQ(h.session.settings().language, Language::ZhCn);  // the stored default is untouched
  h.session.goAttract();
  EXPECT_EQ(h.session.language(), Language::ZhCn);
}

TEST(KioskSession, MaintenanceSaveStoresTheDefaultNotTheTenantsChoice) {
  Harness h;
  h.session.toggleLanguage();  // a tenant switched to English
  std::optional<KioskSettings> saved;
  h.session.maintenance().onSettingsSaved = [&](const KioskSettings& s) { saved = s; };
  h.session.openMaintenance();  // attract first: back to the default
  EXPECT_EQ(h.session.language(), Language::ZhCn);
  for (char c : std::string("admin")) {
    h.session.maintenance().key(c);
  }
  h.session.maintenance().focus(MaintenanceViewModel::Field::Password);
  for (char c : std::string("secret1")) {
    h.session.maintenance().key(c);
  }
  h.session.maintenance().login();
  h.runner.settle();
  h.session.maintenance().saveSettings();
  ASSERT_TRUE(saved);
  EXPECT_EQ(saved->language, Language::ZhCn);
}

TEST(KioskSession, InvalidUtf8CardScanIsRefusedAndNeverStuck) {
  Harness h;
  h.session.codeScanned(
      std::string("\xFF\xFE"
                  "card",
                  6));
  h.runner.settle();
  EXPECT_EQ(h.session.screen(), Screen::Identify);
  EXPECT_TRUE(h.api.identifyCalls.empty());
  EXPECT_FALSE(h.session.identify().busy());
  EXPECT_EQ(h.session.identify().message().key, "scan.unreadable");
}

TEST(KioskSession, WorkerExceptionLeavesIdentifyWithAnError) {
  Harness h;
  std::vector<std::string> reported;
  h.runner.setErrorReporter([&](const std::string& e) { reported.push_back(e); });
  h.api.throwOnIdentify = true;
  h.identifyShop("A101");
  EXPECT_FALSE(h.session.identify().busy());
  EXPECT_EQ(h.session.identify().message().key, "error.generic");
  ASSERT_EQ(reported.size(), 1U);
  EXPECT_NE(reported[0].find("invalid UTF-8"), std::string::npos);
  // The keypad works again.
  h.api.throwOnIdentify = false;
  h.session.identify().submit();
  h.runner.settle();
  EXPECT_EQ(h.session.screen(), Screen::Account);
}

}  // namespace
}  // namespace prepaid::kiosk
