// prepaidctl meter read / recharge end to end: the installed-layout binary, a profile directory
// flag, JSON on stdout — against the pymodbus server.
#include <array>
#include <cstdio>
#include <string>

#include "pymodbus_server.hpp"
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace prepaid::devices {
namespace {

using testing::PymodbusServer;
using testing::Source;

struct Run {
  int status = -1;
  std::string out;
};

Run run(const std::string& args) {
  Run result;
  const std::string command = std::string(PREPAIDCTL_PATH) + " " + args + " 2>/dev/null";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return result;
  }
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) {
    result.out += buffer.data();
  }
  const int status = ::pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

TEST(PrepaidctlMeterTest, ReadPrintsTheSnapshotAsJson) {
  PymodbusServer server("single-phase-prepaid", 4,
                        {"total_energy=98765", "voltage=2200", "balance=12345", "purchase_count=3",
                         "relay_state=0", "price_flat=6500"});
  ASSERT_TRUE(server.waitReady(std::chrono::seconds(20)));
  const auto result = run("meter read --transport tcp://127.0.0.1:" + std::to_string(server.port) +
                          " --unit 4 --profile single-phase-prepaid --profile-dir " +
                          (Source / "assets/meters").string());
  ASSERT_EQ(result.status, 0) << result.out;
  const auto json = nlohmann::json::parse(result.out);
  EXPECT_EQ(json["total_energy_centi_kwh"], 98765);
  EXPECT_EQ(json["voltage_mv"], 220000);
  EXPECT_EQ(json["prepaid"]["balance_fen"], 12345);
  EXPECT_EQ(json["prepaid"]["purchase_count"], 3);
  EXPECT_EQ(json["prepaid"]["relay"], "closed");
  EXPECT_EQ(json["prepaid"]["prices_micro_yuan_per_kwh"]["flat"], 650000);
  EXPECT_TRUE(json["rate_energy_centi_kwh"]["sharp"].is_number());
}

TEST(PrepaidctlMeterTest, ErrorsAreReportedWithExitStatus) {
  const auto missingProfile =
      run("meter read --transport tcp://127.0.0.1:1 --unit 1 --profile "
          "no-such-model --profile-dir " +
          (Source / "assets/meters").string());
  EXPECT_EQ(missingProfile.status, 1);
  const auto refused =
      run("meter read --transport rtu+tcp://127.0.0.1:1?connect_timeout_ms=200 --unit 1 "
          "--profile-dir " +
          (Source / "assets/meters").string());
  EXPECT_EQ(refused.status, 3);
  EXPECT_EQ(nlohmann::json::parse(refused.out)["error"]["kind"], "connection_failed");
  const auto badKey =
      run("meter recharge --transport tcp://127.0.0.1:1 --amount-fen 100 --key 12 "
          "--profile-dir " +
          (Source / "assets/meters").string());
  EXPECT_EQ(badKey.status, 1);
}

}  // namespace
}  // namespace prepaid::devices
