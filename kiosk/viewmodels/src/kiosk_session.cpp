#include "prepaid/viewmodels/kiosk_session.hpp"

namespace prepaid::kiosk {

std::string_view toString(Screen screen) {
  switch (screen) {
    case Screen::Attract:
      return "attract";
    case Screen::Identify:
      return "identify";
    case Screen::Account:
      return "account";
    case Screen::Usage:
      return "usage";
    case Screen::Alarms:
      return "alarms";
    case Screen::Recharge:
      return "recharge";
    case Screen::History:
      return "history";
    case Screen::Maintenance:
      return "maintenance";
  }
  return "attract";
}

KioskSession::KioskSession(ApiClient& api, TaskRunner& runner, devices::ReceiptPrinter* printer,
                           KioskSettings settings)
    : m_context(api, runner, printer),
      m_identify(m_context),
      m_account(m_context),
      m_usage(m_context),
      m_recharge(m_context),
      m_maintenance(m_context) {
  m_context.settings = std::move(settings);
  m_context.language = m_context.settings.language;
  m_context.reportLink = [this](bool online) { linkReport(online); };
  m_identify.onIdentified = [this](const api::AccountView& account) { onIdentified(account); };
  m_lastInput = m_context.now();
}

void KioskSession::onInput(SteadyTime now) {
  m_lastInput = now;
}

std::chrono::seconds KioskSession::idleLimit() const {
  if (m_screen == Screen::Recharge && m_recharge.finished()) {
    return m_context.settings.finishedTimeout;
  }
  return m_context.settings.idleTimeout;
}

SteadyTime KioskSession::idleDeadline() const {
  SteadyTime from = m_lastInput;
  // A recharge finishes when the customer's phone pays and the meter answers, which can be long
  // after the tenant's last touch; counting the 10 s from that touch would drop the success or
  // "credit pending" screen at once.
  if (m_screen == Screen::Recharge && m_recharge.finished()) {
    if (const auto at = m_recharge.finishedAt()) {
      from = std::max(from, *at);
    }
  }
  return from + idleLimit();
}

bool KioskSession::idleReturnApplies() const {
  if (m_screen == Screen::Attract) {
    return false;
  }
  if (m_screen != Screen::Recharge) {
    return true;
  }
  switch (m_recharge.step()) {
    case RechargeViewModel::Step::Creating:
    case RechargeViewModel::Step::Waiting:
    case RechargeViewModel::Step::Crediting:
      return false;
    default:
      return true;
  }
}

int KioskSession::idleSecondsLeft(SteadyTime now) const {
  if (m_screen == Screen::Attract) {
    return 0;
  }
  if (!idleReturnApplies()) {
    return static_cast<int>(idleLimit().count());
  }
  const auto left = std::chrono::duration_cast<std::chrono::seconds>(idleDeadline() - now).count();
  return static_cast<int>(std::max<std::int64_t>(0, left));
}

void KioskSession::tick(SteadyTime now) {
  // Never time out while money is in flight: the countdown bounds that.
  if (idleReturnApplies() && now >= idleDeadline()) {
    goAttract();
  }
  if (m_screen == Screen::Recharge) {
    m_recharge.tick(now);
  }
  m_recharge.followBackground(now);
  if (now >= m_nextHealth && !m_healthInFlight) {
    checkHealth();
  }
  if (m_online && now >= m_nextRetry && m_context.hasTenant) {
    m_nextRetry = now + OfflineHealthInterval;
    if (m_account.needsRetry()) {
      m_account.refresh();
    }
    if (m_screen == Screen::Usage && m_usage.needsRetry()) {
      m_usage.reload();
    }
  }
}

SteadyTime KioskSession::nextWake(SteadyTime now) const {
  // Only deadlines tick() acts on when they pass. One it cannot act on (the idle timeout while
  // paying, a health check or poll whose answer is still out) would stay in the past and make
  // the frame loop poll without sleeping; the worker's wake-up event ends those waits instead.
  SteadyTime wake = SteadyTime::max();
  if (!m_healthInFlight) {
    wake = m_nextHealth;
  }
  if (idleReturnApplies()) {
    wake = std::min(wake, idleDeadline());
  }
  if (auto due = m_recharge.nextDue(); due && m_screen == Screen::Recharge) {
    wake = std::min(wake, *due);
  }
  if (m_online && m_context.hasTenant &&
      (m_account.needsRetry() || (m_screen == Screen::Usage && m_usage.needsRetry()))) {
    wake = std::min(wake, m_nextRetry);
  }
  if (auto background = m_recharge.backgroundDue()) {
    wake = std::min(wake, *background);
  }
  if (auto hold = m_gesture.deadline()) {
    wake = std::min(wake, *hold);
  }
  return std::max(wake, now);
}

void KioskSession::checkHealth() {
  m_healthInFlight = true;
  ApiClient& api = m_context.api;
  m_context.runner.run(
      [&api, this]() -> Continuation {
        auto health = api.health();
        const bool online = health.has_value() || !health.error().offline();
        return [online, this]() {
          m_healthInFlight = false;
          linkReport(online);
        };
      },
      [this](const std::string&) {
        // Not a link problem we know of: try again at the offline pace.
        m_healthInFlight = false;
        m_nextHealth = m_context.now() + OfflineHealthInterval;
      });
}

void KioskSession::linkReport(bool online) {
  m_online = online;
  m_nextHealth = m_context.now() + (online ? OnlineHealthInterval : OfflineHealthInterval);
}

void KioskSession::codeScanned(const std::string& code) {
  m_lastInput = m_context.now();
  switch (m_screen) {
    case Screen::Attract:
      navigate(Screen::Identify);
      m_identify.cardScanned(code);
      break;
    case Screen::Identify:
      m_identify.cardScanned(code);
      break;
    case Screen::Recharge:
      m_recharge.codeScanned(code);
      break;
    case Screen::Maintenance:
      m_maintenance.codeScanned(code);
      break;
    default:
      break;  // a stray scan elsewhere is ignored
  }
}

void KioskSession::navigate(Screen screen) {
  if (screen == Screen::Identify && m_screen != Screen::Identify) {
    m_identify.reset();
  }
  if (screen == Screen::Recharge && m_screen != Screen::Recharge) {
    m_recharge.begin();
  }
  if (screen == Screen::Usage && m_screen != Screen::Usage) {
    m_usage.open(m_usage.meterId());
  }
  if ((screen == Screen::Account || screen == Screen::Alarms || screen == Screen::History) &&
      m_screen == Screen::Recharge && m_recharge.finished()) {
    m_account.refresh();  // show the new balance
  }
  if (m_screen == Screen::Recharge && screen != Screen::Recharge) {
    m_recharge.cancel();
    m_recharge.reset();
  }
  m_screen = screen;
  m_lastInput = m_context.now();
}

void KioskSession::goAttract() {
  if (m_screen == Screen::Maintenance) {
    m_maintenance.logout();
  }
  if (m_screen == Screen::Recharge) {
    m_recharge.cancel();
  }
  // Clear everything the tenant entered or was shown; continuations in flight see the new
  // generation and drop their results.
  ++m_context.generation;
  m_context.language = m_context.settings.language;  // the next person starts in the default
  m_context.tenant = TenantData{};
  m_context.hasTenant = false;
  m_identify.reset();
  m_account.reset();
  m_usage.reset();
  m_recharge.reset();
  m_screen = Screen::Attract;
}

void KioskSession::openMaintenance() {
  goAttract();
  m_maintenance.open();
  m_screen = Screen::Maintenance;
  m_lastInput = m_context.now();
}

void KioskSession::toggleLanguage() {
  m_context.language = m_context.language == Language::ZhCn ? Language::En : Language::ZhCn;
}

void KioskSession::onIdentified(const api::AccountView& account) {
  m_context.tenant = TenantData{};
  m_context.tenant.account = account;
  m_context.hasTenant = true;
  m_usage.reset();
  if (account.personal) {
    m_account.refresh();
    m_screen = Screen::Account;
  } else {
    // Pay-only: no personal details, straight to recharge.
    m_recharge.begin();
    m_screen = Screen::Recharge;
  }
  m_lastInput = m_context.now();
}

}  // namespace prepaid::kiosk
