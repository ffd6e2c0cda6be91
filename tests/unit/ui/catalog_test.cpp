#include "prepaid/ui/catalog.hpp"

#include <array>
#include <cstdio>
#include <fstream>
#include <regex>

#include <gtest/gtest.h>

namespace prepaid::kiosk::ui {
namespace {

const std::filesystem::path I18n = std::filesystem::path(PREPAID_SOURCE_DIR) / "assets/i18n";

// Reads a whole source file with stdio: GCC 12 -O2 reports a false -Wnull-dereference in
// istreambuf_iterator's inlined streambuf code.
std::string readSource(const std::filesystem::path& path) {
  std::string text;
  if (std::FILE* file = std::fopen(path.c_str(), "rb")) {
    std::array<char, 4096> buffer{};
    std::size_t n = 0;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), file)) > 0) {
      text.append(buffer.data(), n);
    }
    std::fclose(file);
  }
  return text;
}

TEST(Catalog, ShippedTranslationsLoadWithMatchingKeys) {
  auto catalog = Catalog::load(I18n);
  ASSERT_TRUE(catalog) << catalog.error();
  EXPECT_GT(catalog->size(), 100U);
  EXPECT_EQ(catalog->text(Language::ZhCn, "attract.touch"), "轻触屏幕开始");
  EXPECT_EQ(catalog->text(Language::En, "attract.touch"), "Touch the screen to start");
}

TEST(Catalog, FormatsArguments) {
  auto catalog = Catalog::load(I18n);
  ASSERT_TRUE(catalog);
  EXPECT_EQ(catalog->format(Language::ZhCn, {"recharge.new_balance", {"150.00"}}),
            "充值后余额 150.00 元");
  EXPECT_EQ(catalog->format(Language::En, {"recharge.pay", {"100.00"}}), "Pay ¥100.00");
  EXPECT_EQ(substitute("{0}-{1}-{2}", {"a", "b"}), "a-b-{2}");
}

TEST(Catalog, UnknownKeyShowsTheKey) {
  Catalog catalog({{"a", "甲"}}, {{"a", "A"}});
  EXPECT_EQ(catalog.text(Language::En, "missing.key"), "missing.key");
}

// Every key the code uses must exist: scan the kiosk sources for "xxx.yyy" literals that look
// like message keys and check them against the catalogue.
TEST(Catalog, EveryKeyUsedInTheSourcesExists) {
  auto catalog = Catalog::load(I18n);
  ASSERT_TRUE(catalog);
  const std::regex key(
      R"re("((?:site|attract|nav|offline|identify|error|account|menu|usage|unit|alarms|history|recharge|print|idle|maintenance|list|language|payment)\.[a-z_0-9.]+)")re");
  std::size_t checked = 0;
  for (const auto& dir : {"kiosk/viewmodels/src", "kiosk/screens/src", "kiosk/ui/src"}) {
    for (const auto& entry :
         std::filesystem::directory_iterator(std::filesystem::path(PREPAID_SOURCE_DIR) / dir)) {
      const std::string text = readSource(entry.path());
      for (std::sregex_iterator it(text.begin(), text.end(), key), end; it != end; ++it) {
        const std::string name = (*it)[1];
        if (name.ends_with(".")) {
          continue;  // a prefix like "status." joined at run time
        }
        ++checked;
        EXPECT_NE(catalog->text(Language::ZhCn, name), name) << name << " in " << entry.path();
      }
    }
  }
  EXPECT_GT(checked, 50U);
}

TEST(Catalog, StatusAndAlarmKindsAreTranslated) {
  auto catalog = Catalog::load(I18n);
  ASSERT_TRUE(catalog);
  for (auto status :
       {"normal", "alarm1", "alarm2", "arrears", "tripped", "lost_contact", "keep_power"}) {
    const std::string name = std::string("status.") + status;
    EXPECT_NE(catalog->text(Language::ZhCn, name), name);
  }
}

TEST(Catalog, MissingFileOrKeyIsAnError) {
  char name[] = "/tmp/prepaid-catalog-XXXXXX";
  const std::filesystem::path dir = ::mkdtemp(name);
  EXPECT_FALSE(Catalog::load(dir));
  std::ofstream(dir / "zh-CN.json") << R"({"a":"甲","b":"乙"})";
  std::ofstream(dir / "en.json") << R"({"a":"A"})";
  auto catalog = Catalog::load(dir);
  ASSERT_FALSE(catalog);
  EXPECT_NE(catalog.error().find("'b'"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace prepaid::kiosk::ui
