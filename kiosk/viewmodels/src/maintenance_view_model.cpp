#include "prepaid/viewmodels/maintenance_view_model.hpp"

#include <algorithm>

namespace prepaid::kiosk {

void MaintenanceViewModel::open() {
  m_step = Step::Login;
  m_focus = Field::Username;
  m_username.clear();
  m_password.clear();
  m_staffToken.clear();
  m_message = {"maintenance.login_prompt", {}};
  m_draft = m_context.settings;
}

void MaintenanceViewModel::close() {
  // Nothing of the staff session stays in memory.
  m_password.clear();
  m_staffToken.clear();
  m_step = Step::Login;
}

void MaintenanceViewModel::focus(Field field) {
  m_focus = field;
}

std::string* MaintenanceViewModel::focusedText() {
  switch (m_focus) {
    case Field::Username:
      return &m_username;
    case Field::Password:
      return &m_password;
    case Field::BackendUrl:
      return m_step == Step::Panel ? &m_draft.backendUrl : nullptr;
    case Field::KioskKey:
      return m_step == Step::Panel ? &m_draft.kioskKey : nullptr;
  }
  return nullptr;
}

void MaintenanceViewModel::key(char c) {
  auto* text = focusedText();
  if (text != nullptr && text->size() < MaxFieldLength && c >= 0x20 && c < 0x7F) {
    text->push_back(c);
  }
}

void MaintenanceViewModel::backspace() {
  if (auto* text = focusedText(); text != nullptr && !text->empty()) {
    text->pop_back();
  }
}

void MaintenanceViewModel::login() {
  if (m_username.empty() || m_password.empty() || m_busy > 0) {
    m_message = {"maintenance.login_prompt", {}};
    return;
  }
  ++m_busy;
  m_message = {"maintenance.logging_in", {}};
  ApiClient& api = m_context.api;
  const auto username = m_username;
  const auto password = m_password;
  m_password.clear();
  m_context.runner.run(
      [&api, username, password, this]() -> Continuation {
        auto session = api.staffLogin(username, password);
        return [session = std::move(session), this]() {
          --m_busy;
          if (!session) {
            m_message = session.error().offline() ? Message{"error.offline", {}}
                                                  : Message{"maintenance.login_failed", {}};
            return;
          }
          m_staffToken = session->token;
          m_step = Step::Panel;
          m_focus = Field::BackendUrl;
          m_message = m_warning.empty() ? Message{} : Message{"maintenance.warning", {m_warning}};
          m_draft = m_context.settings;
          audit("kiosk.maintenance.enter", "staff opened maintenance mode");
          refreshStatus();
        };
      },
      [this](const std::string&) {
        --m_busy;
        m_message = {"error.generic", {}};
      });
}

void MaintenanceViewModel::audit(const std::string& action, const std::string& detail) {
  ApiClient& api = m_context.api;
  const auto token = m_staffToken;
  m_auditLog.push_front({"maintenance.audit.sending", {action}});
  if (m_auditLog.size() > 8) {
    m_auditLog.pop_back();
  }
  m_context.runner.run(
      [&api, token, action, detail, this]() -> Continuation {
        auto sent = api.audit(token, action, detail);
        Message outcome = sent
                              ? Message{"maintenance.audit.ok", {action}}
                              : Message{"maintenance.audit.failed", {action, sent.error().message}};
        return [outcome = std::move(outcome), action, this]() { auditDone(action, outcome); };
      },
      [action, this](const std::string& what) {
        auditDone(action, {"maintenance.audit.failed", {action, what}});
      });
}

void MaintenanceViewModel::auditDone(const std::string& action, Message outcome) {
  // The oldest entry of this action still sending is the one this answer belongs to (calls of
  // one runner complete in order).
  for (auto it = m_auditLog.rbegin(); it != m_auditLog.rend(); ++it) {
    if (it->key == "maintenance.audit.sending" && !it->args.empty() && it->args[0] == action) {
      *it = std::move(outcome);
      return;
    }
  }
}

namespace {

Message paperMessage(devices::PaperStatus paper) {
  switch (paper) {
    case devices::PaperStatus::Ok:
      return {"maintenance.status.paper_ok", {}};
    case devices::PaperStatus::NearEnd:
      return {"maintenance.status.paper_near_end", {}};
    case devices::PaperStatus::Out:
      return {"maintenance.status.paper_out", {}};
    case devices::PaperStatus::Unknown:
      return {"maintenance.status.paper_unknown", {}};
  }
  return {"maintenance.status.paper_unknown", {}};
}

}  // namespace

void MaintenanceViewModel::refreshStatus() {
  if (m_step != Step::Panel) {
    return;
  }
  ApiClient& api = m_context.api;
  m_backendStatus = {"maintenance.status.checking", {}};
  ++m_busy;
  m_context.runner.run(
      [&api, this]() -> Continuation {
        auto health = api.health();
        Message status;
        if (health) {
          status = {"maintenance.status.backend_ok",
                    {std::to_string(health->latency.count()), health->health.version,
                     api.config().baseUrl}};
        } else {
          status = {"maintenance.status.backend_error",
                    {std::string(toString(health.error().kind)) + ": " + health.error().message}};
        }
        const bool online = health.has_value();
        return [status = std::move(status), online, this]() {
          --m_busy;
          m_backendStatus = status;
          if (m_context.reportLink) {
            m_context.reportLink(online);
          }
        };
      },
      [this](const std::string& what) {
        --m_busy;
        m_backendStatus = {"maintenance.status.backend_error", {what}};
      });
  if (m_context.printer == nullptr) {
    m_printerStatus = {"maintenance.status.not_configured", {}};
    return;
  }
  m_printerStatus = {"maintenance.status.checking", {}};
  ++m_busy;
  devices::ReceiptPrinter* printer = m_context.printer;
  m_context.runner.run(
      [printer, this]() -> Continuation {
        auto paper = printer->paperStatus();
        Message status = paper
                             ? paperMessage(*paper)
                             : Message{"maintenance.status.printer_error", {paper.error().message}};
        return [status = std::move(status), this]() {
          --m_busy;
          m_printerStatus = status;
        };
      },
      [this](const std::string& what) {
        --m_busy;
        m_printerStatus = {"maintenance.status.printer_error", {what}};
      });
}

std::string MaintenanceViewModel::printerDescription() const {
  return m_context.printer != nullptr ? m_context.printer->describe() : std::string();
}

void MaintenanceViewModel::testPrint() {
  if (m_step != Step::Panel) {
    return;
  }
  audit("kiosk.printer.test", m_context.printer != nullptr ? printerDescription() : "no printer");
  if (m_context.printer == nullptr) {
    m_message = {"print.no_printer", {}};
    return;
  }
  ++m_busy;
  m_message = {"print.printing", {}};
  devices::ReceiptPrinter* printer = m_context.printer;
  const auto site = m_context.settings.siteName;
  const auto time = m_context.wallTimeText ? m_context.wallTimeText() : std::string();
  m_context.runner.run(
      [printer, site, time, this]() -> Continuation {
        auto printed = printer->print(
            devices::composeTestPage(site, time, printer->describe(), printer->columns()));
        const bool ok = printed.has_value();
        return [ok, this]() {
          --m_busy;
          m_message = ok ? Message{"print.done", {}} : Message{"print.failed", {}};
        };
      },
      [this](const std::string&) {
        --m_busy;
        m_message = {"print.failed", {}};
      });
}

void MaintenanceViewModel::adjustIdleTimeout(int deltaSeconds) {
  const auto seconds =
      std::clamp<std::int64_t>(m_draft.idleTimeout.count() + deltaSeconds, 20, 600);
  m_draft.idleTimeout = std::chrono::seconds(seconds);
}

void MaintenanceViewModel::toggleLanguage() {
  m_draft.language = m_draft.language == Language::ZhCn ? Language::En : Language::ZhCn;
}

void MaintenanceViewModel::saveSettings() {
  if (m_step != Step::Panel) {
    return;
  }
  audit("kiosk.settings.save",
        "backend_url=" + m_draft.backendUrl +
            " idle_timeout_s=" + std::to_string(m_draft.idleTimeout.count()) +
            " language=" + std::string(toString(m_draft.language)) +
            (m_draft.kioskKey != m_context.settings.kioskKey ? " kiosk_key=changed" : ""));
  m_context.settings = m_draft;
  m_context.language = m_draft.language;  // staff see the default they just chose
  if (onSettingsSaved) {
    onSettingsSaved(m_draft);
  }
  m_message = {"maintenance.saved", {}};
}

void MaintenanceViewModel::leaveApp() {
  if (m_step != Step::Panel) {
    return;
  }
  audit("kiosk.app.quit", "staff left the kiosk app");
  if (onQuit) {
    onQuit();
  }
}

void MaintenanceViewModel::logout() {
  if (m_step == Step::Panel) {
    audit("kiosk.maintenance.leave", "staff closed maintenance mode");
  }
  close();
}

void MaintenanceViewModel::codeScanned(const std::string& code) {
  if (m_step == Step::Panel) {
    // Shown and (with --ui-map) written as JSON: bytes that are not UTF-8 become "\\xNN".
    m_lastScan = printableText(code);
  }
}

}  // namespace prepaid::kiosk
