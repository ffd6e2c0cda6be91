#include "prepaid/screens/scroll_list.hpp"

#include <algorithm>
#include <string>

namespace prepaid::kiosk::screens {

ScrollList::Visible ScrollList::layout(ui::Painter& paint, const char* id, ImVec2 pos, ImVec2 size,
                                       std::size_t rows, float rowHeight) {
  Visible visible;
  const auto& l = paint.layout();
  const auto fit = static_cast<std::size_t>(std::max(0.0F, size.y / std::max(1.0F, rowHeight)));
  const float gap = l.px(16);
  if (rows <= fit || size.y < 2 * ui::MinTargetPx + gap) {
    // All fit, or no room for the page buttons: the first rows that fit.
    m_first = 0;
    visible.count = std::min(rows, fit);
    visible.rowWidth = size.x;
    return visible;
  }
  // The page buttons take a column on the right; each at least a touch target high, so a list
  // box lower than two targets shows the buttons and as many rows as fit beside them.
  const float buttonW = l.target(150);
  const float buttonH = std::max(ui::MinTargetPx, std::min(l.target(140), (size.y - gap) / 2));
  const std::size_t page = fit;
  const std::size_t step = std::max<std::size_t>(1, page);
  m_first = std::min(m_first, rows - std::min(rows, step));
  const float bx = pos.x + size.x - buttonW;
  const std::string up = std::string(id) + "up";
  const std::string down = std::string(id) + "down";
  if (paint.button(up.c_str(), paint.t("list.previous"), ImVec2(bx, pos.y),
                   ImVec2(buttonW, buttonH), ui::Tone::Secondary, m_first > 0)) {
    m_first -= std::min(m_first, step);
  }
  const bool more = m_first + page < rows;
  if (paint.button(down.c_str(), paint.t("list.next"), ImVec2(bx, pos.y + buttonH + gap),
                   ImVec2(buttonW, buttonH), ui::Tone::Secondary, more)) {
    m_first = std::min(rows - 1, m_first + step);
  }
  visible.first = m_first;
  visible.count = std::min(page, rows - m_first);
  visible.rowWidth = size.x - buttonW - gap;
  return visible;
}

}  // namespace prepaid::kiosk::screens
