#include "prepaid/viewmodels/maintenance_view_model.hpp"

#include "fakes.hpp"
#include <gtest/gtest.h>

namespace prepaid::kiosk {
namespace {

using testing::Harness;

void type(MaintenanceViewModel& vm, const std::string& text) {
  for (char c : text) {
    vm.key(c);
  }
}

void logIn(Harness& h) {
  h.session.openMaintenance();
  auto& vm = h.session.maintenance();
  vm.focus(MaintenanceViewModel::Field::Username);
  type(vm, "admin");
  vm.focus(MaintenanceViewModel::Field::Password);
  type(vm, "secret1");
  EXPECT_EQ(vm.passwordMask(), "*******");
  vm.login();
  h.runner.settle();
}

TEST(MaintenanceViewModel, WrongPasswordStaysOnLogin) {
  Harness h;
  h.session.openMaintenance();
  auto& vm = h.session.maintenance();
  type(vm, "admin");
  vm.focus(MaintenanceViewModel::Field::Password);
  type(vm, "nope");
  vm.login();
  h.runner.settle();
  EXPECT_EQ(vm.step(), MaintenanceViewModel::Step::Login);
  EXPECT_EQ(vm.message().key, "maintenance.login_failed");
  EXPECT_TRUE(h.api.audits.empty());
}

TEST(MaintenanceViewModel, LoginShowsDeviceStatusAndAudits) {
  Harness h;
  logIn(h);
  auto& vm = h.session.maintenance();
  EXPECT_EQ(vm.step(), MaintenanceViewModel::Step::Panel);
  EXPECT_EQ(vm.backendStatus().key, "maintenance.status.backend_ok");
  ASSERT_EQ(vm.backendStatus().args.size(), 3U);
  EXPECT_EQ(vm.backendStatus().args[0], "3");
  EXPECT_EQ(vm.backendStatus().args[1], "0.1.0");
  EXPECT_EQ(vm.printerStatus(), (Message{"maintenance.status.paper_ok", {}}));
  EXPECT_EQ(h.api.audits.front(), "staff-token kiosk.maintenance.enter");
  ASSERT_EQ(vm.auditLog().size(), 1U);
  EXPECT_EQ(vm.auditLog().front(), (Message{"maintenance.audit.ok", {"kiosk.maintenance.enter"}}));
}

TEST(MaintenanceViewModel, StatusAndAuditAreCatalogueMessages) {
  Harness h;
  logIn(h);
  auto& vm = h.session.maintenance();
  h.printer.paper = devices::PaperStatus::NearEnd;
  vm.refreshStatus();
  EXPECT_EQ(vm.backendStatus(), (Message{"maintenance.status.checking", {}}));
  EXPECT_EQ(vm.printerStatus(), (Message{"maintenance.status.checking", {}}));
  h.runner.settle();
  EXPECT_EQ(vm.printerStatus(), (Message{"maintenance.status.paper_near_end", {}}));
  h.printer.paper = devices::PaperStatus::Out;
  vm.refreshStatus();
  h.runner.settle();
  EXPECT_EQ(vm.printerStatus(), (Message{"maintenance.status.paper_out", {}}));
  h.printer.paper = devices::PaperStatus::Unknown;
  vm.refreshStatus();
  h.runner.settle();
  EXPECT_EQ(vm.printerStatus(), (Message{"maintenance.status.paper_unknown", {}}));
  h.printer.paperError = devices::PrinterError{devices::PrinterErrorCode::WriteFailed, "jammed"};
  vm.refreshStatus();
  h.runner.settle();
  EXPECT_EQ(vm.printerStatus(), (Message{"maintenance.status.printer_error", {"jammed"}}));

  h.api.offline = true;
  vm.refreshStatus();
  h.runner.settle();
  EXPECT_EQ(vm.backendStatus().key, "maintenance.status.backend_error");
  ASSERT_EQ(vm.backendStatus().args.size(), 1U);
  EXPECT_FALSE(vm.backendStatus().args[0].empty());

  h.api.auditOffline = true;
  vm.testPrint();
  EXPECT_EQ(vm.auditLog().front(), (Message{"maintenance.audit.sending", {"kiosk.printer.test"}}));
  h.runner.settle();
  EXPECT_EQ(vm.auditLog().front().key, "maintenance.audit.failed");
  ASSERT_EQ(vm.auditLog().front().args.size(), 2U);
  EXPECT_EQ(vm.auditLog().front().args[0], "kiosk.printer.test");
  EXPECT_EQ(vm.auditLog().back(), (Message{"maintenance.audit.ok", {"kiosk.maintenance.enter"}}));
}

TEST(MaintenanceViewModel, TestPrintAndScannerLiveTest) {
  Harness h;
  logIn(h);
  auto& vm = h.session.maintenance();
  vm.testPrint();
  h.runner.settle();
  ASSERT_EQ(h.printer.printed.size(), 1U);
  EXPECT_TRUE(testing::docContains(h.printer.printed[0], "Test print"));
  h.session.codeScanned("HELLO123");
  EXPECT_EQ(vm.lastScan(), "HELLO123");
  EXPECT_EQ(h.api.audits.back(), "staff-token kiosk.printer.test");
}

TEST(MaintenanceViewModel, SettingsAreSavedAppliedAndAudited) {
  Harness h;
  logIn(h);
  auto& vm = h.session.maintenance();
  std::optional<KioskSettings> saved;
  vm.onSettingsSaved = [&](const KioskSettings& s) { saved = s; };
  vm.focus(MaintenanceViewModel::Field::BackendUrl);
  for (int i = 0; i < 200; ++i) {
    vm.backspace();
  }
  type(vm, "http://10.0.0.2:8080");
  vm.adjustIdleTimeout(30);
  vm.adjustIdleTimeout(-1000);  // clamped
  vm.adjustIdleTimeout(70);
  vm.toggleLanguage();
  vm.saveSettings();
  h.runner.settle();
  ASSERT_TRUE(saved);
  EXPECT_EQ(saved->backendUrl, "http://10.0.0.2:8080");
  EXPECT_EQ(saved->idleTimeout, std::chrono::seconds(90));
  EXPECT_EQ(h.session.language(), Language::En);
  EXPECT_EQ(h.api.audits.back(), "staff-token kiosk.settings.save");
}

TEST(MaintenanceViewModel, LeaveAppAuditsAndQuits) {
  Harness h;
  logIn(h);
  bool quit = false;
  h.session.maintenance().onQuit = [&] { quit = true; };
  h.session.maintenance().leaveApp();
  h.runner.settle();
  EXPECT_TRUE(quit);
  EXPECT_EQ(h.api.audits.back(), "staff-token kiosk.app.quit");
}

TEST(MaintenanceViewModel, IdleTimeoutLogsStaffOut) {
  Harness h;
  logIn(h);
  h.advance(std::chrono::seconds(61));
  EXPECT_EQ(h.session.screen(), Screen::Attract);
  EXPECT_EQ(h.session.maintenance().step(), MaintenanceViewModel::Step::Login);
  EXPECT_EQ(h.api.audits.back(), "staff-token kiosk.maintenance.leave");
}

}  // namespace
}  // namespace prepaid::kiosk
