#pragma once

// The versioned schema. Each migration is a numbered step; PRAGMA user_version holds the number of
// the last step applied. Steps are append-only: never edit a released step, add a new one.

#include <cstdint>
#include <span>
#include <string_view>

#include "sqlite.hpp"

namespace prepaid::store::detail {

struct Migration {
  std::int64_t version;      // 1, 2, 3, … without gaps
  std::string_view summary;  // one line, for logs
  std::string_view sql;      // portable SQL where a portable form exists
};

/// Every migration in order.
[[nodiscard]] std::span<const Migration> migrations();

/// Brings the database to the latest version: all pending steps in ONE immediate transaction,
/// so a file is never left half-migrated. Throws SchemaTooNew (nothing changed) if the file's
/// user_version is newer than the code. Returns the resulting version.
std::int64_t migrate(Connection& connection);

}  // namespace prepaid::store::detail
