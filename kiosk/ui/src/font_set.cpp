#include "prepaid/ui/font_set.hpp"

#include <imgui_freetype.h>

namespace prepaid::kiosk::ui {

FontSet::FontSet(std::filesystem::path fontFile) : m_fontFile(std::move(fontFile)) {}

bool FontSet::require(std::string_view text) {
  if (m_glyphs.add(text)) {
    m_dirty = true;
  }
  return m_dirty;
}

void FontSet::requireAll(const std::vector<std::string>& texts) {
  for (const auto& text : texts) {
    require(text);
  }
}

std::expected<void, std::string> FontSet::build(float scale) {
  ImGuiIO& io = ImGui::GetIO();
  io.Fonts->Clear();
  io.Fonts->FontBuilderIO = ImGuiFreeType::GetBuilderForFreeType();
  io.Fonts->FontBuilderFlags = ImGuiFreeTypeBuilderFlags_LightHinting;
  ImFontGlyphRangesBuilder builder;
  for (char32_t cp : m_glyphs.codePoints()) {
    builder.AddChar(static_cast<ImWchar>(cp));
  }
  m_ranges.clear();
  builder.BuildRanges(&m_ranges);
  m_scale = scale;
  m_dirty = false;
  std::error_code ec;
  if (!std::filesystem::exists(m_fontFile, ec)) {
    small = body = large = huge = io.Fonts->AddFontDefault();
    return std::unexpected("font file " + m_fontFile.string() + " not found");
  }
  auto add = [&](float designPixels) {
    ImFontConfig config;
    config.OversampleH = 1;
    config.OversampleV = 1;
    config.PixelSnapH = true;
    return io.Fonts->AddFontFromFileTTF(m_fontFile.c_str(), std::max(12.0F, designPixels * scale),
                                        &config, m_ranges.Data);
  };
  small = add(28);
  body = add(36);
  large = add(52);
  huge = add(88);
  if (small == nullptr || body == nullptr || large == nullptr || huge == nullptr ||
      !io.Fonts->Build()) {
    io.Fonts->Clear();
    small = body = large = huge = io.Fonts->AddFontDefault();
    return std::unexpected("cannot rasterise " + m_fontFile.string());
  }
  return {};
}

}  // namespace prepaid::kiosk::ui
