#include "prepaid/ui/font_set.hpp"

#include <cstdio>
#include <iostream>

#include <ft2build.h>
#include FT_FREETYPE_H
#include <imgui_freetype.h>

namespace prepaid::kiosk::ui {

namespace {

std::string codePointName(char32_t cp) {
  char name[16];
  std::snprintf(name, sizeof name, "U+%04X", static_cast<unsigned>(cp));
  return name;
}

// The face's character map, asked directly: ImGui's builder would only tell us by leaving the
// glyph out, and FreeType's .notdef (a box) must never reach the atlas.
class FaceCoverage {
 public:
  explicit FaceCoverage(const std::filesystem::path& file) {
    if (FT_Init_FreeType(&m_library) != 0) {
      m_library = nullptr;
      return;
    }
    if (FT_New_Face(m_library, file.c_str(), 0, &m_face) != 0) {
      m_face = nullptr;
    }
  }
  ~FaceCoverage() {
    if (m_face != nullptr) {
      FT_Done_Face(m_face);
    }
    if (m_library != nullptr) {
      FT_Done_FreeType(m_library);
    }
  }
  FaceCoverage(const FaceCoverage&) = delete;
  FaceCoverage& operator=(const FaceCoverage&) = delete;
  [[nodiscard]] bool known() const { return m_face != nullptr; }
  [[nodiscard]] bool has(char32_t cp) const {
    return m_face == nullptr || FT_Get_Char_Index(m_face, static_cast<FT_ULong>(cp)) != 0;
  }

 private:
  FT_Library m_library = nullptr;
  FT_Face m_face = nullptr;
};

}  // namespace

FontSet::FontSet(std::filesystem::path fontFile)
    : m_fontFile(std::move(fontFile)),
      m_log([](const std::string& line) { std::cerr << "prepaid-kiosk: " << line << std::endl; }) {}

bool FontSet::require(std::string_view text, const ImFont* font) {
  std::size_t index = 1;
  if (font != nullptr) {
    if (font == small) {
      index = 0;
    } else if (font == large) {
      index = 2;
    } else if (font == huge) {
      index = 3;
    }
  }
  if (m_glyphs[index].add(text)) {
    m_dirty = true;
  }
  return m_dirty;
}

void FontSet::requireAll(const std::vector<std::string>& texts) {
  for (const auto& text : texts) {
    m_dirty = m_glyphs[0].add(text) || m_dirty;
    m_dirty = m_glyphs[1].add(text) || m_dirty;
  }
}

std::size_t FontSet::glyphCount() const {
  std::size_t count = 0;
  for (const auto& glyphs : m_glyphs) {
    count += glyphs.codePoints().size();
  }
  return count;
}

std::expected<void, std::string> FontSet::build(float scale) {
  ImGuiIO& io = ImGui::GetIO();
  io.Fonts->Clear();
  io.Fonts->FontBuilderIO = ImGuiFreeType::GetBuilderForFreeType();
  io.Fonts->FontBuilderFlags = ImGuiFreeTypeBuilderFlags_LightHinting;
  const FaceCoverage coverage(m_fontFile);
  m_replacement = coverage.known() && coverage.has(0xFFFD) ? char32_t{0xFFFD} : U'?';
  std::set<char32_t> missing;
  for (std::size_t i = 0; i < m_glyphs.size(); ++i) {
    ImFontGlyphRangesBuilder builder;
    for (char32_t cp : m_glyphs[i].codePoints()) {
      if (!coverage.has(cp)) {
        missing.insert(cp);
        continue;
      }
      builder.AddChar(static_cast<ImWchar>(cp));
    }
    missing.insert(m_glyphs[i].beyond().begin(), m_glyphs[i].beyond().end());
    // ImGui draws its fallback for anything not in the atlas: U+FFFD when present.
    builder.AddChar(static_cast<ImWchar>(m_replacement));
    m_ranges[i].clear();
    builder.BuildRanges(&m_ranges[i]);
  }
  std::string fresh;
  for (char32_t cp : missing) {
    if (m_missing.insert(cp).second) {
      fresh += (fresh.empty() ? "" : " ") + codePointName(cp);
    }
  }
  if (!fresh.empty() && m_log) {
    m_log("font " + m_fontFile.filename().string() + " cannot show " + fresh + "; drawn as " +
          codePointName(m_replacement));
  }
  m_scale = scale;
  m_dirty = false;
  std::error_code ec;
  if (!std::filesystem::exists(m_fontFile, ec)) {
    small = body = large = huge = io.Fonts->AddFontDefault();
    return std::unexpected("font file " + m_fontFile.string() + " not found");
  }
  auto add = [&](float designPixels, std::size_t index) {
    ImFontConfig config;
    config.OversampleH = 1;
    config.OversampleV = 1;
    config.PixelSnapH = true;
    return io.Fonts->AddFontFromFileTTF(m_fontFile.c_str(), std::max(12.0F, designPixels * scale),
                                        &config, m_ranges[index].Data);
  };
  small = add(28, 0);
  body = add(36, 1);
  large = add(52, 2);
  huge = add(88, 3);
  if (small == nullptr || body == nullptr || large == nullptr || huge == nullptr ||
      !io.Fonts->Build()) {
    m_atlasPixels = 0;
    io.Fonts->Clear();
    small = body = large = huge = io.Fonts->AddFontDefault();
    return std::unexpected("cannot rasterise " + m_fontFile.string());
  }
  m_atlasPixels =
      static_cast<std::size_t>(io.Fonts->TexWidth) * static_cast<std::size_t>(io.Fonts->TexHeight);
  return {};
}

}  // namespace prepaid::kiosk::ui
