#include "prepaid/collect/command_payload.hpp"

#include <charconv>

namespace prepaid::backend::collect {

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

std::expected<std::int64_t, std::string> parseInt(std::string_view text, std::string_view key) {
  std::int64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty()) {
    return std::unexpected("payload: " + std::string(key) + ": not an integer: '" +
                           std::string(text) + "'");
  }
  return value;
}

std::expected<std::int64_t, std::string> nonNegative(std::int64_t value, std::string_view key) {
  if (value < 0) {
    return std::unexpected("payload: " + std::string(key) + ": must not be negative");
  }
  return value;
}

}  // namespace

std::expected<std::map<std::string, std::int64_t>, std::string> parsePayload(
    std::string_view payload) {
  std::map<std::string, std::int64_t> values;
  while (!payload.empty()) {
    const auto end = payload.find(';');
    const auto part = trim(payload.substr(0, end));
    payload = end == std::string_view::npos ? std::string_view{} : payload.substr(end + 1);
    if (part.empty()) {
      continue;
    }
    const auto equals = part.find('=');
    if (equals == std::string_view::npos) {
      return std::unexpected("payload: expected key=value, got '" + std::string(part) + "'");
    }
    const auto key = std::string(trim(part.substr(0, equals)));
    if (key.empty()) {
      return std::unexpected("payload: empty key in '" + std::string(part) + "'");
    }
    auto value = parseInt(trim(part.substr(equals + 1)), key);
    if (!value) {
      return std::unexpected(value.error());
    }
    if (!values.emplace(key, *value).second) {
      return std::unexpected("payload: " + key + " given twice");
    }
  }
  return values;
}

std::string formatPayload(const std::map<std::string, std::int64_t>& values) {
  std::string text;
  for (const auto& [key, value] : values) {
    if (!text.empty()) {
      text += ';';
    }
    text += key + "=" + std::to_string(value);
  }
  return text;
}

std::expected<PricePayload, std::string> parsePricePayload(std::string_view payload) {
  auto values = parsePayload(payload);
  if (!values) {
    return std::unexpected(values.error());
  }
  PricePayload prices;
  for (const auto& [key, value] : *values) {
    auto checked = nonNegative(value, key);
    if (!checked) {
      return std::unexpected(checked.error());
    }
    if (key == "unit_micro_yuan") {
      for (auto& price : prices.microYuan) {
        price = price.value_or(value);
      }
      continue;
    }
    const auto rate = domain::parseRate(key);
    if (!rate) {
      return std::unexpected("payload: unknown price key '" + key +
                             "' (sharp, peak, flat, valley, unit_micro_yuan)");
    }
    prices.microYuan[domain::indexOf(*rate)] = value;
  }
  return prices;
}

std::expected<SettingsPayload, std::string> parseSettingsPayload(std::string_view payload) {
  auto values = parsePayload(payload);
  if (!values) {
    return std::unexpected(values.error());
  }
  SettingsPayload settings;
  for (const auto& [key, value] : *values) {
    auto checked = nonNegative(value, key);
    if (!checked) {
      return std::unexpected(checked.error());
    }
    if (key == "alarm1_fen") {
      settings.alarm1Fen = value;
    } else if (key == "alarm2_fen") {
      settings.alarm2Fen = value;
    } else if (key == "overload_w") {
      settings.overloadW = value;
    } else {
      return std::unexpected("payload: unknown settings key '" + key +
                             "' (alarm1_fen, alarm2_fen, overload_w)");
    }
  }
  return settings;
}

std::expected<std::optional<std::int64_t>, std::string> parseRechargePayload(
    std::string_view payload) {
  const auto text = trim(payload);
  if (text.empty()) {
    return std::optional<std::int64_t>{};
  }
  if (text.find('=') == std::string_view::npos) {
    auto value = parseInt(text, "amount_fen");
    if (!value) {
      return std::unexpected(value.error());
    }
    return std::optional<std::int64_t>{*value};
  }
  auto values = parsePayload(text);
  if (!values) {
    return std::unexpected(values.error());
  }
  const auto found = values->find("amount_fen");
  if (found == values->end()) {
    return std::optional<std::int64_t>{};
  }
  return std::optional<std::int64_t>{found->second};
}

std::string formatPricePayload(const PricePayload& prices) {
  std::map<std::string, std::int64_t> values;
  for (const auto rate : domain::AllRates) {
    if (const auto& price = prices.microYuan[domain::indexOf(rate)]) {
      values.emplace(std::string(domain::toString(rate)), *price);
    }
  }
  return formatPayload(values);
}

std::string formatSettingsPayload(const SettingsPayload& settings) {
  std::map<std::string, std::int64_t> values;
  if (settings.alarm1Fen) {
    values.emplace("alarm1_fen", *settings.alarm1Fen);
  }
  if (settings.alarm2Fen) {
    values.emplace("alarm2_fen", *settings.alarm2Fen);
  }
  if (settings.overloadW) {
    values.emplace("overload_w", *settings.overloadW);
  }
  return formatPayload(values);
}

}  // namespace prepaid::backend::collect
