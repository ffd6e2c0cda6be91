#pragma once

// The kiosk's root view model: which screen shows, the language, the offline banner, the idle
// timeout that clears the tenant, and where scanned codes go. Owns the per-screen view models.
// UI thread only; a test drives it with a fake ApiClient and a ManualRunner.

#include <functional>

#include "prepaid/viewmodels/account_view_model.hpp"
#include "prepaid/viewmodels/corner_long_press.hpp"
#include "prepaid/viewmodels/identify_view_model.hpp"
#include "prepaid/viewmodels/maintenance_view_model.hpp"
#include "prepaid/viewmodels/recharge_view_model.hpp"
#include "prepaid/viewmodels/session_context.hpp"
#include "prepaid/viewmodels/usage_view_model.hpp"

namespace prepaid::kiosk {

enum class Screen { Attract, Identify, Account, Usage, Alarms, Recharge, History, Maintenance };
[[nodiscard]] std::string_view toString(Screen screen);

class KioskSession {
 public:
  static constexpr std::chrono::seconds OnlineHealthInterval{15};
  static constexpr std::chrono::seconds OfflineHealthInterval{3};

  KioskSession(ApiClient& api, TaskRunner& runner, devices::ReceiptPrinter* printer,
               KioskSettings settings);

  /// Any touch, click or key: restarts the idle timer.
  void onInput(SteadyTime now);
  /// Per frame: idle timeout, health checks, retries, recharge polling.
  void tick(SteadyTime now);
  /// When tick() next has something to do (the frame loop sleeps until then at most).
  [[nodiscard]] SteadyTime nextWake(SteadyTime now) const;
  /// A code from the scanner: an account card on identify, a payment code while paying, the
  /// live test in maintenance.
  void codeScanned(const std::string& code);

  void navigate(Screen screen);
  /// Attract screen, tenant data cleared from memory.
  void goAttract();
  void startIdentify() { navigate(Screen::Identify); }
  void openMaintenance();
  /// The language shown until the next attract screen (the stored default is unchanged).
  void setLanguage(Language language) { m_context.language = language; }
  /// The tenant's zh-CN / English switch: this visit only.
  void toggleLanguage();

  [[nodiscard]] Screen screen() const { return m_screen; }
  /// The language shown now (the default from the settings, or the tenant's switch).
  [[nodiscard]] Language language() const { return m_context.language; }
  [[nodiscard]] bool online() const { return m_online; }
  [[nodiscard]] bool hasTenant() const { return m_context.hasTenant; }
  [[nodiscard]] const TenantData& tenant() const { return m_context.tenant; }
  [[nodiscard]] const KioskSettings& settings() const { return m_context.settings; }
  [[nodiscard]] SessionContext& context() { return m_context; }
  /// Seconds until the idle timeout (for a "returning soon" hint), 0 on attract. While money is
  /// in flight the idle timeout does not apply: the idle limit in seconds then (no hint).
  [[nodiscard]] int idleSecondsLeft(SteadyTime now) const;
  /// True when a look-up at the given screen is possible (personal view).
  [[nodiscard]] bool personal() const { return m_context.tenant.personal(); }

  IdentifyViewModel& identify() { return m_identify; }
  AccountViewModel& account() { return m_account; }
  UsageViewModel& usage() { return m_usage; }
  RechargeViewModel& recharge() { return m_recharge; }
  MaintenanceViewModel& maintenance() { return m_maintenance; }
  CornerLongPress& gesture() { return m_gesture; }

 private:
  void onIdentified(const api::AccountView& account);
  void checkHealth();
  void linkReport(bool online);
  [[nodiscard]] std::chrono::seconds idleLimit() const;
  /// True when the idle timeout returns to attract on this screen now: not on attract, and not
  /// while an order is being created, paid or credited (the countdown bounds those).
  [[nodiscard]] bool idleReturnApplies() const;
  /// When the idle timeout returns to attract: the last input + 60 s, or 10 s after a finished
  /// recharge (from the later of the last input and the moment it finished).
  [[nodiscard]] SteadyTime idleDeadline() const;

  SessionContext m_context;
  IdentifyViewModel m_identify;
  AccountViewModel m_account;
  UsageViewModel m_usage;
  RechargeViewModel m_recharge;
  MaintenanceViewModel m_maintenance;
  CornerLongPress m_gesture;
  Screen m_screen = Screen::Attract;
  SteadyTime m_lastInput{};
  bool m_online = true;
  bool m_healthInFlight = false;
  SteadyTime m_nextHealth{};
  SteadyTime m_nextRetry{};
};

}  // namespace prepaid::kiosk
