#pragma once

// What a public kiosk may show of a tenant (DOMAIN.md "Privacy at a public kiosk").

#include <string>
#include <string_view>

namespace prepaid::backend::api {

/// The first character (UTF-8 code point) followed by one '*' ("张三丰" -> "张*", "Li" -> "L*");
/// empty stays empty; invalid UTF-8 gives "*".
[[nodiscard]] std::string maskName(std::string_view name);

/// Keeps the first three and last four digits of a phone number of 8+ characters
/// ("13812345678" -> "138****5678"); shorter numbers become all '*'. Never the full number.
[[nodiscard]] std::string maskPhone(std::string_view phone);

}  // namespace prepaid::backend::api
