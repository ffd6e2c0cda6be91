#include "prepaid/screens/frame.hpp"

namespace prepaid::kiosk::screens {

void IdentifyScreen::draw(Frame& frame) {
  auto& p = frame.paint;
  const auto& l = p.layout();
  auto& vm = frame.session.identify();
  const bool pin = vm.step() == IdentifyViewModel::Step::Pin;
  if (pin) {
    m_letters = false;
  }
  const float gap = l.px(28);
  // Portrait: everything in one column. Landscape: text left, keypad right.
  const float leftW = l.portrait ? frame.size.x : frame.size.x * 0.48F;
  const float keypadX = l.portrait ? frame.origin.x + (frame.size.x - l.px(840)) / 2
                                   : frame.origin.x + leftW + l.px(60);
  const float keypadW = l.portrait ? l.px(840) : frame.size.x - leftW - l.px(60);
  float y = frame.origin.y;
  const float x = frame.origin.x;
  p.text(p.fonts().large, ImVec2(x, y), ui::colour::Text,
         p.t(pin ? "identify.pin_title" : "identify.title"));
  y += p.fonts().large->FontSize + gap;
  if (pin) {
    p.text(p.fonts().body, ImVec2(x, y), ui::colour::Muted,
           p.t("account.shop") + ": " + vm.shopNumber());
    y += p.fonts().body->FontSize + gap;
  }
  // The entry, large, in a white box.
  const float boxH = l.px(150);
  p.panel(ImVec2(x, y), ImVec2(leftW, boxH), ui::colour::Surface);
  p.text(p.fonts().huge, ImVec2(x + l.px(30), y + (boxH - p.fonts().huge->FontSize) / 2),
         ui::colour::Text, vm.display());
  y += boxH + gap;
  if (!vm.message().empty()) {
    const bool bad =
        vm.message().key != "identify.searching" && vm.message().key != "identify.enter_pin";
    y += p.textWrapped(p.fonts().body, ImVec2(x, y), leftW,
                       bad ? ui::colour::Danger : ui::colour::Muted, p.f(vm.message()));
    y += gap;
  }
  if (vm.busy()) {
    frame.animating = true;
  }
  if (!pin) {
    y += p.textWrapped(p.fonts().body, ImVec2(x, y), leftW, ui::colour::Muted,
                       p.t("identify.scan_hint"));
    y += gap;
  }
  const float keypadY = l.portrait ? y + gap : frame.origin.y;
  const float actionH = l.target(130);
  const float keypadH =
      l.portrait ? std::min(l.px(820), frame.origin.y + frame.size.y - keypadY - actionH - gap)
                 : frame.size.y - actionH - gap;
  std::optional<char> key;
  if (m_letters) {
    key = p.keypad("letters", ImVec2(keypadX, keypadY), ImVec2(keypadW, keypadH),
                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ-<", 7, p.fonts().large);
  } else {
    key = p.keypad("digits", ImVec2(keypadX, keypadY), ImVec2(keypadW, keypadH),
                   pin ? "123456789 0<" : "123456789-0<", 3, p.fonts().huge);
  }
  if (key) {
    if (*key == '<') {
      vm.backspace();
    } else {
      vm.key(*key);
    }
  }
  const float actionY = keypadY + keypadH + gap;
  const float third = (keypadW - 2 * gap) / 3;
  if (!pin) {
    if (p.button("mode", p.t(m_letters ? "identify.digits" : "identify.letters"),
                 ImVec2(keypadX, actionY), ImVec2(third, actionH), ui::Tone::Secondary)) {
      m_letters = !m_letters;
    }
  } else if (p.button("backshop", p.t("nav.back"), ImVec2(keypadX, actionY), ImVec2(third, actionH),
                      ui::Tone::Secondary)) {
    vm.backToShopNumber();
  }
  if (p.button("clear", p.t("identify.clear"), ImVec2(keypadX + third + gap, actionY),
               ImVec2(third, actionH), ui::Tone::Secondary)) {
    vm.clear();
  }
  if (p.button("ok", p.t("identify.ok"), ImVec2(keypadX + 2 * (third + gap), actionY),
               ImVec2(third, actionH), ui::Tone::Primary, vm.canSubmit(), p.fonts().large)) {
    vm.submit();
  }
  if (pin) {
    // Paying in needs no PIN (DOMAIN.md): offer it plainly.
    const float skipY = l.portrait ? actionY + actionH + gap : y;
    const float skipX = l.portrait ? keypadX : x;
    const float skipW = l.portrait ? keypadW : leftW;
    if (p.button("skip", p.t("identify.skip_pin"), ImVec2(skipX, skipY),
                 ImVec2(skipW, l.target(110)), ui::Tone::Secondary, !vm.busy())) {
      vm.skipPin();
    }
  }
}

}  // namespace prepaid::kiosk::screens
