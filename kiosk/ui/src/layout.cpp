#include "prepaid/ui/layout.hpp"

#include <cmath>

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

KeyGrid makeKeyGrid(std::size_t keys, int preferredColumns, float width, float height, float gap) {
  KeyGrid grid;
  const int count = static_cast<int>(std::max<std::size_t>(1, keys));
  const auto cellsFor = [&](int columns, float g) {
    return (width - g * static_cast<float>(columns - 1)) / static_cast<float>(columns);
  };
  int columns = std::clamp(preferredColumns, 1, count);
  float g = gap;
  // A narrower gap first (keys keep their familiar rows), then fewer columns.
  while (columns > 1 && cellsFor(columns, g) < MinTargetPx) {
    const float tight = std::max(gap / 4, (width - MinTargetPx * static_cast<float>(columns)) /
                                              static_cast<float>(columns - 1));
    if (tight < g && cellsFor(columns, tight) >= MinTargetPx - 0.01F) {
      g = tight;
      break;
    }
    g = gap;
    --columns;
  }
  grid.columns = columns;
  grid.rows = (count + columns - 1) / columns;
  grid.gap = g;
  grid.cellWidth = std::max(MinTargetPx, std::floor(cellsFor(columns, g) + 0.01F));
  const float rowsF = static_cast<float>(grid.rows);
  float rowGap = g;
  float cellH = (height - rowGap * (rowsF - 1)) / rowsF;
  if (cellH < MinTargetPx && grid.rows > 1) {
    // Same rule downwards: squeeze the row gap before overflowing the box.
    rowGap = std::max(gap / 4, (height - MinTargetPx * rowsF) / (rowsF - 1));
    cellH = (height - rowGap * (rowsF - 1)) / rowsF;
  }
  grid.rowGap = rowGap;
  grid.cellHeight = std::max(MinTargetPx, std::floor(cellH + 0.01F));
  return grid;
}

}  // namespace prepaid::kiosk::ui
