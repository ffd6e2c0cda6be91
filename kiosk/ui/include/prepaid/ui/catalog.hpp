#pragma once

// The i18n catalogue: assets/i18n/<language>.json, flat {"key": "text with {0}"} objects. Every
// language must have exactly the keys of zh-CN (checked at load, so a missing translation is a
// start-up error in tests, not a raw key on a tenant's screen).

#include <expected>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "prepaid/viewmodels/text.hpp"

namespace prepaid::kiosk::ui {

class Catalog {
 public:
  /// Loads zh-CN.json and en.json from `directory`. Errors name the file and the problem.
  [[nodiscard]] static std::expected<Catalog, std::string> load(
      const std::filesystem::path& directory);
  /// Builds a catalogue from maps (tests).
  Catalog(std::map<std::string, std::string> zh, std::map<std::string, std::string> en);

  /// The text of `key`; the key itself when unknown (visible in tests, never empty).
  [[nodiscard]] const std::string& text(Language language, const std::string& key) const;
  /// The text with {0}, {1}, ... replaced by the message's arguments.
  [[nodiscard]] std::string format(Language language, const Message& message) const;
  /// Every text of every language (to build the glyph set).
  [[nodiscard]] std::vector<std::string> allTexts() const;
  [[nodiscard]] std::size_t size() const { return m_zh.size(); }

 private:
  std::map<std::string, std::string> m_zh;
  std::map<std::string, std::string> m_en;
  mutable std::map<std::string, std::string> m_unknown;  // stable storage for unknown keys
};

/// Replaces {0}, {1}, ... in `pattern`.
[[nodiscard]] std::string substitute(const std::string& pattern,
                                     const std::vector<std::string>& args);

}  // namespace prepaid::kiosk::ui
