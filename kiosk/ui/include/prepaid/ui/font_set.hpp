#pragma once

// The kiosk's fonts: one CJK face (fonts-wqy-microhei by default) rasterised by FreeType at four
// sizes, holding exactly the glyphs of GlyphSet. require() grows the set; when it reports new
// characters the frame loop rebuilds the atlas (and the GL texture) before presenting.
//
// Characters the face lacks, and characters above U+FFFF (ImGui 1.86's ImWchar is 16 bits), are
// never asked of FreeType (no .notdef box): ImGui draws its fallback glyph for them, which is
// the face's U+FFFD replacement character (or '?' when the face has none), and each such
// character is logged once.

#include <array>
#include <expected>
#include <filesystem>
#include <functional>
#include <set>
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

  /// Makes sure the glyphs of `text` will be in the atlas for `font` (one of the four below;
  /// nullptr: the body size); true when a rebuild is needed. Each size holds only what was drawn
  /// in it, so the big sizes stay small (memory: the atlas is the largest texture).
  bool require(std::string_view text, const ImFont* font = nullptr);
  /// Pre-fills the small and body sizes (every UI string is likely drawn in them).
  void requireAll(const std::vector<std::string>& texts);
  [[nodiscard]] bool dirty() const { return m_dirty; }
  /// Rebuilds ImGui's font atlas for `scale` (design sizes 28/36/52/88 px). The caller must
  /// recreate the renderer's font texture afterwards. Falls back to ImGui's default font (and
  /// returns the error) when the font file cannot be loaded, so the kiosk still shows something.
  std::expected<void, std::string> build(float scale);
  [[nodiscard]] float scale() const { return m_scale; }
  /// Glyphs over all four sizes.
  [[nodiscard]] std::size_t glyphCount() const;
  /// Atlas texture size in pixels (width * height) after the last build.
  [[nodiscard]] std::size_t atlasPixels() const { return m_atlasPixels; }
  /// Characters asked for that the atlas cannot hold (not in the face, or above U+FFFF), as
  /// found by the last build; drawn as the replacement character.
  [[nodiscard]] const std::set<char32_t>& missing() const { return m_missing; }
  /// The character drawn for those: U+FFFD when the face has it, else '?'.
  [[nodiscard]] char32_t replacement() const { return m_replacement; }
  /// Where warnings go (missing characters, once each); stderr by default.
  void setLog(std::function<void(const std::string&)> log) { m_log = std::move(log); }

  ImFont* small = nullptr;
  ImFont* body = nullptr;
  ImFont* large = nullptr;
  ImFont* huge = nullptr;

 private:
  std::filesystem::path m_fontFile;
  std::array<GlyphSet, 4> m_glyphs;  // small, body, large, huge
  std::array<ImVector<ImWchar>, 4> m_ranges;
  std::size_t m_atlasPixels = 0;
  std::set<char32_t> m_missing;
  char32_t m_replacement = U'?';
  std::function<void(const std::string&)> m_log;
  bool m_dirty = true;
  float m_scale = 0;
};

}  // namespace prepaid::kiosk::ui
