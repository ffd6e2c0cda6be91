// prepaid-meter-sim read by a third-party Modbus client: mbpoll (Debian package mbpoll), over
// Modbus TCP and over RTU on the simulator's pty. mbpoll numbers registers from 1.

#include <array>
#include <cstdio>
#include <map>
#include <regex>
#include <string>

#include "meter_sim_process.hpp"
#include <gtest/gtest.h>
#include <sys/wait.h>

namespace prepaid::test {
namespace {

struct MbpollResult {
  int exitStatus = -1;
  std::string output;
  std::map<int, long long> registers;  // 1-based reference -> value
};

MbpollResult runMbpoll(const std::string& arguments) {
  MbpollResult result;
  const std::string command = "mbpoll " + arguments + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return result;
  }
  std::array<char, 512> buffer{};
  while (fgets(buffer.data(), buffer.size(), pipe) != nullptr) {
    result.output += buffer.data();
  }
  const int status = pclose(pipe);
  result.exitStatus = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  const std::regex line(R"(\[(\d+)\]:\s+(-?\d+))");
  for (std::sregex_iterator it(result.output.begin(), result.output.end(), line), end; it != end;
       ++it) {
    result.registers[std::stoi((*it)[1])] = std::stoll((*it)[2]);
  }
  return result;
}

bool haveMbpoll() {
  return std::system("command -v mbpoll >/dev/null 2>&1") == 0;
}

class MbpollReadsTheSimulator : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!haveMbpoll()) {
      GTEST_SKIP() << "mbpoll is not installed (installer/debian-packages.txt lists it)";
    }
  }
  // Holds the clock still: the values mbpoll reads are the values the control port reports.
  static void freeze(MeterSimProcess& sim, int gateway, int unit) {
    ASSERT_EQ(sim.control("advance 7200000").rfind("ok", 0), 0U);
    ASSERT_EQ(
        sim.control("set " + std::to_string(gateway) + " " + std::to_string(unit) + " peak_w 0"),
        "ok");
  }
};

TEST_F(MbpollReadsTheSimulator, EnergyAndPrepaidBlocksOverModbusTcp) {
  MeterSimProcess sim({"--gateways", "1", "--meters-per-gateway", "3", "--tcp-base-port", "0",
                       "--baud", "115200", "--turnaround-ms", "1", "--time-scale", "0.001",
                       "--control-port", "0", "--seed", "11"});
  ASSERT_TRUE(sim.ready());
  freeze(sim, 0, 2);
  ASSERT_EQ(sim.control("set 0 2 purchase_count 7"), "ok");
  const auto energy =
      runMbpoll("-m tcp -p " + std::to_string(sim.port(0)) + " -a 2 -r 1 -c 17 -t 4 -1 127.0.0.1");
  ASSERT_EQ(energy.exitStatus, 0) << energy.output;
  const auto total = sim.field(0, 2, "total_centi_kwh");
  ASSERT_GT(total, 0);
  // Register 0x0000 (mbpoll reference 1) is the high word of total energy.
  EXPECT_EQ(energy.registers.at(1) * 65536 + energy.registers.at(2), total) << energy.output;
  EXPECT_EQ(energy.registers.at(9) * 65536 + energy.registers.at(10),
            sim.field(0, 2, "valley_centi_kwh"));
  EXPECT_EQ(energy.registers.at(12), sim.field(0, 2, "voltage_deci_v"));      // 0x000B
  EXPECT_EQ(energy.registers.at(11), 0);                                      // gap 0x000A
  EXPECT_EQ(energy.registers.at(17), sim.field(0, 2, "power_factor_milli"));  // 0x0010

  // 32-bit view of the prepaid block: balance (0x0100) and purchase count (0x0102).
  const auto prepaid = runMbpoll("-m tcp -p " + std::to_string(sim.port(0)) +
                                 " -a 2 -r 257 -c 2 -t 4:int -B -1 127.0.0.1");
  ASSERT_EQ(prepaid.exitStatus, 0) << prepaid.output;
  EXPECT_EQ(prepaid.registers.at(257), sim.field(0, 2, "balance_fen")) << prepaid.output;
  EXPECT_EQ(prepaid.registers.at(259), 7) << prepaid.output;
}

TEST_F(MbpollReadsTheSimulator, RtuOnThePty) {
  MeterSimProcess sim({"--gateways", "1", "--meters-per-gateway", "2", "--protocol", "rtu-pty",
                       "--baud", "19200", "--parity", "E", "--turnaround-ms", "2", "--time-scale",
                       "0.001", "--control-port", "0"});
  ASSERT_TRUE(sim.ready());
  freeze(sim, 0, 1);
  const auto result =
      runMbpoll("-m rtu -b 19200 -P even -a 1 -r 1 -c 12 -t 4 -1 -o 1 " + sim.endpoint(0));
  ASSERT_EQ(result.exitStatus, 0) << result.output;
  EXPECT_EQ(result.registers.at(1) * 65536 + result.registers.at(2),
            sim.field(0, 1, "total_centi_kwh"));
  EXPECT_EQ(result.registers.at(12), sim.field(0, 1, "voltage_deci_v"));
}

TEST_F(MbpollReadsTheSimulator, AbsentUnitTimesOut) {
  MeterSimProcess sim(
      {"--gateways", "1", "--meters-per-gateway", "2", "--tcp-base-port", "0", "--baud", "115200"});
  ASSERT_TRUE(sim.ready());
  const auto result = runMbpoll("-m tcp -p " + std::to_string(sim.port(0)) +
                                " -a 9 -r 1 -c 2 -t 4 -1 -o 0.2 127.0.0.1");
  EXPECT_TRUE(result.registers.empty()) << result.output;
  EXPECT_NE(result.output.find("timed out"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace prepaid::test
