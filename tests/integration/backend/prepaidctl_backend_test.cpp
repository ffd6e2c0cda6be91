// prepaidctl init / sell / command / status driving a running prepaid-backend on the same
// database, against prepaid-meter-sim.

#include <array>
#include <cstdio>
#include <fstream>

#include "engine_site.hpp"
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace prepaid::test {
namespace {

struct Run {
  int status = -1;
  std::string out;
};

Run prepaidctl(const std::string& args) {
  Run run;
  const std::string command = std::string(PREPAID_CTL) + " " + args + " 2>&1";
  std::FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return run;
  }
  std::array<char, 4096> buffer{};
  std::size_t got = 0;
  while ((got = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    run.out.append(buffer.data(), got);
  }
  const int status = pclose(pipe);
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

TEST(PrepaidctlBackendTest, InitSellCommandAndStatusDriveTheRunningEngine) {
  EngineSite site;
  ASSERT_TRUE(site.startSim({"--gateways", "1", "--meters-per-gateway", "2", "--protocol",
                             "modbus-tcp", "--profile-dir", PREPAID_SOURCE_DIR "/assets/meters"}));
  const auto key1 = MeterSimProcess::valueOf(site.sim().control("key 0 1"), "key");
  const auto key2 = MeterSimProcess::valueOf(site.sim().control("key 0 2"), "key");
  const auto siteFile = site.dir() / "site.toml";
  {
    std::ofstream out(siteFile);
    out << "[site]\nname = \"Test Mall\"\n[settings]\ncollection_interval_s = 1\n"
        << "[[building]]\nname = \"A\"\n[[building.floor]]\nname = \"1F\"\nshops = [\"A101\", "
           "\"A102\"]\n"
        << "[[gateway]]\nname = \"gw0\"\nuri = \"tcp://" << site.sim().endpoint(0)
        << "\"\nresponse_timeout_ms = 300\ndelay_ms = 0\n"
        << "[[gateway.meter]]\nserial = \"S1\"\nunit = 1\nshop = \"A101\"\nkey = \"" << key1
        << "\"\ntenant = \"Zhang\"\n"
        << "[[gateway.meter]]\nserial = \"S2\"\nunit = 2\nshop = \"A102\"\nkey = \"" << key2
        << "\"\ntenant = \"Li\"\n";
  }
  const auto db = site.dbPath().string();
  const auto bad = site.dir() / "bad.toml";
  {
    std::ofstream out(bad);
    out << "[[gateway]]\nname = \"x\"\nuri = \"tcp://127.0.0.1:1\"\ncolour = \"red\"\n";
  }
  const auto refused = prepaidctl("init --site " + bad.string() + " --db " + db);
  EXPECT_EQ(refused.status, 1) << refused.out;
  EXPECT_NE(refused.out.find("gateway[0].colour: unknown key"), std::string::npos) << refused.out;

  const auto init = prepaidctl("init --site " + siteFile.string() + " --db " + db);
  ASSERT_EQ(init.status, 0) << init.out;
  ASSERT_TRUE(site.startBackend());

  const auto sold = prepaidctl("sell --db " + db + " --meter S1 --amount-fen 1234 --key ord-1");
  ASSERT_EQ(sold.status, 0) << sold.out;
  EXPECT_EQ(nlohmann::json::parse(sold.out)["purchase_count"], 1);
  const auto replay = prepaidctl("sell --db " + db + " --meter S1 --amount-fen 1234 --key ord-1");
  ASSERT_EQ(replay.status, 0) << replay.out;
  EXPECT_TRUE(nlohmann::json::parse(replay.out)["replayed"].get<bool>());
  ASSERT_TRUE(eventually([&] { return site.sim().field(0, 1, "purchase_count") == 1; }))
      << site.log();

  const auto tripped = prepaidctl("command --db " + db + " --kind trip --meter S1 --meter S2");
  ASSERT_EQ(tripped.status, 0) << tripped.out;
  ASSERT_TRUE(eventually([&] {
    return MeterSimProcess::valueOf(site.sim().control("get 0 2"), "relay") == "open";
  })) << site.log();
  const auto unknown = prepaidctl("command --db " + db + " --kind explode --meter S1");
  EXPECT_EQ(unknown.status, 1);

  ASSERT_TRUE(eventually([&] {
    const auto status = prepaidctl("status --db " + db);
    if (status.status != 0) {
      return false;
    }
    const auto json = nlohmann::json::parse(status.out);
    return json["commands"]["queued"] == 0 && json["commands"]["sending"] == 0 &&
           json["commands"]["done"] == 3 && json["ledger_consistent"].get<bool>();
  })) << prepaidctl("status --db " + db).out;
  const auto status = nlohmann::json::parse(prepaidctl("status --db " + db + " --meter S1").out);
  ASSERT_EQ(status["meters"].size(), 1U);
  EXPECT_EQ(status["meters"][0]["purchase_count"], 1);
  EXPECT_EQ(status["meters"][0]["balance_fen"], 1234);
  EXPECT_EQ(site.backend().stop(), 0);
}

}  // namespace
}  // namespace prepaid::test
