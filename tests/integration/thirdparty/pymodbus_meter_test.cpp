// The real driver over libmodbus Modbus TCP against pymodbus serving a shipped profile.
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "pymodbus_server.hpp"
#include <gtest/gtest.h>

#include "prepaid/meter/modbus_meter.hpp"

namespace prepaid::devices {
namespace {

using testing::PymodbusServer;
using testing::Source;

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
