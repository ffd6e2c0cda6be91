#pragma once

// Command line and settings file of prepaid-kiosk. Parsed before SDL starts, so --help,
// --version and bad flags work without a display.

#include <filesystem>
#include <optional>
#include <string>
#include <variant>

#include "prepaid/viewmodels/session_context.hpp"

namespace prepaid::kiosk::app {

struct AppOptions {
  std::optional<std::pair<int, int>> windowed;  // --windowed WxH; fullscreen otherwise
  std::filesystem::path configPath;             // settings file (read, and written on Save)
  std::filesystem::path assetsDir;              // holds i18n/
  std::filesystem::path fontPath;
  std::string printerUri;  // virtual:<dir> | serial:… | usb:… | tcp:… | file:… | none
  std::string printerEncoding = "gb18030";
  std::size_t printerColumns = 32;
  std::string scannerUri;                // evdev:… | serial:… | "" (none)
  std::filesystem::path frameStatsPath;  // append one line per rendered frame (measurement)
  std::filesystem::path uiMapPath;       // write the drawn targets and texts (e2e tests)
  KioskSettings settings;
};

/// Parsed options, or the exit code to return now (help, version, bad flag). A settings file
/// that cannot be read is reported on stderr and ignored (defaults plus the command line).
[[nodiscard]] std::variant<AppOptions, int> parseOptions(int argc, char** argv);

/// Reads the settings file into `settings`, `printerUri` and `scannerUri` (missing file:
/// unchanged). Error text on failure, and then nothing is changed.
[[nodiscard]] std::optional<std::string> loadSettingsFile(const std::filesystem::path& path,
                                                          KioskSettings& settings,
                                                          std::string& printerUri,
                                                          std::string& scannerUri);
/// Writes the settings file (atomically: temp file + rename).
[[nodiscard]] std::optional<std::string> saveSettingsFile(const std::filesystem::path& path,
                                                          const KioskSettings& settings,
                                                          const std::string& printerUri,
                                                          const std::string& scannerUri);

}  // namespace prepaid::kiosk::app
