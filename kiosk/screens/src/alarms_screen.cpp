#include <algorithm>

#include "prepaid/screens/frame.hpp"

namespace prepaid::kiosk::screens {

void AlarmsScreen::draw(Frame& frame) {
  auto& p = frame.paint;
  const auto& l = p.layout();
  const float x = frame.origin.x;
  const float w = frame.size.x;
  float y = frame.origin.y;
  p.text(p.fonts().large, ImVec2(x, y), ui::colour::Text, p.t("alarms.title"));
  y += p.fonts().large->FontSize + l.px(30);
  const auto rows = frame.session.account().alarmRows();
  if (rows.empty()) {
    p.text(p.fonts().body, ImVec2(x, y), ui::colour::Muted, p.t("alarms.none"));
    return;
  }
  const float rowH = std::max(l.px(120), p.fonts().body->FontSize + l.px(40));
  const auto visible = m_list.layout(
      p, "alarms", ImVec2(x, y), ImVec2(w, frame.origin.y + frame.size.y - y), rows.size(), rowH);
  const float rw = visible.rowWidth;
  for (std::size_t i = 0; i < visible.count; ++i) {
    const auto& row = rows[visible.first + i];
    p.panel(ImVec2(x, y), ImVec2(rw, rowH - l.px(16)), ui::colour::Surface);
    p.panel(ImVec2(x, y), ImVec2(l.px(16), rowH - l.px(16)), ui::colour::Danger, 4);
    const float ty = y + (rowH - l.px(16) - p.fonts().body->FontSize) / 2;
    p.text(p.fonts().body, ImVec2(x + l.px(40), ty), ui::colour::Text, p.t(row.kindKey));
    p.text(p.fonts().body, ImVec2(x + rw * 0.45F, ty), ui::colour::Muted,
           p.t("account.meter") + " " + row.meterSerial);
    p.text(p.fonts().body, ImVec2(x + rw * 0.72F, ty), ui::colour::Muted, row.raisedAt);
    y += rowH;
  }
}

}  // namespace prepaid::kiosk::screens
