#pragma once

// Touch widgets drawn with ImGui's draw list inside the full-screen root window: text that
// registers its glyphs, big buttons with press feedback, keypads, a QR code, the usage chart.
// Positions are physical pixels; sizes of touch targets go through Layout::target (>= 64 px).

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include <imgui.h>

#include "prepaid/ui/catalog.hpp"
#include "prepaid/ui/font_set.hpp"
#include "prepaid/ui/layout.hpp"
#include "prepaid/viewmodels/usage_view_model.hpp"

namespace prepaid::kiosk::ui {

namespace colour {
inline constexpr ImU32 rgb(std::uint32_t hex, std::uint8_t alpha = 255) {
  return IM_COL32((hex >> 16) & 0xFF, (hex >> 8) & 0xFF, hex & 0xFF, alpha);
}
inline constexpr ImU32 Background = rgb(0xF3F5F8);
inline constexpr ImU32 Surface = rgb(0xFFFFFF);
inline constexpr ImU32 Text = rgb(0x1B1F24);
inline constexpr ImU32 Muted = rgb(0x5F6B7A);
inline constexpr ImU32 Primary = rgb(0x1565C0);
inline constexpr ImU32 PrimaryPressed = rgb(0x0B3C78);
inline constexpr ImU32 Secondary = rgb(0xE1E7EF);
inline constexpr ImU32 SecondaryPressed = rgb(0xA9B6C6);
inline constexpr ImU32 Danger = rgb(0xC62828);
inline constexpr ImU32 DangerPressed = rgb(0x7F1010);
inline constexpr ImU32 Success = rgb(0x2E7D32);
inline constexpr ImU32 Banner = rgb(0xB71C1C);
inline constexpr ImU32 Header = rgb(0x0D47A1);
inline constexpr ImU32 Disabled = rgb(0xCFD6DE);
inline constexpr std::array<ImU32, 4> Rates = {rgb(0xD32F2F), rgb(0xF57C00), rgb(0x1976D2),
                                               rgb(0x388E3C)};
}  // namespace colour

enum class Tone { Primary, Secondary, Danger, Selected };

/// How large opaque panels are filled. ImGui draws every rectangle as textured, blended
/// triangles, and a software rasteriser (Mesa llvmpipe, a kiosk PC without a GPU) pays for each
/// pixel of that; a panel behind a chart is half a frame's pixels. The frame loop may install a
/// renderer callback that fills a draw command's clip rectangle with the solid colour held in
/// UserCallbackData (an ImU32): see gl_solid_fill.hpp. nullptr (the default): AddRectFilled.
void setSolidFill(ImDrawCallback callback);
/// Panels at least this large (pixels) and opaque use the solid fill when one is installed.
inline constexpr float SolidFillMinPixels = 40000;

class Painter {
 public:
  Painter(FontSet& fonts, const Catalog& catalog, Layout layout, Language language)
      : m_fonts(fonts), m_catalog(catalog), m_layout(layout), m_language(language) {}

  [[nodiscard]] const Layout& layout() const { return m_layout; }
  [[nodiscard]] FontSet& fonts() { return m_fonts; }
  [[nodiscard]] Language language() const { return m_language; }
  /// Translated text of a key / a message.
  [[nodiscard]] std::string t(const std::string& key) const;
  [[nodiscard]] std::string f(const Message& message) const;
  [[nodiscard]] ImDrawList* drawList() const;

  [[nodiscard]] ImVec2 measure(ImFont* font, std::string_view text);
  void text(ImFont* font, ImVec2 pos, ImU32 colour, std::string_view text);
  /// Centred horizontally in [x, x + width].
  void textCentred(ImFont* font, float x, float width, float y, ImU32 colour,
                   std::string_view text);
  /// Wrapped to `width`; returns the height used.
  float textWrapped(ImFont* font, ImVec2 pos, float width, ImU32 colour, std::string_view text);
  /// A filled rounded rectangle (a background: drawn before what lies on it).
  void panel(ImVec2 pos, ImVec2 size, ImU32 fill, float rounding = 16);

  /// A touch button; true when released over it. Drawn darker and offset while pressed.
  bool button(const char* id, std::string_view label, ImVec2 pos, ImVec2 size,
              Tone tone = Tone::Primary, bool enabled = true, ImFont* font = nullptr);
  /// An invisible touch area (a text field); true when released over it.
  bool area(const char* id, ImVec2 pos, ImVec2 size);
  /// The grid keypad() draws for `keys` keys in `size` (columns reflow so keys stay >= 64 px):
  /// callers use its height() to place what follows.
  [[nodiscard]] KeyGrid keyGrid(std::size_t keys, int columns, ImVec2 size) const;
  /// A grid of keys (keyGrid()); returns the key released. `keys` holds one char per key: '<' is
  /// drawn as backspace, ' ' leaves a gap.
  std::optional<char> keypad(const char* id, ImVec2 pos, ImVec2 size, std::string_view keys,
                             int columns, ImFont* font = nullptr);
  /// A QR code with a quiet zone of 4 modules, `side` pixels square.
  void qr(std::string_view text, ImVec2 pos, float side);
  /// Stacked bar chart with value axis, bar labels and a rate legend.
  void chart(const ChartModel& chart, ImVec2 pos, ImVec2 size);

  /// True when any button is held this frame (the frame loop keeps rendering for feedback).
  [[nodiscard]] bool pressing() const { return m_pressing; }

  /// What this frame drew, for the e2e test's map of the screen (--ui-map): every touch
  /// target with its id and rectangle, and every text.
  struct Target {
    std::string id;  // "ok", "digits:1", "preset10000", …
    std::string label;
    ImVec2 pos;
    ImVec2 size;
    bool enabled = true;
  };
  [[nodiscard]] const std::vector<Target>& targets() const { return m_targets; }
  [[nodiscard]] const std::vector<std::string>& texts() const { return m_texts; }
  /// Where each of texts() was drawn (same order): its top-left corner and size in pixels.
  struct TextBox {
    ImVec2 pos;
    ImVec2 size;
  };
  [[nodiscard]] const std::vector<TextBox>& textBoxes() const { return m_textBoxes; }

 private:
  FontSet& m_fonts;
  const Catalog& m_catalog;
  Layout m_layout;
  Language m_language;
  bool m_pressing = false;
  std::string m_idPrefix;  // the keypad a key belongs to
  std::vector<Target> m_targets;
  std::vector<std::string> m_texts;
  std::vector<TextBox> m_textBoxes;
  std::string m_qrText;  // cache: encoding once per payment, not per frame
  std::optional<std::pair<int, std::vector<std::uint8_t>>> m_qr;
};

}  // namespace prepaid::kiosk::ui
