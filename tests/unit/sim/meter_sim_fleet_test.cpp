#include "prepaid/sim/meter_sim_fleet.hpp"

#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

namespace prepaid::devices::sim {
namespace {

class FleetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir = std::filesystem::temp_directory_path() /
            ("prepaid-sim-fleet-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(m_dir);
  }
  void TearDown() override { std::filesystem::remove_all(m_dir); }
  std::filesystem::path write(const std::string& text) {
    const auto file = m_dir / "fleet.toml";
    std::ofstream(file) << text;
    return file;
  }
  std::filesystem::path m_dir;
};

TEST_F(FleetTest, FlagsBuildGatewaysOnConsecutivePorts) {
  FlagFleetOptions options;
  options.gateways = 3;
  options.metersPerGateway = 4;
  options.basePort = 16000;
  options.protocols = {GatewayProtocol::ModbusTcp, GatewayProtocol::Dlt645Tcp};
  auto fleet = fleetFromFlags(options);
  ASSERT_TRUE(fleet) << fleet.error();
  ASSERT_EQ(fleet->gateways.size(), 3U);
  EXPECT_EQ(fleet->gateways[2].port, 16002);
  EXPECT_EQ(fleet->gateways[1].protocol, GatewayProtocol::Dlt645Tcp);
  EXPECT_EQ(fleet->gateways[2].protocol, GatewayProtocol::ModbusTcp);
  ASSERT_EQ(fleet->gateways[1].meters.size(), 4U);
  EXPECT_EQ(fleet->gateways[1].meters[3].unit, 4);
  EXPECT_EQ(fleet->gateways[1].meters[3].address, "000001000004");
  EXPECT_EQ(fleet->gateways[1].meters[3].key, deriveMeterKey(defaultMasterKey(), "000001000004"));
  EXPECT_NE(fleet->gateways[1].meters[3].key, fleet->gateways[1].meters[2].key);
}

TEST_F(FleetTest, FlagsAreValidated) {
  FlagFleetOptions options;
  options.gateways = 0;
  EXPECT_FALSE(fleetFromFlags(options));
  options.gateways = 2;
  options.metersPerGateway = 248;
  EXPECT_FALSE(fleetFromFlags(options));
  options.metersPerGateway = 2;
  options.basePort = 65535;
  EXPECT_FALSE(fleetFromFlags(options));
}

TEST_F(FleetTest, KeyDerivationIsSha256OfMasterAndAddress) {
  // SHA-256(00 01 .. 0f || "000000000001"), first 16 bytes (computed with sha256sum).
  EXPECT_EQ(toHex(deriveMeterKey(defaultMasterKey(), "000000000001")),
            "671b971aaf8ef0727b43b8b9079deb46");
}

TEST_F(FleetTest, LoadsGatewaysDefaultsAndOverrides) {
  const auto file = write(R"(
seed = 7
time_scale = 60.0
master_key = "00112233445566778899aabbccddeeff"
[timing]
baud = 19200
parity = "N2"
turnaround_ms = 15
[defaults]
balance_fen = 5000
[[gateway]]
protocol = "rtu-over-tcp"
port = 15020
meters = 3
[[gateway.meter]]
unit = 2
profile = "three-phase-prepaid"
key = "ffeeddccbbaa99887766554433221100"
fault = "no-reply"
[[gateway.meter]]
unit = 9
address = "123456789012"
[[gateway]]
protocol = "dlt645-tcp"
port = 15021
meters = 1
baud = 2400
gateway_fault = "late-reply:100"
)");
  auto fleet = loadFleetFile(file);
  ASSERT_TRUE(fleet) << fleet.error();
  EXPECT_EQ(fleet->seed, 7U);
  EXPECT_DOUBLE_EQ(fleet->timeScale, 60.0);
  ASSERT_EQ(fleet->gateways.size(), 2U);
  const auto& g0 = fleet->gateways[0];
  EXPECT_EQ(g0.protocol, GatewayProtocol::RtuOverTcp);
  EXPECT_EQ(g0.line.baud, 19200);
  EXPECT_EQ(g0.line.parity, Parity::None);
  EXPECT_EQ(g0.line.stopBits, 2);
  EXPECT_EQ(g0.turnaround, std::chrono::milliseconds(15));
  ASSERT_EQ(g0.meters.size(), 4U);  // units 1..3 and 9
  EXPECT_EQ(g0.meters[0].initial.balanceMicroYuan, 5000 * 10'000);
  EXPECT_EQ(g0.meters[1].profile, "three-phase-prepaid");
  EXPECT_EQ(g0.meters[1].config.phases, Phases::Three);
  EXPECT_EQ(toHex(g0.meters[1].key), "ffeeddccbbaa99887766554433221100");
  EXPECT_EQ(g0.meters[1].fault.kind, FaultKind::NoReply);
  EXPECT_EQ(g0.meters[3].unit, 9);
  EXPECT_EQ(g0.meters[3].address, "123456789012");
  EXPECT_TRUE(g0.meters[3].addressConfigured);
  EXPECT_EQ(g0.meters[0].key,
            deriveMeterKey(*parseKey("00112233445566778899aabbccddeeff"), "000000000001"));
  const auto& g1 = fleet->gateways[1];
  EXPECT_EQ(g1.line.baud, 2400);
  EXPECT_EQ(g1.fault.kind, FaultKind::LateReply);
  EXPECT_EQ(g1.fault.arg, 100);
}

TEST_F(FleetTest, HistoryDaysPrefillTheEnergyRegisters) {
  const auto day = historyEnergy(3000, 1);
  std::int64_t total = 0;
  for (const auto mj : day) {
    EXPECT_GT(mj, 0);
    total += mj;
  }
  // The day shape averages ~0.6 of the busiest hour: 3 kW -> ~43 kWh a day.
  EXPECT_GT(total, 30LL * 3'600'000'000);
  EXPECT_LT(total, 60LL * 3'600'000'000);
  EXPECT_EQ(historyEnergy(3000, 10)[2], 10 * day[2]);
  auto fleet =
      loadFleetFile(write("history_days = 10\n[[gateway]]\nport = 0\nmeters = 1\npeak_w = 3000\n"));
  ASSERT_TRUE(fleet) << fleet.error();
  EXPECT_EQ(fleet->gateways[0].meters[0].initial.energyMilliJoule, historyEnergy(3000, 10));
}

TEST_F(FleetTest, ErrorsNameTheFileAndField) {
  const auto expectError = [&](const std::string& text, const std::string& field) {
    auto fleet = loadFleetFile(write(text));
    ASSERT_FALSE(fleet) << text;
    EXPECT_NE(fleet.error().find("fleet.toml"), std::string::npos) << fleet.error();
    EXPECT_NE(fleet.error().find(field), std::string::npos) << fleet.error();
  };
  expectError("[[gateway]]\nprotocol = \"modbus-udp\"\nport = 1\nmeters = 1\n",
              "gateway[0].protocol");
  expectError("[[gateway]]\nport = 1\nmeters = 1\nbaud = \"fast\"\n", "gateway[0].baud");
  expectError("[[gateway]]\nport = 1\nmeters = 1\nbogus = 1\n", "gateway[0].bogus");
  expectError("[[gateway]]\nport = 1\nmeters = 1\n[[gateway.meter]]\nunit = 300\n", "unit");
  expectError("[[gateway]]\nport = 1\nmeters = 1\n[[gateway.meter]]\nunit = 1\nkey = \"12\"\n",
              "key");
  expectError("[[gateway]]\nport = 1\nmeters = 1\nfault = \"explode\"\n", "gateway[0].fault");
  expectError("[[gateway]]\nport = 1\nmeters = 1\n[[gateway]]\nport = 1\nmeters = 1\n",
              "gateway[1].port");
  expectError("seed = 1\n", "gateway");
  expectError("[[gateway]]\nmeters = 1\n", "port");
  expectError("[[gateway\n", "fleet.toml:1");
  expectError("time_scale = -1\n[[gateway]]\nport = 1\nmeters = 1\n", "time_scale");
}

}  // namespace
}  // namespace prepaid::devices::sim
