#pragma once

// The version of the HTTP API. Breaking changes get a new base path (/api/v2); additive changes
// (new fields, new routes) keep v1, and clients ignore fields they do not know.

#include <string_view>

namespace prepaid::backend::api {

inline constexpr std::string_view ApiVersion = "v1";
inline constexpr std::string_view ApiBasePath = "/api/v1";
/// Version of the wire schema within v1 (the OpenAPI document's info.version).
inline constexpr std::string_view ApiSchemaVersion = "1.0.0";

}  // namespace prepaid::backend::api
