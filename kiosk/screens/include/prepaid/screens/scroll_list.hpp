#pragma once

// A list taller than its box: the rows that fit, and "previous page" / "next page" touch buttons
// (>= 64 px) in a column on the right when there are more. Kiosk screens have no drag
// scrolling (a tenant taps, a held finger is a press), so paging is by buttons.

#include <cstddef>

#include <imgui.h>

#include "prepaid/ui/painter.hpp"

namespace prepaid::kiosk::screens {

class ScrollList {
 public:
  struct Visible {
    std::size_t first = 0;  // index of the first row shown
    std::size_t count = 0;  // rows shown
    float rowWidth = 0;     // room left for a row (the page buttons take the right edge)
  };
  /// Lays out `rows` rows of `rowHeight` px in the box; draws the page buttons when they do not
  /// all fit. Ids are prefixed with `id`.
  Visible layout(ui::Painter& paint, const char* id, ImVec2 pos, ImVec2 size, std::size_t rows,
                 float rowHeight);
  /// Back to the first row (a new list).
  void reset() { m_first = 0; }

 private:
  std::size_t m_first = 0;
};

}  // namespace prepaid::kiosk::screens
