#pragma once

// What view models hand to screens: message keys into the i18n catalogue (assets/i18n/*.json)
// with positional arguments, never finished sentences — the screen picks the language.

#include <cstdint>
#include <string>
#include <vector>

#include "prepaid/api/wire_types.hpp"
#include "prepaid/client/api_client.hpp"

namespace prepaid::kiosk {

struct Message {
  std::string key;                // e.g. "identify.unknown_shop"; empty = no message
  std::vector<std::string> args;  // replaces {0}, {1}, ...
  [[nodiscard]] bool empty() const { return key.empty(); }
  bool operator==(const Message&) const = default;
};

enum class Language { ZhCn, En };
/// "zh-CN", "en".
[[nodiscard]] std::string_view toString(Language language);
[[nodiscard]] std::optional<Language> parseLanguage(std::string_view name);

/// "123.45" from fen (exact).
[[nodiscard]] std::string yuanText(std::int64_t fen);
/// "12.34" kWh from 0.01 kWh.
[[nodiscard]] std::string kwhText(std::int64_t centiKwh);
/// The i18n key of a meter status ("status.normal", "status.alarm1", ...).
[[nodiscard]] std::string statusKey(api::MeterStatusCode status);
/// Display colour of a status as 0xRRGGBB: green normal, yellow alarm 1, orange alarm 2, red
/// arrears, dark red tripped, purple lost contact, blue keep power.
[[nodiscard]] std::uint32_t statusColour(api::MeterStatusCode status);
/// The i18n key explaining a failed call to a tenant in plain words.
[[nodiscard]] Message explain(const ClientError& error);
/// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or code points above
/// U+10FFFF). Scanner input is checked with it: a GBK QR or line noise is refused with a clear
/// message instead of reaching the JSON encoder (which throws on invalid UTF-8).
[[nodiscard]] bool isValidUtf8(std::string_view text);
/// `text` safe to show and to encode: invalid bytes and control characters as "\xNN".
[[nodiscard]] std::string printableText(std::string_view text);
/// "2024-05-01T08:30:00+08:00" -> "2024-05-01 08:30" (the site's local time as sent).
[[nodiscard]] std::string localTimeText(std::string_view rfc3339);

}  // namespace prepaid::kiosk
