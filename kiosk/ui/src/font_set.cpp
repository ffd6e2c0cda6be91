#include "prepaid/ui/font_set.hpp"

#include <imgui_freetype.h>

namespace prepaid::kiosk::ui {

FontSet::FontSet(std::filesystem::path fontFile) : m_fontFile(std::move(fontFile)) {}

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
  for (std::size_t i = 0; i < m_glyphs.size(); ++i) {
    ImFontGlyphRangesBuilder builder;
    for (char32_t cp : m_glyphs[i].codePoints()) {
      builder.AddChar(static_cast<ImWchar>(cp));
    }
    m_ranges[i].clear();
    builder.BuildRanges(&m_ranges[i]);
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
