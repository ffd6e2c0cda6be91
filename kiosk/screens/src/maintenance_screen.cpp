#include <string_view>

#include "prepaid/screens/frame.hpp"

namespace prepaid::kiosk::screens {

namespace {

using Field = MaintenanceViewModel::Field;

// An on-screen keyboard for staff (usernames, passwords, URLs): 40 keys, 10 per row where that
// leaves keys of at least 64 px (fewer per row otherwise), and a shift row under them.
constexpr std::string_view LowerKeys = "1234567890qwertyuiopasdfghjkl-zxcvbnm./<";
constexpr std::string_view UpperKeys = "1234567890QWERTYUIOPASDFGHJKL:ZXCVBNM_@<";

float shiftRowHeight(const ui::Layout& l) {
  return l.target(84);
}

// The height the keyboard takes in a box `width` wide and `preferred` high: more than
// `preferred` when its keys would otherwise be under 64 px.
float keyboardHeight(ui::Painter& p, float width, float preferred) {
  const float gap = p.layout().px(14);
  const float keysH = preferred - shiftRowHeight(p.layout()) - gap;
  const ui::KeyGrid grid = p.keyGrid(LowerKeys.size(), 10, ImVec2(width, keysH));
  return grid.height() + gap + shiftRowHeight(p.layout());
}

void keyboard(Frame& frame, MaintenanceViewModel& vm, bool& shift, ImVec2 pos, ImVec2 size) {
  auto& p = frame.paint;
  const float gap = p.layout().px(14);
  const float shiftH = shiftRowHeight(p.layout());
  const ImVec2 keysSize(size.x, size.y - shiftH - gap);
  if (auto key =
          p.keypad("kbd", pos, keysSize, shift ? UpperKeys : LowerKeys, 10, p.fonts().body)) {
    if (*key == '<') {
      vm.backspace();
    } else {
      vm.key(*key);
    }
  }
  const float rowY = pos.y + p.keyGrid(LowerKeys.size(), 10, keysSize).height() + gap;
  if (p.button("shift", shift ? "abc" : "ABC :_@", ImVec2(pos.x, rowY),
               ImVec2(std::max(ui::MinTargetPx, size.x * 0.4F), shiftH), ui::Tone::Secondary)) {
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
      const float height = std::min(kbH, bottom - y);
      keyboard(frame, vm, m_shift, ImVec2(x, y), ImVec2(w, keyboardHeight(p, w, height)));
    } else {
      keyboard(frame, vm, m_shift, sideKeyboard,
               ImVec2(sideKeyboardSize.x, keyboardHeight(p, sideKeyboardSize.x, kbH)));
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
  line(p.t("maintenance.backend"), p.f(vm.backendStatus()));
  // Nothing configured: the status alone says so.
  const auto described = [](const std::string& description) {
    return description.empty() ? description : description + " · ";
  };
  line(p.t("maintenance.printer"), described(vm.printerDescription()) + p.f(vm.printerStatus()));
  line(p.t("maintenance.scanner"),
       (vm.scannerDescription.empty() ? p.t("maintenance.status.not_configured") + " · "
                                      : described(vm.scannerDescription)) +
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
  if (p.button("deflang",
               p.f({"maintenance.language",
                    {p.t(draft.language == Language::ZhCn ? "language.zh_cn" : "language.en")}}),
               ImVec2(x + 2 * (third + gap), y), ImVec2(third, bh), ui::Tone::Secondary)) {
    vm.toggleLanguage();
  }
  y += bh + gap;
  if (p.button("save", p.t("maintenance.save"), ImVec2(x, y), ImVec2(w, bh), ui::Tone::Primary)) {
    vm.saveSettings();
  }
  y += bh + gap;
  // The audit entries of this visit (what went to the backend), as a paged list: under the
  // fields in portrait (above the keyboard), under the keyboard in landscape.
  ImVec2 listPos;
  ImVec2 listSize;
  if (l.portrait) {
    const float kbHeight = keyboardHeight(p, w, kbH);
    const float kbTop = std::max(y + gap, bottom - kbHeight);
    keyboard(frame, vm, m_shift, ImVec2(x, kbTop), ImVec2(w, kbHeight));
    listPos = ImVec2(x, y);
    listSize = ImVec2(w, kbTop - gap - y);
  } else {
    const float kbHeight = keyboardHeight(p, sideKeyboardSize.x, kbH);
    keyboard(frame, vm, m_shift, sideKeyboard, ImVec2(sideKeyboardSize.x, kbHeight));
    listPos = ImVec2(sideKeyboard.x, sideKeyboard.y + kbHeight + gap);
    listSize = ImVec2(sideKeyboardSize.x, bottom - listPos.y);
  }
  const auto& log = vm.auditLog();
  if (log.empty() || listSize.y < p.fonts().small->FontSize) {
    return;
  }
  p.text(p.fonts().small, listPos, ui::colour::Text, p.t("maintenance.audit"));
  const float titleH = p.fonts().small->FontSize + l.px(8);
  const float rowH = p.fonts().small->FontSize + l.px(10);
  const auto visible =
      m_auditList.layout(p, "audit", ImVec2(listPos.x, listPos.y + titleH),
                         ImVec2(listSize.x, listSize.y - titleH), log.size(), rowH);
  for (std::size_t i = 0; i < visible.count; ++i) {
    const float ry = listPos.y + titleH + static_cast<float>(i) * rowH;
    p.drawList()->PushClipRect(ImVec2(listPos.x, ry),
                               ImVec2(listPos.x + visible.rowWidth, ry + rowH), true);
    p.text(p.fonts().small, ImVec2(listPos.x, ry), ui::colour::Muted, p.f(log[visible.first + i]));
    p.drawList()->PopClipRect();
  }
}

}  // namespace prepaid::kiosk::screens
