#include "prepaid/ui/layout.hpp"

namespace prepaid::kiosk::ui {

Layout makeLayout(float width, float height) {
  Layout layout;
  layout.width = std::max(1.0F, width);
  layout.height = std::max(1.0F, height);
  layout.portrait = layout.height >= layout.width;
  const float designW = layout.portrait ? 1080.0F : 1920.0F;
  const float designH = layout.portrait ? 1920.0F : 1080.0F;
  layout.scale = std::min(layout.width / designW, layout.height / designH);
  return layout;
}

}  // namespace prepaid::kiosk::ui
