#pragma once

// prepaid-backend's configuration file (TOML). Keys and defaults: backend/app/README.md.

#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>

#include "prepaid/collect/collect_options.hpp"

namespace prepaid::backend::app {

struct BackendConfig {
  std::filesystem::path databasePath;  // [store] database (relative to the config file)
  std::string logLevel = "info";       // [log] level: trace debug info warn error critical off
  std::optional<std::filesystem::path> logFile;   // [log] file (default: stderr)
  std::optional<std::int64_t> utcOffsetMinutes;   // [site] utc_offset_minutes: written to the DB
  std::filesystem::path profileDir;               // [meters] profile_dir
  int quietMs = 100;                              // [meters] quiet_ms
  collect::CollectOptions collect;                // [collect] …
  std::int64_t billingMetersPerTransaction = 16;  // [billing] meters_per_transaction
};

/// Reads and validates the file. Error: one line naming the file and the key.
[[nodiscard]] std::expected<BackendConfig, std::string> loadBackendConfig(
    const std::filesystem::path& file);

}  // namespace prepaid::backend::app
