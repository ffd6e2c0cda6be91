#include "prepaid/screens/frame.hpp"

namespace prepaid::kiosk::screens {

void AttractScreen::draw(Frame& frame) {
  auto& p = frame.paint;
  const auto& l = p.layout();
  const float x = frame.origin.x;
  const float w = frame.size.x;
  float y = frame.origin.y + frame.size.y * 0.12F;
  p.textCentred(p.fonts().huge, x, w, y, ui::colour::Text, frame.clockText);
  y += p.fonts().huge->FontSize + l.px(16);
  p.textCentred(p.fonts().body, x, w, y, ui::colour::Muted, frame.dateText);
  y += p.fonts().body->FontSize + l.px(80);
  p.textCentred(p.fonts().large, x, w, y, ui::colour::Text, p.t("site.welcome"));
  y += p.fonts().large->FontSize + l.px(30);
  p.textCentred(p.fonts().body, x, w, y, ui::colour::Muted, p.t("attract.hint"));
  y += p.fonts().body->FontSize + l.px(80);
  // The whole lower area starts: a tenant may touch anywhere.
  const float bottom = frame.origin.y + frame.size.y;
  if (p.button("start", p.t("attract.touch"), ImVec2(x, y), ImVec2(w, bottom - y),
               ui::Tone::Primary, true, p.fonts().huge)) {
    frame.session.startIdentify();
  }
}

}  // namespace prepaid::kiosk::screens
