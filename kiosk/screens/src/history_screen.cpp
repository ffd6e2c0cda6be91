#include "prepaid/screens/frame.hpp"

namespace prepaid::kiosk::screens {

void HistoryScreen::draw(Frame& frame) {
  auto& p = frame.paint;
  const auto& l = p.layout();
  auto& vm = frame.session.account();
  const float x = frame.origin.x;
  const float w = frame.size.x;
  float y = frame.origin.y;
  p.text(p.fonts().large, ImVec2(x, y), ui::colour::Text, p.t("history.title"));
  if (!vm.printMessage().empty()) {
    const std::string message = p.f(vm.printMessage());
    const float mw = p.measure(p.fonts().body, message).x;
    p.text(p.fonts().body, ImVec2(x + w - mw, y + l.px(10)), ui::colour::Success, message);
  }
  if (vm.printing()) {
    frame.animating = true;
  }
  y += p.fonts().large->FontSize + l.px(30);
  const auto rows = vm.rechargeRows();
  if (rows.empty()) {
    p.text(p.fonts().body, ImVec2(x, y), ui::colour::Muted, p.t("history.none"));
    return;
  }
  const float rowH = l.target(140);
  const auto visible = m_list.layout(
      p, "history", ImVec2(x, y), ImVec2(w, frame.origin.y + frame.size.y - y), rows.size(), rowH);
  const float rw = visible.rowWidth;
  for (std::size_t i = 0; i < visible.count; ++i) {
    const auto& row = rows[visible.first + i];
    p.panel(ImVec2(x, y), ImVec2(rw, rowH - l.px(16)), ui::colour::Surface);
    const float ty = y + (rowH - l.px(16) - p.fonts().body->FontSize) / 2;
    p.text(p.fonts().body, ImVec2(x + l.px(24), ty), ui::colour::Text, row.time);
    p.text(p.fonts().body, ImVec2(x + rw * 0.30F, ty), ui::colour::Text,
           p.t(row.kindKey) + " · " + p.t(row.sourceKey));
    p.text(p.fonts().large,
           ImVec2(x + rw * 0.52F, y + (rowH - l.px(16) - p.fonts().large->FontSize) / 2),
           ui::colour::Text, "¥ " + row.amountYuan);
    // The reprint button fills the row's height less its margins, never under 64 px: the row
    // is a target (>= 64) plus the margins, so it never reaches into the next row.
    const float bw = l.target(240);
    const float bh = std::max(ui::MinTargetPx, rowH - l.px(16) - 2 * l.px(12));
    if (row.kindKey == "history.kind.recharge" &&
        p.button(joinId("reprint", row.entryId).c_str(), p.t("history.reprint"),
                 ImVec2(x + rw - bw - l.px(16), y + (rowH - l.px(16) - bh) / 2), ImVec2(bw, bh),
                 ui::Tone::Secondary, !vm.printing())) {
      vm.reprint(row.entryId);
    }
    y += rowH;
  }
}

}  // namespace prepaid::kiosk::screens
