#include "prepaid/ui/glyph_set.hpp"

namespace prepaid::kiosk::ui {

namespace {

template <typename F>
void decode(std::string_view utf8, F&& f) {
  for (std::size_t i = 0; i < utf8.size();) {
    const auto lead = static_cast<unsigned char>(utf8[i]);
    std::size_t length = 0;
    char32_t cp = 0;
    if (lead < 0x80) {
      length = 1;
      cp = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2;
      cp = lead & 0x1FU;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      cp = lead & 0x0FU;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      cp = lead & 0x07U;
    } else {
      ++i;
      continue;
    }
    if (i + length > utf8.size()) {
      return;
    }
    bool valid = true;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(utf8[i + k]);
      if ((next & 0xC0) != 0x80) {
        valid = false;
        break;
      }
      cp = (cp << 6) | (next & 0x3FU);
    }
    if (valid) {
      f(cp);
      i += length;
    } else {
      ++i;
    }
  }
}

}  // namespace

GlyphSet::GlyphSet() {
  for (char32_t c = 0x20; c < 0x7F; ++c) {
    m_codePoints.insert(c);
  }
  add("●¥…·—–");
}

bool GlyphSet::add(std::string_view utf8) {
  bool added = false;
  decode(utf8, [&](char32_t cp) {
    if (cp > 0xFFFF) {
      m_beyond.insert(cp);
    } else if (cp >= 0x20 && m_codePoints.insert(cp).second) {
      added = true;
    }
  });
  return added;
}

}  // namespace prepaid::kiosk::ui
