#include "prepaid/ui/glyph_set.hpp"

#include <gtest/gtest.h>

namespace prepaid::kiosk::ui {
namespace {

TEST(GlyphSet, StartsWithAsciiAndGrowsWithNewCharacters) {
  GlyphSet glyphs;
  EXPECT_TRUE(glyphs.contains(U'A'));
  EXPECT_FALSE(glyphs.contains(U'鑫'));
  EXPECT_TRUE(glyphs.add("鑫源商行"));  // a tenant name seen for the first time
  EXPECT_TRUE(glyphs.contains(U'鑫'));
  EXPECT_FALSE(glyphs.add("鑫源"));  // nothing new: no atlas rebuild
  EXPECT_FALSE(glyphs.add("abc"));
}

TEST(GlyphSet, InvalidUtf8AndAstralCharactersAreSkipped) {
  GlyphSet glyphs;
  const auto before = glyphs.codePoints().size();
  EXPECT_FALSE(glyphs.add("\xFF\xC3"));
  EXPECT_FALSE(glyphs.add("😀"));  // beyond ImGui 1.86's 16-bit ImWchar
  EXPECT_EQ(glyphs.codePoints().size(), before);
}

TEST(GlyphSet, CharactersAboveTheBasicPlaneAreKeptApart) {
  GlyphSet set;
  EXPECT_FALSE(set.add("\xF0\xA0\xAE\xB7"));  // U+20BB7: no ImWchar holds it
  EXPECT_FALSE(set.contains(0x20BB7));
  EXPECT_TRUE(set.beyond().contains(0x20BB7));
}

}  // namespace
}  // namespace prepaid::kiosk::ui
