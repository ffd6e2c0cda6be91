#include "prepaid/screens/frame.hpp"

namespace prepaid::kiosk::screens {

namespace {

using Field = MaintenanceViewModel::Field;

// An on-screen keyboard for staff (usernames, passwords, URLs); 10 keys per row.
void keyboard(Frame& frame, MaintenanceViewModel& vm, bool& shift, ImVec2 pos, ImVec2 size) {
  auto& p = frame.paint;
  const std::string_view lower = "1234567890qwertyuiopasdfghjkl-zxcvbnm./<";
  const std::string_view upper = "1234567890QWERTYUIOPASDFGHJKL:ZXCVBNM_@<";
  // Five rows (four of keys, one for shift): each at least a 64 px target.
  const float keysH = size.y * 0.8F;
  if (auto key =
          p.keypad("kbd", pos, ImVec2(size.x, keysH), shift ? upper : lower, 10, p.fonts().body)) {
    if (*key == '<') {
      vm.backspace();
    } else {
      vm.key(*key);
    }
  }
  const float gap = p.layout().px(14);
  const float rowY = pos.y + keysH + gap;
  const float rowH = size.y - keysH - gap;
  if (p.button("shift", shift ? "abc" : "ABC :_@", ImVec2(pos.x, rowY), ImVec2(size.x * 0.4F, rowH),
               ui::Tone::Secondary)) {
    shift = !shift;
  }
}

void field(Frame& frame, MaintenanceViewModel& vm, const char* id, const std::string& label,
           const std::string& value, Field which, ImVec2 pos, float width) {
  auto& p = frame.paint;
  const auto& l = p.layout();
  const float h = l.target(90);
  const bool focused = vm.focused() == which;
  if (p.area(id, pos, ImVec2(width, h))) {
    vm.focus(which);
  }
  p.panel(pos, ImVec2(width, h), focused ? ui::colour::rgb(0xE3F2FD) : ui::colour::Surface);
  if (focused) {
    p.drawList()->AddRect(pos, ImVec2(pos.x + width, pos.y + h), ui::colour::Primary, l.px(16), 0,
                          l.px(4));
  }
  p.text(p.fonts().small, ImVec2(pos.x + l.px(16), pos.y + l.px(6)), ui::colour::Muted, label);
  p.text(p.fonts().body, ImVec2(pos.x + l.px(16), pos.y + h - p.fonts().body->FontSize - l.px(8)),
         ui::colour::Text, value);
}

}  // namespace

void MaintenanceScreen::draw(Frame& frame) {
  auto& p = frame.paint;
  const auto& l = p.layout();
  auto& vm = frame.session.maintenance();
  const float gap = l.px(22);
  const float x = frame.origin.x;
  // Portrait: the keyboard under the fields; landscape: beside them.
  const float w = l.portrait ? frame.size.x : frame.size.x * 0.55F;
  const float bottom = frame.origin.y + frame.size.y;
  const ImVec2 sideKeyboard(x + w + l.px(40), frame.origin.y);
  const ImVec2 sideKeyboardSize(frame.size.x - w - l.px(40), frame.size.y);
  float y = frame.origin.y;
  p.text(p.fonts().large, ImVec2(x, y), ui::colour::Text, p.t("maintenance.title"));
  if (!vm.message().empty()) {
    const std::string message = p.f(vm.message());
    p.text(p.fonts().body, ImVec2(x + w - p.measure(p.fonts().body, message).x, y + l.px(10)),
           vm.message().key == "maintenance.login_failed" ? ui::colour::Danger : ui::colour::Muted,
           message);
  }
  if (vm.busy()) {
    frame.animating = true;
  }
  y += p.fonts().large->FontSize + gap;
  const float kbH = l.px(l.portrait ? 560 : 420);
  if (vm.step() == MaintenanceViewModel::Step::Login) {
    field(frame, vm, "user", p.t("maintenance.username"), vm.username(), Field::Username,
          ImVec2(x, y), w);
    y += l.target(90) + gap;
    field(frame, vm, "pass", p.t("maintenance.password"), vm.passwordMask(), Field::Password,
          ImVec2(x, y), w);
    y += l.target(90) + gap;
    if (p.button("login", p.t("maintenance.login"), ImVec2(x, y), ImVec2(w, l.target(120)),
                 ui::Tone::Primary, !vm.busy(), p.fonts().large)) {
      vm.login();
    }
    y += l.target(120) + gap;
    if (l.portrait) {
      keyboard(frame, vm, m_shift, ImVec2(x, y), ImVec2(w, std::min(kbH, bottom - y)));
    } else {
      keyboard(frame, vm, m_shift, sideKeyboard, ImVec2(sideKeyboardSize.x, kbH));
    }
    return;
  }
  // Device status.
  auto line = [&](const std::string& label, const std::string& value) {
    p.text(p.fonts().body, ImVec2(x, y), ui::colour::Muted, label);
    y += p.textWrapped(p.fonts().body, ImVec2(x + l.px(220), y), w - l.px(220), ui::colour::Text,
                       value) +
         l.px(12);
  };
  line(p.t("maintenance.backend"), vm.backendStatus());
  line(p.t("maintenance.printer"), vm.printerDescription() + " · " + vm.printerStatus());
  line(p.t("maintenance.scanner"),
       vm.scannerDescription + " · " +
           (vm.lastScan().empty() ? p.t("maintenance.scan_prompt")
                                  : p.f({"maintenance.last_scan", {vm.lastScan()}})));
  y += gap / 2;
  const float bw = (w - 3 * gap) / 4;
  const float bh = l.target(100);
  if (p.button("refresh", p.t("maintenance.refresh"), ImVec2(x, y), ImVec2(bw, bh),
               ui::Tone::Secondary)) {
    vm.refreshStatus();
  }
  if (p.button("testprint", p.t("maintenance.test_print"), ImVec2(x + bw + gap, y), ImVec2(bw, bh),
               ui::Tone::Secondary)) {
    vm.testPrint();
  }
  if (p.button("logout", p.t("maintenance.logout"), ImVec2(x + 2 * (bw + gap), y), ImVec2(bw, bh),
               ui::Tone::Secondary)) {
    frame.session.goAttract();
    return;
  }
  if (p.button("quit", p.t("maintenance.leave_app"), ImVec2(x + 3 * (bw + gap), y), ImVec2(bw, bh),
               ui::Tone::Danger)) {
    vm.leaveApp();
  }
  y += bh + gap;
  // Settings.
  p.text(p.fonts().large, ImVec2(x, y), ui::colour::Text, p.t("maintenance.settings"));
  y += p.fonts().large->FontSize + gap / 2;
  const auto& draft = vm.draft();
  field(frame, vm, "url", p.t("maintenance.backend_url"), draft.backendUrl, Field::BackendUrl,
        ImVec2(x, y), w);
  y += l.target(90) + gap / 2;
  field(frame, vm, "key", p.t("maintenance.kiosk_key"),
        std::string(std::min<std::size_t>(draft.kioskKey.size(), 24), '*'), Field::KioskKey,
        ImVec2(x, y), w);
  y += l.target(90) + gap / 2;
  const float third = (w - 2 * gap) / 3;
  p.text(p.fonts().body, ImVec2(x, y + l.px(20)), ui::colour::Text,
         p.f({"maintenance.idle_timeout", {std::to_string(draft.idleTimeout.count())}}));
  if (p.button("idle-", "-10", ImVec2(x + third + gap, y), ImVec2(third / 2 - gap / 2, bh),
               ui::Tone::Secondary)) {
    vm.adjustIdleTimeout(-10);
  }
  if (p.button("idle+", "+10", ImVec2(x + third + gap + third / 2 + gap / 2, y),
               ImVec2(third / 2 - gap / 2, bh), ui::Tone::Secondary)) {
    vm.adjustIdleTimeout(10);
  }
  if (p.button("deflang", p.f({"maintenance.language", {std::string(toString(draft.language))}}),
               ImVec2(x + 2 * (third + gap), y), ImVec2(third, bh), ui::Tone::Secondary)) {
    vm.toggleLanguage();
  }
  y += bh + gap;
  if (p.button("save", p.t("maintenance.save"), ImVec2(x, y), ImVec2(w, bh), ui::Tone::Primary)) {
    vm.saveSettings();
  }
  y += bh + gap;
  // The last audit entries of this visit (what went to the backend).
  int shown = 0;
  for (const auto& entry : vm.auditLog()) {
    if (++shown > 3) {
      break;
    }
    p.text(p.fonts().small, ImVec2(x, y), ui::colour::Muted, entry);
    y += p.fonts().small->FontSize + l.px(6);
  }
  if (l.portrait) {
    const float kbTop = std::max(y + gap, bottom - kbH);
    keyboard(frame, vm, m_shift, ImVec2(x, kbTop), ImVec2(w, bottom - kbTop));
  } else {
    keyboard(frame, vm, m_shift, sideKeyboard, ImVec2(sideKeyboardSize.x, kbH));
  }
}

}  // namespace prepaid::kiosk::screens
