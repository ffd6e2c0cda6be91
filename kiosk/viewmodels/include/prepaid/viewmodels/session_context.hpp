#pragma once

// What every kiosk view model shares: services (API, task runner, printer, clocks), the kiosk
// settings and the identified tenant's data. Owned by KioskSession; view models hold a
// reference. UI thread only.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "prepaid/api/wire_types.hpp"
#include "prepaid/client/api_client.hpp"
#include "prepaid/printer/receipt_printer.hpp"
#include "prepaid/viewmodels/task_runner.hpp"
#include "prepaid/viewmodels/text.hpp"

namespace prepaid::kiosk {

using SteadyTime = std::chrono::steady_clock::time_point;

struct KioskSettings {
  std::string siteName = "示范广场";
  std::string backendUrl = "http://127.0.0.1:8080";
  std::string kioskKey;
  std::chrono::seconds idleTimeout{60};      // back to attract without input
  std::chrono::seconds finishedTimeout{10};  // after a finished recharge
  std::chrono::seconds paymentTimeout{180};  // countdown of a QR / code payment
  std::chrono::seconds creditWait{60};       // paid but not credited this long -> pending
  Language language = Language::ZhCn;
  std::vector<std::int64_t> presetsFen{5000, 10000, 20000, 50000};
  std::int64_t maxRechargeFen = 500000;  // a kiosk limit besides the hoarding cap
  std::string provider = "wechat";
};

struct TenantData {
  api::AccountView account;
  std::vector<api::AlarmView> alarms;
  std::vector<api::RechargeView> recharges;
  [[nodiscard]] const api::MeterView* meter(std::int64_t meterId) const;
  [[nodiscard]] bool personal() const { return account.personal && !account.tenantToken.empty(); }
};

struct SessionContext {
  SessionContext(ApiClient& client, TaskRunner& tasks, devices::ReceiptPrinter* receiptPrinter)
      : api(client), runner(tasks), printer(receiptPrinter) {}
  ApiClient& api;
  TaskRunner& runner;
  devices::ReceiptPrinter* printer = nullptr;  // none configured: no receipts
  std::function<SteadyTime()> now = [] { return std::chrono::steady_clock::now(); };
  /// Local wall time as printed on receipts ("2024-05-01 08:30:00").
  std::function<std::string()> wallTimeText;
  KioskSettings settings;
  TenantData tenant;
  bool hasTenant = false;
  /// Bumped whenever the tenant is cleared: continuations from before compare and drop out.
  std::uint64_t generation = 0;
  /// Called by view models after any call that failed because the backend is unreachable, and
  /// after any call that succeeded (the session's offline banner follows it).
  std::function<void(bool online)> reportLink;
  /// Log line for staff (the app writes it to stderr / the journal). Optional.
  std::function<void(const std::string& line)> log;
  /// The i18n catalogue's text of a message in a language (set by the app). View models keep
  /// to Messages; this is only for what leaves the screen as finished text — receipts, which
  /// are bilingual by design. Call it on the UI thread. Optional: without it receipts show the
  /// API's codes.
  std::function<std::string(Language language, const Message& message)> translate;
  /// The site's name as the backend spells it on receipts, learnt from the first receipt data
  /// seen and kept for the kiosk's run (not tenant data): every receipt, credited or pending,
  /// then shows the same name. Empty until known (receipts fall back to settings.siteName).
  std::string backendSiteName;
  /// The language shown now. settings.language is the site's default (what maintenance saves);
  /// a tenant's switch changes only this, and the attract screen restores the default.
  Language language = Language::ZhCn;

  void writeLog(const std::string& line) const {
    if (log) {
      log(line);
    }
  }
};

}  // namespace prepaid::kiosk
