#pragma once

// What a screen gets each frame: the session (view models), the painter, the content rectangle
// below the header, and the time.

#include <string>

#include <imgui.h>

#include "prepaid/screens/scroll_list.hpp"
#include "prepaid/ui/painter.hpp"
#include "prepaid/viewmodels/kiosk_session.hpp"

namespace prepaid::kiosk::screens {

struct Frame {
  KioskSession& session;
  ui::Painter& paint;
  SteadyTime now;
  std::string clockText;  // "08:30"
  std::string dateText;   // "2024-05-01"
  ImVec2 origin;          // content rectangle (below header and banner)
  ImVec2 size;
  /// True when a screen shows something that changes by itself (countdown, spinner): the frame
  /// loop renders again within a second.
  bool animating = false;
};

/// "prefix" + number, built by appending (GCC 12 warns falsely on `"literal" + std::string`).
[[nodiscard]] inline std::string joinId(std::string_view prefix, std::int64_t number) {
  std::string id(prefix);
  id += std::to_string(number);
  return id;
}

/// Header (site, clock, home/back, language), offline banner, idle hint. Sets frame.origin and
/// frame.size to the area left for the screen.
void drawChrome(Frame& frame);
/// True when the "returning to the start in N s" hint shows: not on attract, within 15 s of
/// the idle timeout, and never while a payment is in flight (creating the order, waiting for
/// the customer, crediting the meter): the session does not return to attract then, and the
/// countdown on the QR screen is the only clock the tenant should see.
[[nodiscard]] bool idleHintShown(KioskSession& session, SteadyTime now);
/// "unit.kwh" or "unit.m3" for a meter of `medium` ("electricity" | "water").
[[nodiscard]] const char* energyUnitKey(std::string_view medium);
/// The meter kind's word for a usage text: `electricityKey` or its "_water" variant.
[[nodiscard]] std::string mediumKey(std::string_view electricityKey, std::string_view medium);

class AttractScreen {
 public:
  void draw(Frame& frame);
};
class IdentifyScreen {
 public:
  void draw(Frame& frame);

 private:
  bool m_letters = false;  // keypad shows letters (shop numbers like "A-101")
};
class AccountScreen {
 public:
  void draw(Frame& frame);
};
class UsageScreen {
 public:
  void draw(Frame& frame);
};
class AlarmsScreen {
 public:
  void draw(Frame& frame);

 private:
  ScrollList m_list;
};
class HistoryScreen {
 public:
  void draw(Frame& frame);

 private:
  ScrollList m_list;
};
class RechargeScreen {
 public:
  void draw(Frame& frame);
};
class MaintenanceScreen {
 public:
  void draw(Frame& frame);

 private:
  bool m_shift = false;
  ScrollList m_auditList;
};

/// Draws the chrome and the current screen.
class ScreenRouter {
 public:
  void draw(Frame& frame);
  /// draw() inside the kiosk's full-screen root window (no padding, border, decoration or
  /// scrolling). Call between ImGui::NewFrame() and ImGui::Render(); the frame loop and the
  /// frame-time benchmark share it so the benchmark measures what the kiosk draws.
  void drawWindow(Frame& frame);

 private:
  AttractScreen m_attract;
  IdentifyScreen m_identify;
  AccountScreen m_account;
  UsageScreen m_usage;
  AlarmsScreen m_alarms;
  HistoryScreen m_history;
  RechargeScreen m_recharge;
  MaintenanceScreen m_maintenance;
};

}  // namespace prepaid::kiosk::screens
