#pragma once

// Maintenance mode (维护模式): staff login on the on-screen keyboard, device status (backend link
// and latency, printer and paper, scanner with a live test), test print, kiosk settings, leave
// the app. Every staff action is sent to the backend's audit log.

#include <deque>
#include <functional>

#include "prepaid/viewmodels/session_context.hpp"

namespace prepaid::kiosk {

class MaintenanceViewModel {
 public:
  enum class Step { Login, Panel };
  enum class Field { Username, Password, BackendUrl, KioskKey };
  static constexpr std::size_t MaxFieldLength = 128;

  explicit MaintenanceViewModel(SessionContext& context) : m_context(context) {}

  void open();
  void close();

  // Text entry (login and settings fields).
  void focus(Field field);
  void key(char c);
  void backspace();
  [[nodiscard]] Field focused() const { return m_focus; }
  [[nodiscard]] const std::string& username() const { return m_username; }
  [[nodiscard]] std::string passwordMask() const { return std::string(m_password.size(), '*'); }
  void login();

  // Panel.
  void refreshStatus();
  void testPrint();
  void adjustIdleTimeout(int deltaSeconds);
  void toggleLanguage();
  void saveSettings();
  void leaveApp();
  void logout();
  /// A code from the scanner while the panel is open (live test).
  void codeScanned(const std::string& code);

  [[nodiscard]] Step step() const { return m_step; }
  [[nodiscard]] bool busy() const { return m_busy > 0; }
  [[nodiscard]] const Message& message() const { return m_message; }
  [[nodiscard]] const KioskSettings& draft() const { return m_draft; }
  /// Backend link status as a catalogue message ("maintenance.status.*"); empty before the
  /// first refresh.
  [[nodiscard]] const Message& backendStatus() const { return m_backendStatus; }
  /// Printer and paper status as a catalogue message ("maintenance.status.*").
  [[nodiscard]] const Message& printerStatus() const { return m_printerStatus; }
  [[nodiscard]] const std::string& lastScan() const { return m_lastScan; }
  /// Where the printer prints (URI or directory); empty when none is configured.
  [[nodiscard]] std::string printerDescription() const;
  /// Audit entries sent (or queued) this session, newest first, as catalogue messages
  /// "maintenance.audit.{sending,ok,failed}" with the action (and the failure) as arguments.
  [[nodiscard]] const std::deque<Message>& auditLog() const { return m_auditLog; }

  /// A problem staff must see (e.g. the CJK font is missing), in English so it reads even
  /// without the font; shown as the panel's message after login. Set by the app.
  void setWarning(std::string warning) { m_warning = std::move(warning); }
  [[nodiscard]] const std::string& warning() const { return m_warning; }

  /// Filled by the app: the scanner's description (empty when not configured).
  std::string scannerDescription;
  /// Persist and apply settings (the app writes the file and reconfigures the client).
  std::function<void(const KioskSettings&)> onSettingsSaved;
  /// Leave the app (the app's main loop ends).
  std::function<void()> onQuit;

 private:
  void audit(const std::string& action, const std::string& detail);
  void auditDone(const std::string& action, Message outcome);
  std::string* focusedText();
  SessionContext& m_context;
  Step m_step = Step::Login;
  Field m_focus = Field::Username;
  std::string m_username;
  std::string m_password;
  std::string m_staffToken;
  KioskSettings m_draft;
  int m_busy = 0;
  Message m_message;
  Message m_backendStatus;
  Message m_printerStatus;
  std::string m_lastScan;
  std::deque<Message> m_auditLog;
  std::string m_warning;
};

}  // namespace prepaid::kiosk
