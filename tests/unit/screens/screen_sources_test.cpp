// Every user-visible string goes through the catalogue (assets/i18n, zh-CN and en): the screens'
// and the painter's sources are scanned for string literals that would reach the screen as they
// are — words in English letters or Chinese characters — other than catalogue keys, widget ids
// and the few symbol labels listed below; and every key they use exists in both languages.

#include <array>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "prepaid/ui/catalog.hpp"

namespace prepaid::kiosk {
namespace {

const std::filesystem::path Source(PREPAID_SOURCE_DIR);

std::string readFile(const std::filesystem::path& path) {
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

struct Literal {
  std::string text;    // the literal's content (escapes left as written)
  std::string before;  // the code before it on its line
  int line = 0;
};

// String literals outside comments and #include lines. Raw strings are not used in these
// sources; a literal spanning lines is not either.
std::vector<Literal> literals(const std::string& source) {
  std::vector<Literal> out;
  int line = 1;
  std::string current;  // code of the current line so far
  for (std::size_t i = 0; i < source.size(); ++i) {
    const char c = source[i];
    if (c == '\n') {
      ++line;
      current += ' ';  // a call's arguments may continue on the next line
      continue;
    }
    if (c == ';' || c == '{' || c == '}') {
      current.clear();
      continue;
    }
    if (c == '/' && i + 1 < source.size() && source[i + 1] == '/') {
      while (i + 1 < source.size() && source[i + 1] != '\n') {
        ++i;
      }
      continue;
    }
    if (c == '#' && current.find_first_not_of(" \t") == std::string::npos) {
      while (i + 1 < source.size() && source[i + 1] != '\n') {
        ++i;
      }
      continue;
    }
    if (c == '\'') {  // a character literal: skip it ('"' would open a string otherwise)
      current += c;
      for (++i; i < source.size() && source[i] != '\''; ++i) {
        if (source[i] == '\\') {
          ++i;
        }
      }
      current += '\'';
      continue;
    }
    if (c == '"') {
      Literal literal{"", current, line};
      for (++i; i < source.size() && source[i] != '"'; ++i) {
        if (source[i] == '\\' && i + 1 < source.size()) {
          literal.text += source[i];
          ++i;
        }
        literal.text += source[i];
      }
      out.push_back(literal);
      current += "\"\"";
      continue;
    }
    current += c;
  }
  return out;
}

// Symbols drawn as they are in every language.
bool onlySymbols(const std::string& text) {
  static const std::regex words(R"([A-Za-z]{2,})");
  if (std::regex_search(text, words)) {
    return false;
  }
  std::string rest = text;
  for (const char* symbol : {"¥", "—", "·", "⌫", "…", "●"}) {
    for (std::size_t at; (at = rest.find(symbol)) != std::string::npos;) {
      rest.erase(at, std::string(symbol).size());
    }
  }
  for (const char c : rest) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      return false;  // a Chinese word or another non-ASCII character
    }
  }
  return true;
}

struct Finding {
  std::vector<std::string> keys;
  std::vector<std::string> visible;  // literals that would be shown untranslated
};

Finding scan(const std::string& source, const std::string& name,
             const std::function<bool(const Literal&)>& notDrawn = {}) {
  // A key as the catalogue spells them: "recharge.pay", "unit.m3".
  static const std::regex key(R"(^[a-z][a-z_0-9]*(\.[a-z_0-9]+)+$)");
  // Ids of touch targets and ImGui windows, and values compared with (not drawn).
  static const std::regex idContext(
      R"((button|area|keypad|joinId|layout|Begin|PushID|InvisibleButton)\(\s*(p,\s*)?$|field\(frame,\s*vm,\s*$|\bid\)\s*\+\s*$|(==|!=)\s*$)");
  // Symbol labels of the staff keyboard and the letter keypad (keys, not words).
  static const std::vector<std::string> symbolLabels = {
      "ABC :_@",
      "abc",
      "ABCDEFGHIJKLMNOPQRSTUVWXYZ-<",
      "1234567890qwertyuiopasdfghjkl-zxcvbnm./<",
      "1234567890QWERTYUIOPASDFGHJKL:ZXCVBNM_@<",
      "_water",        // a key suffix (mediumKey)
      "electricity"};  // a meter kind as the API sends it (compared, not drawn)
  Finding finding;
  for (const auto& literal : literals(source)) {
    if (std::regex_match(literal.text, key)) {
      finding.keys.push_back(literal.text);
      continue;
    }
    if (std::regex_search(literal.before, idContext) || (notDrawn && notDrawn(literal)) ||
        std::ranges::find(symbolLabels, literal.text) != symbolLabels.end() ||
        onlySymbols(literal.text)) {
      continue;
    }
    finding.visible.push_back(name + ":" + std::to_string(literal.line) + ": \"" + literal.text +
                              "\"");
  }
  return finding;
}

std::vector<std::filesystem::path> uiSources() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(Source / "kiosk/screens/src")) {
    files.push_back(entry.path());
  }
  files.push_back(Source / "kiosk/ui/src/painter.cpp");
  return files;
}

TEST(ScreenSources, NoUserVisibleTextBypassesTheCatalogue) {
  std::size_t files = 0;
  for (const auto& path : uiSources()) {
    const auto finding = scan(readFile(path), path.filename().string());
    ++files;
    for (const auto& visible : finding.visible) {
      ADD_FAILURE() << "text not from assets/i18n: " << visible;
    }
  }
  EXPECT_GE(files, 10U);
}

// View models hand screens Messages (catalogue keys with arguments). Their other literals are
// not drawn: key prefixes ("alarm.kind." + kind), staff log and audit text (English by design,
// like the backend's logs), and the reviewed identifiers and wire codes below. A new literal
// fails here until it is a key or is added to the list with its reason.
std::vector<std::string> viewModelVisible(const std::string& source, const std::string& name) {
  static const std::regex keyPrefix(R"(^[a-z][a-z_0-9]*(\.[a-z_0-9]+)*\.$)");
  static const std::regex logContext(R"(\b(writeLog|m_reportError|audit)\()");
  static const std::vector<std::string> notDrawn = {
      "account_view_model.cpp: wechat",  // payment methods as the API names them (looked up
      "account_view_model.cpp: alipay",  //   as payment.method.<code>)
      "account_view_model.cpp: cash",
      "account_view_model.cpp: counter",  // recharge source code (history.source.<code>)
      "kiosk_session.cpp: attract",       // toString(Screen): log and --ui-map names
      "kiosk_session.cpp: identify",
      "kiosk_session.cpp: account",
      "kiosk_session.cpp: usage",
      "kiosk_session.cpp: alarms",
      "kiosk_session.cpp: recharge",
      "kiosk_session.cpp: history",
      "kiosk_session.cpp: maintenance",
      "task_runner.cpp: unknown exception",  // a failure's detail (logs, error arguments)
      "text.cpp: zh-CN",                     // toString(Language): settings file values
      "text.cpp: en",
      "text.cpp: 0123456789ABCDEF",                 // hex digits of printableText
      "recharge_view_model.cpp: kiosk-",            // idempotency key prefix (wire)
      "recharge_view_model.cpp: 0123456789abcdef",  // its hex digits
      "recharge_view_model.cpp: no valid answer",   // paper check detail, logged
      "session_context.hpp: 示范广场",              // default site name (data, set per site)
      "session_context.hpp: http://127.0.0.1:8080",
      "session_context.hpp: wechat"};  // default payment provider code
  return scan(source, name,
              [&](const Literal& literal) {
                return std::regex_search(literal.text, keyPrefix) ||
                       std::regex_search(literal.before, logContext) ||
                       std::ranges::find(notDrawn, name + ": " + literal.text) != notDrawn.end();
              })
      .visible;
}

std::vector<std::filesystem::path> viewModelSources() {
  std::vector<std::filesystem::path> files;
  for (const auto* dir : {"kiosk/viewmodels/src", "kiosk/viewmodels/include/prepaid/viewmodels"}) {
    for (const auto& entry : std::filesystem::directory_iterator(Source / dir)) {
      files.push_back(entry.path());
    }
  }
  return files;
}

TEST(ViewModelSources, NoUserVisibleTextBypassesTheCatalogue) {
  std::size_t files = 0;
  for (const auto& path : viewModelSources()) {
    ++files;
    for (const auto& visible : viewModelVisible(readFile(path), path.filename().string())) {
      ADD_FAILURE() << "text not from assets/i18n: " << visible;
    }
  }
  EXPECT_GE(files, 15U);
}

TEST(ViewModelSources, ScannerLetsKeysLogsAndListedCodesThroughOnly) {
  const std::string code = R"cpp(
    m_message = {"maintenance.saved", {}};
    row.kindKey = "alarm.kind." + alarm.kind;
    m_context.writeLog("paper status unknown (" + why + ")");
    audit("kiosk.app.quit", "staff left the kiosk app");
    if (method == "unionpay") {
    }
    m_backendStatus = "ok, " + ms + " ms";
    return "现金 Cash";
  )cpp";
  EXPECT_EQ(viewModelVisible(code, "x.cpp"),
            (std::vector<std::string>{R"(x.cpp:8: "ok, ")", R"(x.cpp:8: " ms")",
                                      R"(x.cpp:9: "现金 Cash")"}));
  // The list is per file: a listed code elsewhere is still found.
  EXPECT_EQ(viewModelVisible("std::string m = \"wechat\";", "account_view_model.cpp").size(), 0U);
  EXPECT_EQ(viewModelVisible("std::string m = \"wechat\";", "maintenance_view_model.cpp").size(),
            1U);
}

TEST(ScreenSources, EveryKeyUsedExistsInBothLanguages) {
  auto catalog = ui::Catalog::load(Source / "assets/i18n");
  ASSERT_TRUE(catalog) << catalog.error();
  std::size_t checked = 0;
  for (const auto& path : uiSources()) {
    for (const auto& name : scan(readFile(path), path.filename().string()).keys) {
      ++checked;
      EXPECT_NE(catalog->text(Language::ZhCn, name), name) << name << " in " << path;
      EXPECT_NE(catalog->text(Language::En, name), name) << name << " in " << path;
      // And the "_water" variants the usage screen builds with mediumKey().
      if (name == "usage.title" || name == "usage.energy" || name == "usage.money") {
        EXPECT_NE(catalog->text(Language::En, name + "_water"), name + "_water");
      }
    }
  }
  EXPECT_GT(checked, 80U);
}

TEST(ViewModelSources, EveryKeyUsedExistsInBothLanguages) {
  auto catalog = ui::Catalog::load(Source / "assets/i18n");
  ASSERT_TRUE(catalog) << catalog.error();
  std::size_t checked = 0;
  for (const auto& path : viewModelSources()) {
    for (const auto& name : scan(readFile(path), path.filename().string()).keys) {
      if (name.starts_with("kiosk.")) {
        continue;  // audit action names (the backend's audit log), not catalogue keys
      }
      ++checked;
      EXPECT_NE(catalog->text(Language::ZhCn, name), name) << name << " in " << path;
      EXPECT_NE(catalog->text(Language::En, name), name) << name << " in " << path;
    }
  }
  // Keys built from a prefix and a code.
  for (const auto* method : {"wechat", "alipay", "cash"}) {
    const std::string name = std::string("payment.method.") + method;
    EXPECT_NE(catalog->text(Language::ZhCn, name), name);
    EXPECT_NE(catalog->text(Language::En, name), name);
  }
  EXPECT_GT(checked, 60U);
}

// The scanner itself: what it must catch and what it must let through.
TEST(ScreenSources, ScannerFindsLiteralWordsAndSkipsKeysIdsAndSymbols) {
  const std::string code = R"cpp(
#include "prepaid/screens/frame.hpp"
    // a comment with "English words"
    p.text(font, pos, ink, card.todayKwh + (card.water ? " m³" : " kWh"));
    p.text(font, pos, ink, "用电" + p.t("unit.kwh"));
    if (p.button("testprint", p.t("maintenance.test_print"), pos, size)) {
    }
    const char c = '"';
    if (medium == "water") {
    }
    p.text(font, pos, ink, "¥ " + amount + " · —");
    status = "paper ok";
  )cpp";
  const auto finding = scan(code, "x.cpp");
  ASSERT_EQ(finding.visible.size(), 4U);
  EXPECT_EQ(finding.visible[0], R"(x.cpp:4: " m³")");
  EXPECT_EQ(finding.visible[1], R"(x.cpp:4: " kWh")");
  EXPECT_EQ(finding.visible[2], R"(x.cpp:5: "用电")");
  EXPECT_EQ(finding.visible[3], R"(x.cpp:12: "paper ok")");
  EXPECT_EQ(finding.keys, (std::vector<std::string>{"unit.kwh", "maintenance.test_print"}));
}

}  // namespace
}  // namespace prepaid::kiosk
