// The real driver over libmodbus Modbus TCP against pymodbus serving a shipped profile.
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "prepaid/meter/modbus_meter.hpp"

extern char** environ;

namespace prepaid::devices {
namespace {

const std::filesystem::path Source(PREPAID_SOURCE_DIR);

std::uint16_t freeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool accepting(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

class PymodbusServer {
 public:
  PymodbusServer(const std::string& profile, std::uint8_t unit, std::vector<std::string> points)
      : port(freeLoopbackPort()) {
    std::vector<std::string> args = {
        "/usr/bin/python3",
        (Source / "tests/integration/thirdparty/modbus_profile_server.py").string(),
        "--profile",
        (Source / "assets/meters" / (profile + ".toml")).string(),
        "--port",
        std::to_string(port),
        "--unit",
        std::to_string(unit)};
    for (auto& p : points) {
      args.push_back("--point");
      args.push_back(p);
    }
    std::vector<char*> argv;
    for (auto& a : args) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    if (::posix_spawn(&m_pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
      m_pid = -1;
    }
  }
  ~PymodbusServer() {
    if (m_pid > 0) {
      ::kill(m_pid, SIGTERM);
      int status = 0;
      ::waitpid(m_pid, &status, 0);
    }
  }
  // Polls until the server accepts connections, or the deadline passes / the child exited.
  bool waitReady(std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (m_pid <= 0 || ::waitpid(m_pid, nullptr, WNOHANG) == m_pid) {
        m_pid = -1;
        return false;
      }
      if (accepting(port)) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // poll interval
    }
    return false;
  }
  std::uint16_t port;

 private:
  pid_t m_pid = -1;
};

MeterProfile load(const std::string& name) {
  auto profile = loadMeterProfileByName(Source / "assets/meters", name);
  EXPECT_TRUE(profile.has_value()) << profile.error().describe();
  return *profile;
}

TEST(PymodbusMeterTest, ReadsAThreePhasePrepaidSnapshot) {
  PymodbusServer server(
      "three-phase-prepaid", 9,
      {"total_energy=1234567", "sharp_energy=111", "valley_energy=70000", "voltage=2301",
       "voltage_c=2289", "current=1234", "current_b=55", "active_power=-2500", "power_factor=-870",
       "balance=-1999", "purchase_count=42", "relay_state=1", "keep_power=0", "status=7",
       "alarm_threshold_1=5000", "alarm_threshold_2=1000", "overload_threshold=12000",
       "price_peak=11234"});
  ASSERT_TRUE(server.waitReady(std::chrono::seconds(20))) << "pymodbus server did not start";
  auto transport = openModbusTransport("tcp://127.0.0.1:" + std::to_string(server.port) +
                                       "?timeout_ms=2000&retries=1");
  ASSERT_TRUE(transport.has_value());
  ModbusMeter meter(*transport, 9, load("three-phase-prepaid"));
  const auto snap = meter.readSnapshot();
  ASSERT_TRUE(snap.has_value()) << describe(snap.error());
  EXPECT_EQ(snap->totalEnergy, domain::Energy::fromCentiKwh(1234567));
  EXPECT_EQ(snap->rateEnergy[domain::indexOf(domain::Rate::Sharp)],
            domain::Energy::fromCentiKwh(111));
  EXPECT_EQ(snap->rateEnergy[domain::indexOf(domain::Rate::Valley)],
            domain::Energy::fromCentiKwh(70000));
  EXPECT_EQ(snap->voltageMilliVolts, 230100);
  EXPECT_EQ(snap->voltageCMilliVolts, 228900);
  EXPECT_EQ(snap->currentMilliAmps, 12340);
  EXPECT_EQ(snap->currentBMilliAmps, 550);
  EXPECT_EQ(snap->activePowerWatts, -2500);
  EXPECT_EQ(snap->powerFactorMilli, -870);
  ASSERT_TRUE(snap->prepaid.has_value());
  EXPECT_EQ(snap->prepaid->balance, domain::Money::fromFen(-1999));
  EXPECT_EQ(snap->prepaid->purchaseCount, 42U);
  EXPECT_EQ(snap->prepaid->relay, domain::RelayState::Open);
  EXPECT_EQ(snap->prepaid->statusBits, 7U);
  EXPECT_EQ(snap->prepaid->overloadThresholdWatts, 12000);
  EXPECT_EQ(snap->prepaid->prices[domain::indexOf(domain::Rate::Peak)],
            domain::UnitPrice::fromMicroYuan(1'123'400));
  EXPECT_EQ(meter.readPurchaseCount().value(), 42U);

  // Price and threshold writes land where the profile says (read back through the server).
  const TouPrices prices{
      domain::UnitPrice::fromMicroYuan(1'000'000), domain::UnitPrice::fromMicroYuan(900'000),
      domain::UnitPrice::fromMicroYuan(600'000), domain::UnitPrice::fromMicroYuan(300'000)};
  ASSERT_TRUE(meter.setPrices(prices).has_value());
  const auto after = meter.readSnapshot();
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->prepaid->prices[domain::indexOf(domain::Rate::Valley)],
            domain::UnitPrice::fromMicroYuan(300'000));
}

TEST(PymodbusMeterTest, LibmodbusErrorsAreMapped) {
  PymodbusServer server("energy-meter", 3, {"total_energy=5"});
  ASSERT_TRUE(server.waitReady(std::chrono::seconds(20))) << "pymodbus server did not start";
  auto transport = openModbusTransport("tcp://127.0.0.1:" + std::to_string(server.port) +
                                       "?timeout_ms=500&retries=0&quiet_ms=20");
  ASSERT_TRUE(transport.has_value());
  // Beyond the served block: exception 2 (illegal data address).
  const auto outside = (*transport)->readRegisters(3, 0x03, 2000, 4);
  ASSERT_FALSE(outside.has_value());
  EXPECT_EQ(outside.error().kind, DeviceErrorKind::ModbusException);
  EXPECT_EQ(outside.error().exceptionCode, 0x02);
  // A unit the server does not serve: pymodbus stays silent -> timeout.
  const auto silent = (*transport)->readRegisters(4, 0x03, 0, 2);
  ASSERT_FALSE(silent.has_value());
  EXPECT_EQ(silent.error().kind, DeviceErrorKind::Timeout);
  // And the connection still works afterwards.
  ModbusMeter meter(*transport, 3, load("energy-meter"));
  const auto snap = meter.readSnapshot();
  ASSERT_TRUE(snap.has_value()) << describe(snap.error());
  EXPECT_EQ(snap->totalEnergy, domain::Energy::fromCentiKwh(5));
}

}  // namespace
}  // namespace prepaid::devices
