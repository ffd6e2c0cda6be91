#pragma once

// Screen geometry: portrait 1080x1920 and landscape 1920x1080 are the design sizes; anything
// else scales from the nearer one. Touch targets never go below 64 physical pixels.

#include <algorithm>

namespace prepaid::kiosk::ui {

struct Layout {
  float width = 1080;
  float height = 1920;
  bool portrait = true;
  float scale = 1.0F;

  /// Design pixels -> physical pixels.
  [[nodiscard]] float px(float designPixels) const { return designPixels * scale; }
  /// A touch target size in physical pixels: scaled, but at least 64.
  [[nodiscard]] float target(float designPixels) const {
    return std::max(64.0F, designPixels * scale);
  }
};

/// The layout of a `width` x `height` window.
[[nodiscard]] Layout makeLayout(float width, float height);

}  // namespace prepaid::kiosk::ui
