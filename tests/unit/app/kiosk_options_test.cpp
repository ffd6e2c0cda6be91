#include "prepaid/kioskapp/kiosk_options.hpp"

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace prepaid::kiosk::app {
namespace {

class SettingsFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device random;
    m_dir = std::filesystem::temp_directory_path() /
            ("kiosk-settings-" + std::to_string(random()) + std::to_string(random()));
    std::filesystem::create_directories(m_dir);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(m_dir, ec);
  }
  [[nodiscard]] std::filesystem::path file() const { return m_dir / "sub" / "settings.json"; }
  static void write(const std::filesystem::path& path, const std::string& text) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }
  // parseOptions with a fake argv (CLI11 wants char**).
  static std::variant<AppOptions, int> parse(std::vector<std::string> args) {
    args.insert(args.begin(), "prepaid-kiosk");
    std::vector<char*> argv;
    for (auto& arg : args) {
      argv.push_back(arg.data());
    }
    return parseOptions(static_cast<int>(argv.size()), argv.data());
  }
  std::filesystem::path m_dir;
};

TEST_F(SettingsFileTest, SaveThenLoadRoundTrips) {
  KioskSettings saved;
  saved.siteName = "演示商场";
  saved.backendUrl = "http://10.0.0.2:8080";
  saved.kioskKey = "k-123";
  saved.idleTimeout = std::chrono::seconds(90);
  saved.language = Language::En;
  ASSERT_EQ(saveSettingsFile(file(), saved, "virtual:/tmp/r", "serial:/dev/ttyACM0"), std::nullopt);
  KioskSettings loaded;
  std::string printer;
  std::string scanner;
  ASSERT_EQ(loadSettingsFile(file(), loaded, printer, scanner), std::nullopt);
  EXPECT_EQ(loaded.siteName, "演示商场");
  EXPECT_EQ(loaded.backendUrl, "http://10.0.0.2:8080");
  EXPECT_EQ(loaded.kioskKey, "k-123");
  EXPECT_EQ(loaded.idleTimeout, std::chrono::seconds(90));
  EXPECT_EQ(loaded.language, Language::En);
  EXPECT_EQ(printer, "virtual:/tmp/r");
  EXPECT_EQ(scanner, "serial:/dev/ttyACM0");
}

TEST_F(SettingsFileTest, RewriteIsAtomicAndLeavesNoTempFile) {
  KioskSettings first;
  first.backendUrl = "http://a:1";
  ASSERT_EQ(saveSettingsFile(file(), first, "", ""), std::nullopt);
  // A reader holding the old file keeps reading the old contents (rename replaces the
  // directory entry; the old inode is untouched), and the new file is complete.
  std::ifstream oldReader(file());
  KioskSettings second;
  second.backendUrl = "http://b:2";
  ASSERT_EQ(saveSettingsFile(file(), second, "", ""), std::nullopt);
  const auto oldJson = nlohmann::json::parse(oldReader);
  EXPECT_EQ(oldJson.at("backend_url"), "http://a:1");
  std::ifstream in(file());
  EXPECT_EQ(nlohmann::json::parse(in).at("backend_url"), "http://b:2");
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(file().parent_path())) {
    names.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"settings.json"}));
}

TEST_F(SettingsFileTest, UnwritableDirectoryIsAClearError) {
  const auto blocker = m_dir / "blocker";
  write(blocker, "a file where the directory should be");
  const auto error = saveSettingsFile(blocker / "settings.json", KioskSettings{}, "", "");
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("settings.json"), std::string::npos);
}

TEST_F(SettingsFileTest, MissingFileLeavesDefaults) {
  KioskSettings settings;
  const KioskSettings defaults;
  std::string printer = "none";
  std::string scanner;
  EXPECT_EQ(loadSettingsFile(m_dir / "absent.json", settings, printer, scanner), std::nullopt);
  EXPECT_EQ(settings.backendUrl, defaults.backendUrl);
  EXPECT_EQ(printer, "none");
}

TEST_F(SettingsFileTest, BadFileIsAClearErrorAndKeepsDefaults) {
  write(file(), "{ \"backend_url\": ");
  KioskSettings settings;
  const KioskSettings defaults;
  std::string printer;
  std::string scanner;
  const auto error = loadSettingsFile(file(), settings, printer, scanner);
  ASSERT_TRUE(error);
  EXPECT_NE(error->find(file().string()), std::string::npos);
  EXPECT_EQ(settings.backendUrl, defaults.backendUrl);
  EXPECT_EQ(settings.idleTimeout, defaults.idleTimeout);
}

TEST_F(SettingsFileTest, WrongTypeIsAClearErrorAndKeepsDefaults) {
  write(file(), R"({"backend_url": "http://x:1", "idle_timeout_s": "soon"})");
  KioskSettings settings;
  const KioskSettings defaults;
  std::string printer;
  std::string scanner;
  const auto error = loadSettingsFile(file(), settings, printer, scanner);
  ASSERT_TRUE(error);
  // Nothing half-applied: the URL before the bad field is not taken either.
  EXPECT_EQ(settings.backendUrl, defaults.backendUrl);
}

TEST_F(SettingsFileTest, CommandLineWinsOverTheFile) {
  write(file(), R"({"backend_url": "http://file:1", "kiosk_key": "file-key",
                    "idle_timeout_s": 120, "language": "en", "site_name": "File Mall",
                    "printer": "file:/tmp/p.bin", "scanner": "serial:/dev/ttyS9"})");
  auto parsed = parse({"--config", file().string(), "--backend", "http://cli:2", "--printer",
                       "none", "--idle-timeout", "30"});
  ASSERT_TRUE(std::holds_alternative<AppOptions>(parsed));
  const auto& options = std::get<AppOptions>(parsed);
  EXPECT_EQ(options.settings.backendUrl, "http://cli:2");  // command line
  EXPECT_EQ(options.printerUri, "none");                   // command line
  EXPECT_EQ(options.settings.idleTimeout.count(), 30);     // command line
  EXPECT_EQ(options.settings.kioskKey, "file-key");        // file (not on the command line)
  EXPECT_EQ(options.settings.siteName, "File Mall");       // file
  EXPECT_EQ(options.settings.language, Language::En);      // file
  EXPECT_EQ(options.scannerUri, "serial:/dev/ttyS9");      // file
}

TEST_F(SettingsFileTest, BadSettingsFileStartsWithDefaultsAndTheCommandLine) {
  write(file(), "not json");
  ::testing::internal::CaptureStderr();
  auto parsed = parse({"--config", file().string(), "--kiosk-key", "cli-key"});
  const std::string stderrText = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(std::holds_alternative<AppOptions>(parsed));
  const auto& options = std::get<AppOptions>(parsed);
  EXPECT_EQ(options.settings.backendUrl, KioskSettings{}.backendUrl);
  EXPECT_EQ(options.settings.kioskKey, "cli-key");
  EXPECT_NE(stderrText.find("settings file ignored"), std::string::npos);
  EXPECT_NE(stderrText.find(file().string()), std::string::npos);
}

TEST_F(SettingsFileTest, UnknownLanguageIsAClearError) {
  write(file(), R"({"language": "fr"})");
  KioskSettings settings;
  std::string printer;
  std::string scanner;
  const auto error = loadSettingsFile(file(), settings, printer, scanner);
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("zh-CN or en"), std::string::npos);
}

}  // namespace
}  // namespace prepaid::kiosk::app
