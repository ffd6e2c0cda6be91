#include "prepaid/ui/painter.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "prepaid/ui/qr_matrix.hpp"
#include "prepaid/ui/value_axis.hpp"

namespace prepaid::kiosk::ui {

namespace {
ImDrawCallback g_solidFill = nullptr;  // set once by the frame loop before the first frame
}  // namespace

void setSolidFill(ImDrawCallback callback) {
  g_solidFill = callback;
}

std::string Painter::t(const std::string& key) const {
  return m_catalog.text(m_language, key);
}

std::string Painter::f(const Message& message) const {
  return m_catalog.format(m_language, message);
}

ImDrawList* Painter::drawList() const {
  return ImGui::GetWindowDrawList();
}

ImVec2 Painter::measure(ImFont* font, std::string_view text) {
  m_fonts.require(text, font);
  return font->CalcTextSizeA(font->FontSize, 1e9F, 0.0F, text.data(), text.data() + text.size());
}

void Painter::text(ImFont* font, ImVec2 pos, ImU32 colour, std::string_view text) {
  m_fonts.require(text, font);
  m_texts.emplace_back(text);
  m_textBoxes.push_back(TextBox{pos, font->CalcTextSizeA(font->FontSize, 1e9F, 0.0F, text.data(),
                                                         text.data() + text.size())});
  drawList()->AddText(font, font->FontSize, pos, colour, text.data(), text.data() + text.size());
}

void Painter::textCentred(ImFont* font, float x, float width, float y, ImU32 colour,
                          std::string_view text) {
  const ImVec2 size = measure(font, text);
  this->text(font, ImVec2(x + std::max(0.0F, (width - size.x) / 2), y), colour, text);
}

float Painter::textWrapped(ImFont* font, ImVec2 pos, float width, ImU32 colour,
                           std::string_view text) {
  m_fonts.require(text, font);
  const ImVec2 size =
      font->CalcTextSizeA(font->FontSize, 1e9F, width, text.data(), text.data() + text.size());
  drawList()->AddText(font, font->FontSize, pos, colour, text.data(), text.data() + text.size(),
                      width);
  m_texts.emplace_back(text);
  m_textBoxes.push_back(TextBox{pos, size});
  return size.y;
}

void Painter::panel(ImVec2 pos, ImVec2 size, ImU32 fill, float rounding) {
  auto* dl = drawList();
  const float radius = m_layout.px(rounding);
  const bool opaque = (fill & IM_COL32_A_MASK) == IM_COL32_A_MASK;
  if (g_solidFill == nullptr || !opaque || size.x * size.y < SolidFillMinPixels ||
      size.x < 4 * radius || size.y < 4 * radius) {
    dl->AddRectFilled(pos, ImVec2(pos.x + size.x, pos.y + size.y), fill, radius);
    return;
  }
  // Whole pixels (a scissor is integral): what the rasteriser covers of the fractional
  // rectangle anyway (pixel centres inside).
  const float x0 = std::round(pos.x);
  const float y0 = std::round(pos.y);
  const float x1 = std::round(pos.x + size.x);
  const float y1 = std::round(pos.y + size.y);
  const float r = std::ceil(radius);
  auto solid = [&](ImVec2 a, ImVec2 b) {
    dl->PushClipRect(a, b, true);
    dl->AddCallback(g_solidFill, reinterpret_cast<void*>(static_cast<std::uintptr_t>(fill)));
    dl->PopClipRect();
  };
  // A cross of two solid rectangles, and the four rounded corners drawn by ImGui.
  solid(ImVec2(x0, y0 + r), ImVec2(x1, y1 - r));
  if (r > 0) {
    solid(ImVec2(x0 + r, y0), ImVec2(x1 - r, y0 + r));
    solid(ImVec2(x0 + r, y1 - r), ImVec2(x1 - r, y1));
    dl->AddRectFilled(ImVec2(x0, y0), ImVec2(x0 + r, y0 + r), fill, r,
                      ImDrawFlags_RoundCornersTopLeft);
    dl->AddRectFilled(ImVec2(x1 - r, y0), ImVec2(x1, y0 + r), fill, r,
                      ImDrawFlags_RoundCornersTopRight);
    dl->AddRectFilled(ImVec2(x0, y1 - r), ImVec2(x0 + r, y1), fill, r,
                      ImDrawFlags_RoundCornersBottomLeft);
    dl->AddRectFilled(ImVec2(x1 - r, y1 - r), ImVec2(x1, y1), fill, r,
                      ImDrawFlags_RoundCornersBottomRight);
  }
}

bool Painter::button(const char* id, std::string_view label, ImVec2 pos, ImVec2 size, Tone tone,
                     bool enabled, ImFont* font) {
  size.x = std::max(size.x, 64.0F);
  size.y = std::max(size.y, 64.0F);
  font = font != nullptr ? font : m_fonts.body;
  ImGui::SetCursorScreenPos(pos);
  ImGui::PushID(id);
  const bool released = ImGui::InvisibleButton("##b", size);
  const bool held = enabled && ImGui::IsItemActive();
  ImGui::PopID();
  m_pressing = m_pressing || held;
  ImU32 fill = colour::Primary;
  ImU32 pressed = colour::PrimaryPressed;
  ImU32 ink = colour::Surface;
  switch (tone) {
    case Tone::Primary:
      break;
    case Tone::Secondary:
      fill = colour::Secondary;
      pressed = colour::SecondaryPressed;
      ink = colour::Text;
      break;
    case Tone::Danger:
      fill = colour::Danger;
      pressed = colour::DangerPressed;
      break;
    case Tone::Selected:
      fill = colour::Success;
      pressed = colour::rgb(0x1B4D1E);
      break;
  }
  if (!enabled) {
    fill = colour::Disabled;
    ink = colour::Muted;
  }
  // Press feedback: darker, and the face sinks by a few pixels.
  m_targets.push_back(Target{m_idPrefix + id, std::string(label), pos, size, enabled});
  const float sink = held ? m_layout.px(4) : 0.0F;
  const ImVec2 a(pos.x, pos.y + sink);
  const ImVec2 b(pos.x + size.x, pos.y + size.y + sink);
  if (!held) {
    drawList()->AddRectFilled(ImVec2(pos.x, pos.y + m_layout.px(4)),
                              ImVec2(b.x, b.y + m_layout.px(4)), colour::rgb(0x000000, 40),
                              m_layout.px(14));
  }
  drawList()->AddRectFilled(a, b, held ? pressed : fill, m_layout.px(14));
  // A label that does not fit (long English words) steps down a font size rather than spill.
  ImVec2 textSize = measure(font, label);
  for (ImFont* smaller : {m_fonts.body, m_fonts.small}) {
    if (textSize.x <= size.x - m_layout.px(24) || smaller->FontSize >= font->FontSize) {
      continue;
    }
    font = smaller;
    textSize = measure(font, label);
  }
  text(font, ImVec2(a.x + (size.x - textSize.x) / 2, a.y + (size.y - textSize.y) / 2), ink, label);
  return released && enabled;
}

bool Painter::area(const char* id, ImVec2 pos, ImVec2 size) {
  ImGui::SetCursorScreenPos(pos);
  ImGui::PushID(id);
  const bool released = ImGui::InvisibleButton("##a", size);
  ImGui::PopID();
  m_targets.push_back(Target{m_idPrefix + id, "", pos, size, true});
  return released;
}

KeyGrid Painter::keyGrid(std::size_t keys, int columns, ImVec2 size) const {
  return makeKeyGrid(keys, columns, size.x, size.y, m_layout.px(14));
}

std::optional<char> Painter::keypad(const char* id, ImVec2 pos, ImVec2 size, std::string_view keys,
                                    int columns, ImFont* font) {
  const KeyGrid grid = keyGrid(keys.size(), columns, size);
  const float w = grid.cellWidth;
  const float h = grid.cellHeight;
  std::optional<char> pressed;
  ImGui::PushID(id);
  m_idPrefix = std::string(id) + ":";
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const char key = keys[i];
    if (key == ' ') {
      continue;
    }
    const int row = static_cast<int>(i) / grid.columns;
    const int col = static_cast<int>(i) % grid.columns;
    const ImVec2 at(pos.x + static_cast<float>(col) * (w + grid.gap),
                    pos.y + static_cast<float>(row) * (h + grid.rowGap));
    const std::string label = key == '<' ? "⌫" : std::string(1, key);
    const char keyId[2] = {key, 0};
    const bool isBack = key == '<';
    if (button(keyId, isBack ? std::string("<-") : label, at, ImVec2(w, h), Tone::Secondary, true,
               font != nullptr ? font : m_fonts.large)) {
      pressed = key;
    }
  }
  m_idPrefix.clear();
  ImGui::PopID();
  return pressed;
}

void Painter::qr(std::string_view text, ImVec2 pos, float side) {
  if (text != m_qrText) {
    m_qrText = std::string(text);
    auto matrix = encodeQr(text);
    m_qr = matrix ? std::optional(std::make_pair(matrix->size, matrix->dark)) : std::nullopt;
  }
  auto* dl = drawList();
  dl->AddRectFilled(pos, ImVec2(pos.x + side, pos.y + side), colour::Surface);
  if (!m_qr) {
    return;
  }
  const int modules = m_qr->first + 8;  // quiet zone of 4 on each side
  // Whole pixels per module so a camera sees crisp edges.
  const float module = std::floor(side / static_cast<float>(modules));
  const float offset = (side - module * static_cast<float>(m_qr->first)) / 2;
  for (int y = 0; y < m_qr->first; ++y) {
    for (int x = 0; x < m_qr->first; ++x) {
      if (m_qr->second[static_cast<std::size_t>(y * m_qr->first + x)] != 0) {
        const ImVec2 a(std::floor(pos.x + offset + static_cast<float>(x) * module),
                       std::floor(pos.y + offset + static_cast<float>(y) * module));
        dl->AddRectFilled(a, ImVec2(a.x + module, a.y + module), IM_COL32(0, 0, 0, 255));
      }
    }
  }
}

void Painter::chart(const ChartModel& chart, ImVec2 pos, ImVec2 size) {
  auto* dl = drawList();
  ImFont* small = m_fonts.small;
  // The axis covers the tallest bar as drawn: the stacked rates when they add up to more than
  // the reported total (inconsistent data must not spill above the plot).
  std::int64_t maxUnits = 0;
  for (const auto& bar : chart.bars) {
    std::int64_t stacked = 0;
    for (const std::int64_t part : bar.byRate) {
      stacked += std::max<std::int64_t>(0, std::min(part, ValueAxis::MaxUnits));
    }
    maxUnits = std::max({maxUnits, bar.total, stacked});
  }
  // Fen and 0.01 kWh / 0.01 m³ alike: two decimals of the displayed unit.
  const ValueAxis axis = ValueAxis::forMaximum(maxUnits, 2);
  float labelsWidth = 0;
  for (const auto& label : axis.labels()) {
    labelsWidth = std::max(labelsWidth, measure(small, label).x);
  }
  const float axisWidth = labelsWidth + m_layout.px(16);
  const float legendHeight = small->FontSize + m_layout.px(24);
  const float labelHeight = small->FontSize + m_layout.px(12);
  const ImVec2 plot0(pos.x + axisWidth, pos.y + legendHeight);
  const ImVec2 plot1(pos.x + size.x, pos.y + size.y - labelHeight);
  const float plotH = plot1.y - plot0.y;
  // Legend: sharp, peak, flat, valley.
  const char* rateKeys[4] = {"rate.sharp", "rate.peak", "rate.flat", "rate.valley"};
  float lx = plot0.x;
  for (std::size_t i = 0; i < 4; ++i) {
    const float box = small->FontSize * 0.8F;
    dl->AddRectFilled(ImVec2(lx, pos.y + m_layout.px(6)),
                      ImVec2(lx + box, pos.y + m_layout.px(6) + box), colour::Rates[i], 4);
    const std::string label = t(rateKeys[i]);
    text(small, ImVec2(lx + box + m_layout.px(8), pos.y), colour::Text, label);
    lx += box + measure(small, label).x + m_layout.px(36);
  }
  // Value axis: a gridline and a label at each nice tick, evenly spaced up to the top tick.
  const std::int64_t axisMax = axis.top();
  const auto intervals = static_cast<float>(axis.ticks().size() - 1);
  for (std::size_t i = 0; i < axis.ticks().size(); ++i) {
    const float y = plot1.y - plotH * static_cast<float>(i) / intervals;
    // Whole-pixel rectangles, not lines: crisp at any scale, two triangles, no AA fringe.
    const float thickness = i == 0 ? std::max(2.0F, std::round(m_layout.px(2))) : 1.0F;
    const float top = std::floor(y - thickness / 2);
    dl->AddRectFilled(ImVec2(std::floor(plot0.x), top), ImVec2(std::ceil(plot1.x), top + thickness),
                      i == 0 ? colour::Text : colour::rgb(0xC9D1DB));
    const std::string& value = axis.labels()[i];
    const float w = measure(small, value).x;
    text(small, ImVec2(plot0.x - w - m_layout.px(10), y - small->FontSize / 2), colour::Muted,
         value);
  }
  if (maxUnits <= 0) {
    // No bars (no readings) or only zero bars (readings, nothing used): say which.
    textCentred(m_fonts.large, plot0.x, plot1.x - plot0.x, plot0.y + plotH / 2, colour::Muted,
                t(chart.bars.empty() ? "usage.empty" : "usage.none"));
  }
  if (chart.bars.empty()) {
    return;
  }
  const float slot = (plot1.x - plot0.x) / static_cast<float>(chart.bars.size());
  const float barW = std::max(2.0F, slot * 0.7F);
  // Label every n-th bar so labels never overlap.
  const float labelW = measure(small, chart.bars.front().label).x + m_layout.px(12);
  const std::size_t every =
      std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(labelW / slot)));
  const bool valuesOnTop = chart.bars.size() <= 12;
  for (std::size_t i = 0; i < chart.bars.size(); ++i) {
    const auto& bar = chart.bars[i];
    const float x = plot0.x + slot * static_cast<float>(i) + (slot - barW) / 2;
    float y = plot1.y;
    for (std::size_t r = 0; r < 4; ++r) {
      if (bar.byRate[r] <= 0) {
        continue;
      }
      // Clipped to the plot: only a value above ValueAxis::MaxUnits can reach past the top.
      const float h = std::min(
          y - plot0.y, plotH * static_cast<float>(bar.byRate[r]) / static_cast<float>(axisMax));
      dl->AddRectFilled(ImVec2(x, y - h), ImVec2(x + barW, y), colour::Rates[r]);
      y -= h;
    }
    if (valuesOnTop && bar.total > 0) {
      const std::string value = yuanText(bar.total);
      const float w = measure(small, value).x;
      text(small, ImVec2(x + barW / 2 - w / 2, y - small->FontSize - m_layout.px(4)), colour::Text,
           value);
    }
    if (i % every == 0) {
      const float w = measure(small, bar.label).x;
      text(small, ImVec2(x + barW / 2 - w / 2, plot1.y + m_layout.px(6)), colour::Text, bar.label);
    }
  }
}

}  // namespace prepaid::kiosk::ui
