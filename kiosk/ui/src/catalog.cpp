#include "prepaid/ui/catalog.hpp"

#include <fstream>

#include <nlohmann/json.hpp>

namespace prepaid::kiosk::ui {

namespace {

std::expected<std::map<std::string, std::string>, std::string> loadFile(
    const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) {
    return std::unexpected("cannot open " + path.string());
  }
  try {
    const auto json = nlohmann::json::parse(in);
    if (!json.is_object()) {
      return std::unexpected(path.string() + ": not a JSON object");
    }
    std::map<std::string, std::string> out;
    for (const auto& [key, value] : json.items()) {
      if (!value.is_string()) {
        return std::unexpected(path.string() + ": '" + key + "' is not a string");
      }
      out[key] = value.get<std::string>();
    }
    return out;
  } catch (const std::exception& e) {
    return std::unexpected(path.string() + ": " + e.what());
  }
}

}  // namespace

std::string substitute(const std::string& pattern, const std::vector<std::string>& args) {
  std::string out;
  out.reserve(pattern.size() + 16);
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '{' && i + 2 < pattern.size() && pattern[i + 2] == '}' &&
        pattern[i + 1] >= '0' && pattern[i + 1] <= '9') {
      const auto index = static_cast<std::size_t>(pattern[i + 1] - '0');
      if (index < args.size()) {
        out += args[index];
        i += 2;
        continue;
      }
    }
    out.push_back(pattern[i]);
  }
  return out;
}

std::expected<Catalog, std::string> Catalog::load(const std::filesystem::path& directory) {
  auto zh = loadFile(directory / "zh-CN.json");
  if (!zh) {
    return std::unexpected(zh.error());
  }
  auto en = loadFile(directory / "en.json");
  if (!en) {
    return std::unexpected(en.error());
  }
  for (const auto& [key, value] : *zh) {
    if (!en->contains(key)) {
      return std::unexpected("en.json lacks '" + key + "'");
    }
  }
  for (const auto& [key, value] : *en) {
    if (!zh->contains(key)) {
      return std::unexpected("zh-CN.json lacks '" + key + "'");
    }
  }
  return Catalog(std::move(*zh), std::move(*en));
}

Catalog::Catalog(std::map<std::string, std::string> zh, std::map<std::string, std::string> en)
    : m_zh(std::move(zh)), m_en(std::move(en)) {}

const std::string& Catalog::text(Language language, const std::string& key) const {
  const auto& table = language == Language::ZhCn ? m_zh : m_en;
  if (const auto it = table.find(key); it != table.end()) {
    return it->second;
  }
  return m_unknown.try_emplace(key, key).first->second;
}

std::string Catalog::format(Language language, const Message& message) const {
  if (message.empty()) {
    return {};
  }
  return substitute(text(language, message.key), message.args);
}

std::vector<std::string> Catalog::allTexts() const {
  std::vector<std::string> out;
  for (const auto& [key, value] : m_zh) {
    out.push_back(value);
  }
  for (const auto& [key, value] : m_en) {
    out.push_back(value);
  }
  return out;
}

}  // namespace prepaid::kiosk::ui
