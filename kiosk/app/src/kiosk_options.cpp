#include "prepaid/kioskapp/kiosk_options.hpp"

#include <cstdlib>
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "prepaid/version.hpp"

namespace prepaid::kiosk::app {

std::optional<std::string> loadSettingsFile(const std::filesystem::path& path,
                                            KioskSettings& settings, std::string& printerUri,
                                            std::string& scannerUri) {
  std::error_code ec;
  if (path.empty() || !std::filesystem::exists(path, ec)) {
    return std::nullopt;
  }
  std::ifstream in(path);
  if (!in) {
    return path.string() + ": cannot be read";
  }
  // Into copies first: a file that fails half-way changes nothing.
  KioskSettings read = settings;
  std::string printer = printerUri;
  std::string scanner = scannerUri;
  try {
    const auto json = nlohmann::json::parse(in);
    if (!json.is_object()) {
      return path.string() + ": not a JSON object";
    }
    read.siteName = json.value("site_name", read.siteName);
    read.backendUrl = json.value("backend_url", read.backendUrl);
    read.kioskKey = json.value("kiosk_key", read.kioskKey);
    const auto idleSeconds =
        json.value("idle_timeout_s", static_cast<std::int64_t>(read.idleTimeout.count()));
    if (idleSeconds < 1) {
      return path.string() + ": idle_timeout_s must be a positive number of seconds";
    }
    read.idleTimeout = std::chrono::seconds(idleSeconds);
    const auto languageName = json.value("language", std::string(toString(read.language)));
    const auto language = parseLanguage(languageName);
    if (!language) {
      return path.string() + ": language must be zh-CN or en, got '" + languageName + "'";
    }
    read.language = *language;
    printer = json.value("printer", printer);
    scanner = json.value("scanner", scanner);
  } catch (const std::exception& e) {
    return path.string() + ": " + e.what();
  }
  settings = std::move(read);
  printerUri = std::move(printer);
  scannerUri = std::move(scanner);
  return std::nullopt;
}

std::optional<std::string> saveSettingsFile(const std::filesystem::path& path,
                                            const KioskSettings& settings,
                                            const std::string& printerUri,
                                            const std::string& scannerUri) {
  const nlohmann::json json = {{"site_name", settings.siteName},
                               {"backend_url", settings.backendUrl},
                               {"kiosk_key", settings.kioskKey},
                               {"idle_timeout_s", settings.idleTimeout.count()},
                               {"language", toString(settings.language)},
                               {"printer", printerUri},
                               {"scanner", scannerUri}};
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  const auto temp = path.string() + ".tmp";
  {
    std::ofstream out(temp);
    out << json.dump(2) << "\n";
    if (!out) {
      return "cannot write " + temp;
    }
  }
  std::filesystem::rename(temp, path, ec);
  if (ec) {
    return "cannot replace " + path.string() + ": " + ec.message();
  }
  return std::nullopt;
}

std::variant<AppOptions, int> parseOptions(int argc, char** argv) {
  AppOptions options;
  CLI::App app{
      "prepaid-kiosk — the tenant self-service kiosk (balance, usage, alarms, QR recharge, "
      "receipts; staff maintenance mode by a long press in the top-left corner)",
      "prepaid-kiosk"};
  app.set_version_flag("--version", std::string("prepaid-kiosk ") + prepaid::Version);
  std::string windowed;
  std::string backend;
  std::string kioskKey;
  std::string language;
  std::string siteName;
  int idleTimeout = 0;
  const char* home = std::getenv("HOME");
  options.configPath = std::filesystem::path(home != nullptr ? home : "/tmp") / ".config" /
                       "prepaid-kiosk" / "settings.json";
  options.assetsDir = PREPAID_KIOSK_DEFAULT_ASSETS;
  options.fontPath = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";
  app.add_option("--windowed", windowed, "Run in a window of WxH pixels (e.g. 1080x1920)");
  app.add_option("--config", options.configPath, "Settings file (JSON; written by maintenance)");
  app.add_option("--backend", backend, "Backend base URL (e.g. http://127.0.0.1:8080)");
  app.add_option("--kiosk-key", kioskKey, "This kiosk's API key (X-Kiosk-Key)");
  app.add_option("--site-name", siteName, "Site name shown in the header and on receipts");
  app.add_option("--lang", language, "Start language: zh-CN (default) or en");
  app.add_option("--idle-timeout", idleTimeout, "Seconds without input before the start screen");
  app.add_option("--printer", options.printerUri,
                 "Receipt printer: virtual:<dir>, serial:<dev>?baud=N, usb:/dev/usb/lp0, "
                 "tcp:<host>:9100, file:<path>, none");
  app.add_option("--printer-encoding", options.printerEncoding, "gb18030 (default), gbk, ascii");
  app.add_option("--printer-columns", options.printerColumns, "32 (58 mm) or 48 (80 mm)");
  app.add_option("--scanner", options.scannerUri,
                 "Code scanner: evdev:/dev/input/by-id/…-event-kbd or serial:/dev/ttyACM0");
  app.add_option("--assets", options.assetsDir, "Assets directory (holds i18n/)");
  app.add_option("--font", options.fontPath, "CJK font file (TTF/TTC)");
  app.add_option("--frame-stats", options.frameStatsPath,
                 "Append per-frame timings (ms) to this file (measurement)");
  app.add_option(
      "--ui-map", options.uiMapPath,
      "After each frame, write the screen's touch targets and texts as JSON (e2e tests)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "prepaid-kiosk: " << e.what() << " (see --help)\n";
    return e.get_exit_code() != 0 ? e.get_exit_code() : 2;
  }
  if (!windowed.empty()) {
    int w = 0;
    int h = 0;
    char x = 0;
    std::istringstream in(windowed);
    if (!(in >> w >> x >> h) || x != 'x' || w < 320 || h < 320 || w > 8192 || h > 8192) {
      std::cerr << "prepaid-kiosk: --windowed expects WxH like 1080x1920, got '" << windowed
                << "'\n";
      return 2;
    }
    options.windowed = std::make_pair(w, h);
  }
  std::string printerFromFile = options.printerUri;
  std::string scannerFromFile = options.scannerUri;
  if (auto error = loadSettingsFile(options.configPath, options.settings, printerFromFile,
                                    scannerFromFile)) {
    // A damaged settings file must not keep the kiosk down: defaults (and the command line)
    // apply, and staff can save good settings from maintenance mode.
    std::cerr << "prepaid-kiosk: settings file ignored, using defaults: " << *error << "\n";
  }
  // The command line wins over the file.
  if (options.printerUri.empty()) {
    options.printerUri = printerFromFile;
  }
  if (options.scannerUri.empty()) {
    options.scannerUri = scannerFromFile;
  }
  if (!backend.empty()) {
    options.settings.backendUrl = backend;
  }
  if (!kioskKey.empty()) {
    options.settings.kioskKey = kioskKey;
  }
  if (!siteName.empty()) {
    options.settings.siteName = siteName;
  }
  if (idleTimeout > 0) {
    options.settings.idleTimeout = std::chrono::seconds(idleTimeout);
  }
  if (!language.empty()) {
    auto parsed = parseLanguage(language);
    if (!parsed) {
      std::cerr << "prepaid-kiosk: --lang must be zh-CN or en, got '" << language << "'\n";
      return 2;
    }
    options.settings.language = *parsed;
  }
  return options;
}

}  // namespace prepaid::kiosk::app
