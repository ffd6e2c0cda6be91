#pragma once

// Screen geometry: portrait 1080x1920 and landscape 1920x1080 are the design sizes; anything
// else scales from the nearer one. Touch targets never go below 64 physical pixels: sizes are
// computed from the space available (a key grid reflows to fewer columns), never enlarged in
// place, so two targets never overlap.

#include <algorithm>
#include <cstddef>

namespace prepaid::kiosk::ui {

/// The smallest touch target side in physical pixels.
inline constexpr float MinTargetPx = 64.0F;

struct Layout {
  float width = 1080;
  float height = 1920;
  bool portrait = true;
  float scale = 1.0F;

  /// Design pixels -> physical pixels.
  [[nodiscard]] float px(float designPixels) const { return designPixels * scale; }
  /// A touch target size in physical pixels: scaled, but at least 64.
  [[nodiscard]] float target(float designPixels) const {
    return std::max(MinTargetPx, designPixels * scale);
  }
};

/// The layout of a `width` x `height` window.
[[nodiscard]] Layout makeLayout(float width, float height);

/// A grid of equal keys placed in a width x height box.
struct KeyGrid {
  int columns = 1;
  int rows = 1;
  float cellWidth = MinTargetPx;
  float cellHeight = MinTargetPx;
  float gap = 0;     // between columns
  float rowGap = 0;  // between rows
  /// Height the grid takes (may exceed the box height when even 64 px rows do not fit; the
  /// caller then has to give it more room).
  [[nodiscard]] float height() const {
    return static_cast<float>(rows) * cellHeight + static_cast<float>(rows - 1) * rowGap;
  }
  [[nodiscard]] float width() const {
    return static_cast<float>(columns) * cellWidth + static_cast<float>(columns - 1) * gap;
  }
};

/// Lays out `keys` keys in at most `preferredColumns` columns in a `width` x `height` box:
/// fewer columns (more rows) when the preferred ones would be narrower than 64 px; cells fill
/// the box but never go below 64 px on either side; gaps shrink to no less than a quarter of
/// `gap` before columns are dropped or the grid grows taller than the box.
[[nodiscard]] KeyGrid makeKeyGrid(std::size_t keys, int preferredColumns, float width, float height,
                                  float gap);

}  // namespace prepaid::kiosk::ui
