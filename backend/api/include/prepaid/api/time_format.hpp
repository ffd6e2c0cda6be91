#pragma once

// RFC 3339 times on the wire: "2024-05-01T08:30:00+08:00" (the site's offset; whole seconds).

#include <optional>
#include <string>
#include <string_view>

#include "prepaid/domain/time.hpp"

namespace prepaid::backend::api {

/// Formats an instant in the given site time zone with its offset ("Z" is never produced).
[[nodiscard]] std::string formatRfc3339(domain::Instant instant, const domain::SiteTimeZone& zone);

/// Parses "YYYY-MM-DDTHH:MM:SS" followed by "Z" or "±HH:MM" (fractions of a second are
/// refused); nullopt for anything else, including impossible dates.
[[nodiscard]] std::optional<domain::Instant> parseRfc3339(std::string_view text);

}  // namespace prepaid::backend::api
