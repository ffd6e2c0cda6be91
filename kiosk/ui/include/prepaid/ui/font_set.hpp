#pragma once

// The kiosk's fonts: one CJK face (fonts-wqy-microhei by default) rasterised by FreeType at four
// sizes, holding exactly the glyphs of GlyphSet. require() grows the set; when it reports new
// characters the frame loop rebuilds the atlas (and the GL texture) before presenting.

#include <expected>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <imgui.h>

#include "prepaid/ui/glyph_set.hpp"

namespace prepaid::kiosk::ui {

inline constexpr const char* DefaultFontPath = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";

class FontSet {
 public:
  explicit FontSet(std::filesystem::path fontFile);

  /// Makes sure the glyphs of `text` will be in the atlas; true when a rebuild is needed.
  bool require(std::string_view text);
  void requireAll(const std::vector<std::string>& texts);
  [[nodiscard]] bool dirty() const { return m_dirty; }
  /// Rebuilds ImGui's font atlas for `scale` (design sizes 28/36/52/88 px). The caller must
  /// recreate the renderer's font texture afterwards. Falls back to ImGui's default font (and
  /// returns the error) when the font file cannot be loaded, so the kiosk still shows something.
  std::expected<void, std::string> build(float scale);
  [[nodiscard]] float scale() const { return m_scale; }
  [[nodiscard]] std::size_t glyphCount() const { return m_glyphs.codePoints().size(); }
  [[nodiscard]] const GlyphSet& glyphs() const { return m_glyphs; }

  ImFont* small = nullptr;
  ImFont* body = nullptr;
  ImFont* large = nullptr;
  ImFont* huge = nullptr;

 private:
  std::filesystem::path m_fontFile;
  GlyphSet m_glyphs;
  ImVector<ImWchar> m_ranges;
  bool m_dirty = true;
  float m_scale = 0;
};

}  // namespace prepaid::kiosk::ui
