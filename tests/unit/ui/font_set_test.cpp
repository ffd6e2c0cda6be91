#include "prepaid/ui/font_set.hpp"

#include <gtest/gtest.h>

#include "prepaid/ui/painter.hpp"

// The atlas holds exactly what was drawn: a name never seen before makes the frame dirty, the
// rebuild (outside the frame, as the kiosk's loop does before presenting) adds its characters;
// characters the face lacks and characters above U+FFFF come out as the replacement character,
// never as a box, and are logged once.

namespace prepaid::kiosk::ui {
namespace {

class FontSetTest : public ::testing::Test {
 protected:
  FontSetTest() : m_context(ImGui::CreateContext()) {
    ImGui::GetIO().IniFilename = nullptr;
    ImGui::GetIO().DisplaySize = ImVec2(1080, 1920);
    ImGui::GetIO().DeltaTime = 1.0F / 60.0F;
    fonts.setLog([this](const std::string& line) { logged.push_back(line); });
  }
  ~FontSetTest() override { ImGui::DestroyContext(m_context); }

  // One frame drawing `text` in the body font through the Painter.
  void drawFrame(const std::string& text) {
    ImGui::NewFrame();
    ImGui::Begin("t");
    Painter painter(fonts, catalog, makeLayout(1080, 1920), Language::ZhCn);
    painter.text(fonts.body, ImVec2(10, 10), colour::Text, text);
    ImGui::End();
    ImGui::Render();
  }

  ImGuiContext* m_context;
  FontSet fonts{DefaultFontPath};
  Catalog catalog{{{"a", "甲"}}, {{"a", "A"}}};
  std::vector<std::string> logged;
};

TEST_F(FontSetTest, ANeverSeenNameIsAddedByTheRebuildBeforeItIsShown) {
  fonts.requireAll(catalog.allTexts());
  ASSERT_TRUE(fonts.build(1.0F)) << "fonts-wqy-microhei must be installed";
  EXPECT_FALSE(fonts.dirty());
  ASSERT_NE(fonts.body->FindGlyphNoFallback(U'甲'), nullptr);
  EXPECT_EQ(fonts.body->FindGlyphNoFallback(U'龘'), nullptr);
  drawFrame("龘靐 商行");
  // This frame would have drawn the fallback: the loop must rebuild and draw it again.
  EXPECT_TRUE(fonts.dirty());
  ASSERT_TRUE(fonts.build(1.0F));
  EXPECT_FALSE(fonts.dirty());
  for (char32_t cp : {U'龘', U'靐', U'商', U'行'}) {
    EXPECT_NE(fonts.body->FindGlyphNoFallback(static_cast<ImWchar>(cp)), nullptr)
        << static_cast<unsigned>(cp);
  }
  // Only the size it was drawn in grows: the huge font did not get the name.
  EXPECT_EQ(fonts.huge->FindGlyphNoFallback(U'龘'), nullptr);
  drawFrame("龘靐 商行");
  EXPECT_FALSE(fonts.dirty());  // the second frame is presented
  EXPECT_TRUE(fonts.missing().empty());
  EXPECT_TRUE(logged.empty());
}

TEST_F(FontSetTest, CharactersTheFaceLacksFallBackToTheReplacementAndAreLogged) {
  ASSERT_TRUE(fonts.build(1.0F));
  // Scripts a CJK face does not cover; the first one wqy-microhei lacks is used.
  char32_t lacking = 0;
  for (char32_t cp : {U'\u0F40', U'\u1780', U'\u0D05', U'\u13A0', U'\u2D30', U'\uA000'}) {
    FontSet probe(DefaultFontPath);
    probe.setLog([](const std::string&) {});
    std::string utf8;
    utf8 += static_cast<char>(0xE0 | (cp >> 12));
    utf8 += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    utf8 += static_cast<char>(0x80 | (cp & 0x3F));
    probe.require(utf8);
    ASSERT_TRUE(probe.build(1.0F));
    if (probe.missing().contains(cp)) {
      lacking = cp;
      break;
    }
  }
  ASSERT_NE(lacking, 0U) << "no candidate character missing from the face";
  ASSERT_TRUE(fonts.build(1.0F));
  std::string utf8;
  utf8 += static_cast<char>(0xE0 | (lacking >> 12));
  utf8 += static_cast<char>(0x80 | ((lacking >> 6) & 0x3F));
  utf8 += static_cast<char>(0x80 | (lacking & 0x3F));
  logged.clear();
  drawFrame("店" + utf8);
  ASSERT_TRUE(fonts.dirty());
  ASSERT_TRUE(fonts.build(1.0F));
  EXPECT_TRUE(fonts.missing().contains(lacking));
  // Not in the atlas (no .notdef box): ImGui draws the fallback, the face's U+FFFD or '?'.
  EXPECT_EQ(fonts.body->FindGlyphNoFallback(static_cast<ImWchar>(lacking)), nullptr);
  EXPECT_TRUE(fonts.replacement() == 0xFFFD || fonts.replacement() == U'?');
  ASSERT_NE(fonts.body->FallbackGlyph, nullptr);
  EXPECT_EQ(fonts.body->FallbackChar, static_cast<ImWchar>(fonts.replacement()));
  EXPECT_EQ(fonts.body->FindGlyph(static_cast<ImWchar>(lacking)), fonts.body->FallbackGlyph);
  EXPECT_NE(fonts.body->FindGlyphNoFallback(U'店'), nullptr);
  ASSERT_EQ(logged.size(), 1U);
  char name[16];
  std::snprintf(name, sizeof name, "U+%04X", static_cast<unsigned>(lacking));
  EXPECT_NE(logged[0].find(name), std::string::npos) << logged[0];
  // Logged once, not on every rebuild.
  drawFrame("再来" + utf8);
  ASSERT_TRUE(fonts.build(1.0F));
  EXPECT_EQ(logged.size(), 1U);
}

TEST_F(FontSetTest, CharactersAboveTheBasicPlaneAreLoggedAndDrawnAsTheReplacement) {
  ASSERT_TRUE(fonts.build(1.0F));
  // 𠮷 (U+20BB7, a CJK extension B character found in names) and an emoji.
  drawFrame("吉𠮷😀");
  ASSERT_TRUE(fonts.dirty());  // 吉 is new
  ASSERT_TRUE(fonts.build(1.0F));
  EXPECT_TRUE(fonts.missing().contains(0x20BB7));
  EXPECT_TRUE(fonts.missing().contains(0x1F600));
  ASSERT_EQ(logged.size(), 1U);
  EXPECT_NE(logged[0].find("U+20BB7"), std::string::npos) << logged[0];
  // ImGui 1.86 decodes them as U+FFFD, which resolves to the fallback glyph: never a box.
  EXPECT_EQ(fonts.body->FindGlyph(IM_UNICODE_CODEPOINT_INVALID), fonts.body->FallbackGlyph);
  EXPECT_NE(fonts.body->FallbackGlyph, nullptr);
  drawFrame("吉𠮷😀");
  EXPECT_FALSE(fonts.dirty());  // nothing more to add: the frame is presented
}

}  // namespace
}  // namespace prepaid::kiosk::ui
