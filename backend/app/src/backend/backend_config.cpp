#include "backend_config.hpp"

#include <set>

#include "device_bus_factory.hpp"
#include <toml++/toml.h>

namespace prepaid::backend::app {

namespace {

using Error = std::unexpected<std::string>;

// Refuses keys the program does not know: a typo must not silently fall back to a default.
std::expected<void, std::string> onlyKnown(const toml::table& table, const std::string& where,
                                           const std::set<std::string>& known) {
  for (const auto& [key, value] : table) {
    if (!known.contains(std::string(key.str()))) {
      return Error(where + std::string(key.str()) + ": unknown key");
    }
  }
  return {};
}

std::expected<void, std::string> readInt(const toml::table& table, const std::string& where,
                                         const char* key, std::int64_t minimum,
                                         std::int64_t maximum, std::int64_t& out) {
  const auto* node = table.get(key);
  if (node == nullptr) {
    return {};
  }
  const auto value = node->value<std::int64_t>();
  if (!value || !node->is_integer() || *value < minimum || *value > maximum) {
    return Error(where + key + ": must be an integer " + std::to_string(minimum) + ".." +
                 std::to_string(maximum));
  }
  out = *value;
  return {};
}

std::expected<void, std::string> readMs(const toml::table& table, const std::string& where,
                                        const char* key, std::int64_t minimum,
                                        std::chrono::milliseconds& out) {
  std::int64_t value = out.count();
  auto read = readInt(table, where, key, minimum, 86400000, value);
  if (!read) {
    return read;
  }
  out = std::chrono::milliseconds(value);
  return {};
}

std::expected<void, std::string> readString(const toml::table& table, const std::string& where,
                                            const char* key, std::optional<std::string>& out) {
  const auto* node = table.get(key);
  if (node == nullptr) {
    return {};
  }
  const auto value = node->value<std::string>();
  if (!value || value->empty()) {
    return Error(where + key + ": must be a non-empty string");
  }
  out = *value;
  return {};
}

const toml::table* section(const toml::table& root, const char* name, std::string& error) {
  const auto* node = root.get(name);
  if (node == nullptr) {
    return nullptr;
  }
  if (!node->is_table()) {
    error = std::string(name) + ": must be a table";
    return nullptr;
  }
  return node->as_table();
}

}  // namespace

std::expected<BackendConfig, std::string> loadBackendConfig(const std::filesystem::path& file) {
  toml::table root;
  try {
    root = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    return Error(file.string() + ":" + std::to_string(e.source().begin.line) + ": " +
                 std::string(e.description()));
  }
  const auto prefix = file.string() + ": ";
  const auto base = file.parent_path();
  const auto resolve = [&](const std::string& path) {
    const std::filesystem::path p(path);
    return p.is_absolute() ? p : base / p;
  };
  if (auto known =
          onlyKnown(root, prefix,
                    {"store", "log", "site", "meters", "collect", "billing", "http", "payments"});
      !known) {
    return Error(known.error());
  }
  BackendConfig config;
  config.profileDir = defaultProfileDir();
  std::string error;

  const auto* store = section(root, "store", error);
  if (!error.empty()) {
    return Error(prefix + error);
  }
  std::optional<std::string> database;
  if (store != nullptr) {
    if (auto ok = onlyKnown(*store, prefix + "store.", {"database", "readers"}); !ok) {
      return Error(ok.error());
    }
    if (auto ok = readInt(*store, prefix + "store.", "readers", 1, 256, config.storeReaders); !ok) {
      return Error(ok.error());
    }
    if (auto ok = readString(*store, prefix + "store.", "database", database); !ok) {
      return Error(ok.error());
    }
  }
  if (!database) {
    return Error(prefix + "store.database: required (path of the site database)");
  }
  config.databasePath = resolve(*database);

  if (const auto* log = section(root, "log", error)) {
    if (auto ok = onlyKnown(*log, prefix + "log.", {"level", "file"}); !ok) {
      return Error(ok.error());
    }
    std::optional<std::string> level;
    std::optional<std::string> logFile;
    if (auto ok = readString(*log, prefix + "log.", "level", level); !ok) {
      return Error(ok.error());
    }
    if (auto ok = readString(*log, prefix + "log.", "file", logFile); !ok) {
      return Error(ok.error());
    }
    static const std::set<std::string> levels{"trace", "debug",    "info", "warn",
                                              "error", "critical", "off"};
    if (level) {
      if (!levels.contains(*level)) {
        return Error(prefix + "log.level: one of trace, debug, info, warn, error, critical, off");
      }
      config.logLevel = *level;
    }
    if (logFile) {
      config.logFile = resolve(*logFile);
    }
  }
  if (!error.empty()) {
    return Error(prefix + error);
  }

  if (const auto* site = section(root, "site", error)) {
    if (auto ok = onlyKnown(*site, prefix + "site.", {"utc_offset_minutes"}); !ok) {
      return Error(ok.error());
    }
    std::int64_t offset = 480;
    if (site->get("utc_offset_minutes") != nullptr) {
      if (auto ok = readInt(*site, prefix + "site.", "utc_offset_minutes", -840, 840, offset);
          !ok) {
        return Error(ok.error());
      }
      config.utcOffsetMinutes = offset;
    }
  }
  if (!error.empty()) {
    return Error(prefix + error);
  }

  if (const auto* meters = section(root, "meters", error)) {
    if (auto ok = onlyKnown(*meters, prefix + "meters.", {"profile_dir", "quiet_ms"}); !ok) {
      return Error(ok.error());
    }
    std::optional<std::string> dir;
    if (auto ok = readString(*meters, prefix + "meters.", "profile_dir", dir); !ok) {
      return Error(ok.error());
    }
    if (dir) {
      config.profileDir = resolve(*dir);
    }
    std::int64_t quiet = config.quietMs;
    if (auto ok = readInt(*meters, prefix + "meters.", "quiet_ms", 1, 10000, quiet); !ok) {
      return Error(ok.error());
    }
    config.quietMs = static_cast<int>(quiet);
  }
  if (!error.empty()) {
    return Error(prefix + error);
  }

  if (const auto* collect = section(root, "collect", error)) {
    const auto where = prefix + "collect.";
    if (auto ok = onlyKnown(*collect, where,
                            {"retry_base_ms", "max_backoff_ms", "command_check_ms", "refresh_ms",
                             "command_retry_base_ms", "command_retry_max_ms", "mismatch_retry_ms",
                             "max_control_attempts", "batch_size", "batch_delay_ms",
                             "worker_stack_kb", "max_gateways"});
        !ok) {
      return Error(ok.error());
    }
    auto& c = config.collect;
    for (const auto& [key, target] :
         {std::pair<const char*, std::chrono::milliseconds*>{"retry_base_ms", &c.retryBase},
          {"max_backoff_ms", &c.maxBackoff},
          {"command_check_ms", &c.commandCheck},
          {"refresh_ms", &c.refresh},
          {"command_retry_base_ms", &c.commandRetryBase},
          {"command_retry_max_ms", &c.commandRetryMax},
          {"mismatch_retry_ms", &c.mismatchRetry},
          {"batch_delay_ms", &c.batchDelay}}) {
      if (auto ok = readMs(*collect, where, key, 1, *target); !ok) {
        return Error(ok.error());
      }
    }
    std::int64_t attempts = c.maxControlAttempts;
    std::int64_t batch = static_cast<std::int64_t>(c.batchSize);
    std::int64_t stackKb = static_cast<std::int64_t>(c.workerStackBytes / 1024);
    std::int64_t gateways = static_cast<std::int64_t>(c.maxGateways);
    for (const auto& [key, target, low, high] :
         {std::tuple<const char*, std::int64_t*, std::int64_t, std::int64_t>{"max_control_attempts",
                                                                             &attempts, 1, 1000},
          {"batch_size", &batch, 1, 100000},
          {"worker_stack_kb", &stackKb, 64, 65536},
          {"max_gateways", &gateways, 1, 100000}}) {
      if (auto ok = readInt(*collect, where, key, low, high, *target); !ok) {
        return Error(ok.error());
      }
    }
    c.maxControlAttempts = attempts;
    c.batchSize = static_cast<std::size_t>(batch);
    c.workerStackBytes = static_cast<std::size_t>(stackKb) * 1024;
    c.maxGateways = static_cast<std::size_t>(gateways);
  }
  if (!error.empty()) {
    return Error(prefix + error);
  }

  if (const auto* billing = section(root, "billing", error)) {
    if (auto ok = onlyKnown(*billing, prefix + "billing.", {"meters_per_transaction"}); !ok) {
      return Error(ok.error());
    }
    if (auto ok = readInt(*billing, prefix + "billing.", "meters_per_transaction", 1, 10000,
                          config.billingMetersPerTransaction);
        !ok) {
      return Error(ok.error());
    }
  }
  if (!error.empty()) {
    return Error(prefix + error);
  }

  if (const auto* http = section(root, "http", error)) {
    const auto where = prefix + "http.";
    if (auto ok = onlyKnown(
            *http, where, {"host", "port", "kiosks", "consoles", "threads", "tls_cert", "tls_key"});
        !ok) {
      return Error(ok.error());
    }
    config.httpEnabled = true;
    std::optional<std::string> host;
    std::optional<std::string> cert;
    std::optional<std::string> key;
    for (const auto& [name, target] :
         {std::pair<const char*, std::optional<std::string>*>{"host", &host},
          {"tls_cert", &cert},
          {"tls_key", &key}}) {
      if (auto ok = readString(*http, where, name, *target); !ok) {
        return Error(ok.error());
      }
    }
    if (host) {
      config.httpHost = *host;
    }
    for (const auto& [name, target, low, high] :
         {std::tuple<const char*, std::int64_t*, std::int64_t, std::int64_t>{
              "port", &config.httpPort, 0, 65535},
          {"kiosks", &config.httpKiosks, 0, 1000},
          {"consoles", &config.httpConsoles, 0, 1000}}) {
      if (auto ok = readInt(*http, where, name, low, high, *target); !ok) {
        return Error(ok.error());
      }
    }
    if (http->get("threads") != nullptr) {
      std::int64_t threads = 0;
      if (auto ok = readInt(*http, where, "threads", 1, 4096, threads); !ok) {
        return Error(ok.error());
      }
      config.httpThreads = threads;
    }
    if (cert.has_value() != key.has_value()) {
      return Error(where + "tls_cert: tls_cert and tls_key go together");
    }
    if (cert) {
      config.tlsCertificate = resolve(*cert);
      config.tlsPrivateKey = resolve(*key);
    }
  }
  if (!error.empty()) {
    return Error(prefix + error);
  }

  if (const auto* payments = section(root, "payments", error)) {
    const auto where = prefix + "payments.";
    if (auto ok = onlyKnown(*payments, where,
                            {"providers", "tick_ms", "code_pay_timeout_s", "qr_lifetime_s"});
        !ok) {
      return Error(ok.error());
    }
    std::optional<std::string> providers;
    if (auto ok = readString(*payments, where, "providers", providers); !ok) {
      return Error(ok.error());
    }
    if (!providers) {
      return Error(where + "providers: required (the provider settings file, providers.json)");
    }
    config.paymentProviders = resolve(*providers);
    if (auto ok = readInt(*payments, where, "tick_ms", 10, 60000, config.paymentTickMs); !ok) {
      return Error(ok.error());
    }
    // Bounds: a customer needs some seconds to confirm; the providers keep an unconfirmed code
    // payment (and a QR) open for minutes, not hours.
    if (auto ok =
            readInt(*payments, where, "code_pay_timeout_s", 5, 600, config.paymentCodePayTimeoutS);
        !ok) {
      return Error(ok.error());
    }
    if (auto ok = readInt(*payments, where, "qr_lifetime_s", 60, 7200, config.paymentQrLifetimeS);
        !ok) {
      return Error(ok.error());
    }
    if (!config.httpEnabled) {
      return Error(where + "providers: payments need the [http] section (notifications, kiosks)");
    }
  }
  if (!error.empty()) {
    return Error(prefix + error);
  }
  return config;
}

}  // namespace prepaid::backend::app
