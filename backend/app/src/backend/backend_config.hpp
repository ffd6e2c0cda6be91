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

  // [http]: the API server runs only when the section is present.
  bool httpEnabled = false;
  std::string httpHost = "127.0.0.1";                   // [http] host
  std::int64_t httpPort = 8080;                         // [http] port (0: any free port)
  std::int64_t httpKiosks = 4;                          // [http] kiosks (sizes the pool)
  std::int64_t httpConsoles = 4;                        // [http] consoles (staff browsers)
  std::optional<std::int64_t> httpThreads;              // [http] threads (overrides sizing)
  std::optional<std::filesystem::path> tlsCertificate;  // [http] tls_cert (PEM)
  std::optional<std::filesystem::path> tlsPrivateKey;   // [http] tls_key (PEM)
  std::int64_t storeReaders = 8;                        // [store] readers (reader pool)

  // [payments]: the payment service runs only when providers is set.
  std::optional<std::filesystem::path> paymentProviders;  // [payments] providers (providers.json)
  std::int64_t paymentTickMs = 200;                       // [payments] tick_ms
  std::int64_t paymentCodePayTimeoutS = 60;  // [payments] code_pay_timeout_s (reverse after)
  std::int64_t paymentQrLifetimeS = 180;     // [payments] qr_lifetime_s (time_expire of a QR)
};

/// Reads and validates the file. Error: one line naming the file and the key.
[[nodiscard]] std::expected<BackendConfig, std::string> loadBackendConfig(
    const std::filesystem::path& file);

}  // namespace prepaid::backend::app
