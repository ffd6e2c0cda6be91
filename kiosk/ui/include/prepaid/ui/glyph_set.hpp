#pragma once

// The characters the font atlas must hold: built from the UI strings at start-up and grown by
// every dynamic text drawn (shop and tenant names), so no character ever renders as a box.
// Rebuilding the atlas is the caller's job when add() reports new characters.

#include <cstdint>
#include <set>
#include <string_view>

namespace prepaid::kiosk::ui {

class GlyphSet {
 public:
  GlyphSet();  // printable ASCII and the symbols the UI draws (●, ¥, …)
  /// Adds the code points of UTF-8 text; true when at least one was new. Invalid bytes are
  /// skipped. Code points above U+FFFF cannot be in an ImGui 1.86 atlas (16-bit ImWchar; ImGui
  /// draws them as U+FFFD): they go to beyond() instead, so the font set can log them.
  bool add(std::string_view utf8);
  /// Code points above U+FFFF seen by add().
  [[nodiscard]] const std::set<char32_t>& beyond() const { return m_beyond; }
  [[nodiscard]] bool contains(char32_t codePoint) const { return m_codePoints.contains(codePoint); }
  [[nodiscard]] const std::set<char32_t>& codePoints() const { return m_codePoints; }

 private:
  std::set<char32_t> m_codePoints;
  std::set<char32_t> m_beyond;
};

}  // namespace prepaid::kiosk::ui
