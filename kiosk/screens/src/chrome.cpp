#include "prepaid/screens/frame.hpp"

namespace prepaid::kiosk::screens {

bool idleHintShown(KioskSession& session, SteadyTime now) {
  if (session.screen() == Screen::Attract) {
    return false;
  }
  if (session.screen() == Screen::Recharge) {
    // KioskSession::tick does not time out these steps (the payment countdown bounds them).
    switch (session.recharge().step()) {
      case RechargeViewModel::Step::Creating:
      case RechargeViewModel::Step::Waiting:
      case RechargeViewModel::Step::Crediting:
        return false;
      default:
        break;
    }
  }
  return session.idleSecondsLeft(now) <= 15;
}

const char* energyUnitKey(std::string_view medium) {
  return medium == "water" ? "unit.m3" : "unit.kwh";
}

std::string mediumKey(std::string_view electricityKey, std::string_view medium) {
  std::string key(electricityKey);
  if (medium == "water") {
    key += "_water";
  }
  return key;
}

void drawChrome(Frame& frame) {
  auto& p = frame.paint;
  const auto& l = p.layout();
  auto& s = frame.session;
  const float headerH = l.px(l.portrait ? 140 : 120);
  p.panel(ImVec2(0, 0), ImVec2(l.width, headerH), ui::colour::Header, 0);
  const float pad = l.px(32);
  ImFont* large = p.fonts().large;
  p.text(large, ImVec2(pad, (headerH - large->FontSize) / 2), ui::colour::Surface,
         s.settings().siteName);
  // Right side: language switch, then home/back.
  const float buttonH = l.target(96);
  const float buttonY = (headerH - buttonH) / 2;
  float right = l.width - pad;
  const float langW = l.target(200);
  right -= langW;
  if (p.button("lang", p.t("nav.language"), ImVec2(right, buttonY), ImVec2(langW, buttonH),
               ui::Tone::Secondary)) {
    s.toggleLanguage();
  }
  if (s.screen() != Screen::Attract) {
    const float navW = l.target(180);
    right -= navW + l.px(20);
    if (p.button("home", p.t("nav.home"), ImVec2(right, buttonY), ImVec2(navW, buttonH),
                 ui::Tone::Secondary)) {
      s.goAttract();
    }
    const bool sub = s.screen() == Screen::Usage || s.screen() == Screen::Alarms ||
                     s.screen() == Screen::History ||
                     (s.screen() == Screen::Recharge && s.personal());
    if (sub) {
      right -= navW + l.px(20);
      if (p.button("back", p.t("nav.back"), ImVec2(right, buttonY), ImVec2(navW, buttonH),
                   ui::Tone::Secondary)) {
        s.navigate(Screen::Account);
      }
    }
  }
  // Clock between the site name and the buttons.
  const std::string clock = frame.dateText + "  " + frame.clockText;
  const float clockW = p.measure(p.fonts().body, clock).x;
  const float siteW = p.measure(large, s.settings().siteName).x;
  if (pad + siteW + l.px(40) + clockW < right - l.px(30)) {
    p.text(p.fonts().body,
           ImVec2(right - l.px(30) - clockW, (headerH - p.fonts().body->FontSize) / 2),
           ui::colour::rgb(0xBBDEFB), clock);
  }
  float top = headerH;
  if (!s.online()) {
    const float bannerH = l.px(84);
    p.panel(ImVec2(0, top), ImVec2(l.width, bannerH), ui::colour::Banner, 0);
    p.textCentred(p.fonts().body, 0, l.width, top + (bannerH - p.fonts().body->FontSize) / 2,
                  ui::colour::Surface, p.t("offline.banner"));
    top += bannerH;
  }
  float bottom = l.height;
  if (idleHintShown(s, frame.now)) {
    const int idleLeft = s.idleSecondsLeft(frame.now);
    const float hintH = l.px(64);
    bottom -= hintH;
    p.panel(ImVec2(0, bottom), ImVec2(l.width, hintH), ui::colour::rgb(0xFFF3E0), 0);
    p.textCentred(p.fonts().body, 0, l.width, bottom + (hintH - p.fonts().body->FontSize) / 2,
                  ui::colour::Text, p.f({"idle.returning", {std::to_string(idleLeft)}}));
    frame.animating = true;
  }
  frame.origin = ImVec2(pad, top + l.px(24));
  frame.size = ImVec2(l.width - 2 * pad, bottom - top - l.px(48));
}

}  // namespace prepaid::kiosk::screens
