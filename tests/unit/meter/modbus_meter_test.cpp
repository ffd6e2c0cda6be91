#include "prepaid/meter/modbus_meter.hpp"

#include <filesystem>

#include "fake_modbus_peer.hpp"
#include <gtest/gtest.h>

namespace prepaid::devices {
namespace {

using testing::FakeModbusPeer;
using testing::PeerAction;

const std::filesystem::path ProfileDir =
    std::filesystem::path(PREPAID_SOURCE_DIR) / "assets/meters";
const MacKey Key = *parseMacKey("000102030405060708090a0b0c0d0e0f");

MeterProfile profile(std::string_view name) {
  auto loaded = loadMeterProfileByName(ProfileDir, name);
  EXPECT_TRUE(loaded.has_value()) << loaded.error().describe();
  return *loaded;
}

void set32(FakeModbusPeer& peer, std::uint16_t address, std::uint32_t value) {
  peer.setRegister(address, static_cast<std::uint16_t>(value >> 16));
  peer.setRegister(static_cast<std::uint16_t>(address + 1), static_cast<std::uint16_t>(value));
}

[[maybe_unused]] std::uint32_t get32(FakeModbusPeer& peer, std::uint16_t address) {
  return (std::uint32_t{peer.reg(address)} << 16) |
         peer.reg(static_cast<std::uint16_t>(address + 1));
}

RechargeCommand signedRecharge(std::uint64_t address, std::int64_t fen, std::uint32_t count) {
  RechargeCommand command{domain::Money::fromFen(fen), count, 1'700'000'000, {}};
  command.mac =
      *computeCommandMac(MacAlgorithm::AesCmac, Key, *rechargeMacFields(address, command));
  return command;
}

BusTiming fastTiming() {
  BusTiming t;
  t.responseTimeoutMs = 150;
  t.byteTimeoutMs = 50;
  t.quietMs = 40;
  t.retries = 0;
  return t;
}

class ModbusMeterTest : public ::testing::Test {
 protected:
  std::shared_ptr<ModbusTransport> bus() {
    return std::make_shared<RtuStreamTransport>(makeTcpStream("127.0.0.1", peer.port(), 500),
                                                fastTiming());
  }
  FakeModbusPeer peer{7};
};

TEST(ModbusMeterPlanTest, ContiguousPointsShareOneRead) {
  const auto single = profile("single-phase-prepaid");
  EXPECT_EQ(planReads(single), (std::vector<ReadRange>{{0x03, 0x0000, 17}, {0x03, 0x0100, 22}}));
  const auto three = profile("three-phase-prepaid");
  EXPECT_EQ(planReads(three),
            (std::vector<ReadRange>{{0x03, 0x0000, 17}, {0x03, 0x0020, 4}, {0x03, 0x0100, 22}}));
  auto noGaps = single;
  noGaps.readGapMax = 0;
  EXPECT_EQ(planReads(noGaps),
            (std::vector<ReadRange>{
                {0x03, 0x0000, 10}, {0x03, 0x000B, 3}, {0x03, 0x0010, 1}, {0x03, 0x0100, 22}}));
  auto small = single;
  small.maxReadRegisters = 8;
  for (const auto& range : planReads(small)) {
    EXPECT_LE(range.count, 8);
  }
}

TEST_F(ModbusMeterTest, SnapshotInDomainUnits) {
  set32(peer, 0x0000, 1234567);  // 12345.67 kWh
  set32(peer, 0x0002, 100);
  set32(peer, 0x0004, 200);
  set32(peer, 0x0006, 300);
  set32(peer, 0x0008, 400);
  peer.setRegister(0x000B, 2203);                               // 220.3 V
  peer.setRegister(0x000C, 512);                                // 5.12 A
  peer.setRegister(0x000D, static_cast<std::uint16_t>(-1500));  // -1.500 kW (export)
  peer.setRegister(0x0010, 985);                                // 0.985
  set32(peer, 0x0100, static_cast<std::uint32_t>(-2550));       // -25.50 yuan
  set32(peer, 0x0102, 9);
  peer.setRegister(0x0104, 1);
  peer.setRegister(0x0105, 1);
  peer.setRegister(0x0106, 0x0025);
  set32(peer, 0x0108, 5000);
  set32(peer, 0x010A, 2000);
  set32(peer, 0x010C, 8000);
  set32(peer, 0x010E, 12000);  // 1.2000 yuan/kWh
  set32(peer, 0x0110, 9000);
  set32(peer, 0x0112, 6500);
  set32(peer, 0x0114, 3500);
  ModbusMeter meter(bus(), 7, profile("single-phase-prepaid"));
  const auto snap = meter.readSnapshot();
  ASSERT_TRUE(snap.has_value()) << describe(snap.error());
  EXPECT_EQ(peer.requestsSeen(), 2);
  EXPECT_EQ(snap->totalEnergy, domain::Energy::fromCentiKwh(1234567));
  EXPECT_EQ(snap->rateEnergy[domain::indexOf(domain::Rate::Valley)],
            domain::Energy::fromCentiKwh(400));
  EXPECT_EQ(snap->voltageMilliVolts, 220300);
  EXPECT_EQ(snap->currentMilliAmps, 5120);
  EXPECT_EQ(snap->activePowerWatts, -1500);
  EXPECT_EQ(snap->powerFactorMilli, 985);
  EXPECT_FALSE(snap->voltageBMilliVolts.has_value());
  ASSERT_TRUE(snap->prepaid.has_value());
  EXPECT_EQ(snap->prepaid->balance, domain::Money::fromFen(-2550));
  EXPECT_EQ(snap->prepaid->purchaseCount, 9U);
  EXPECT_EQ(snap->prepaid->relay, domain::RelayState::Open);
  EXPECT_EQ(snap->prepaid->keepPower, KeepPower::On);
  EXPECT_EQ(snap->prepaid->statusBits, 0x25U);
  EXPECT_EQ(snap->prepaid->alarmThreshold1, domain::Money::fromFen(5000));
  EXPECT_EQ(snap->prepaid->overloadThresholdWatts, 8000);
  EXPECT_EQ(snap->prepaid->prices[0], domain::UnitPrice::fromMicroYuan(1'200'000));
  EXPECT_EQ(snap->prepaid->prices[3], domain::UnitPrice::fromMicroYuan(350'000));
}

TEST_F(ModbusMeterTest, EnergyMeterHasNoPrepaidState) {
  ModbusMeter meter(bus(), 7, profile("energy-meter"));
  const auto snap = meter.readSnapshot();
  ASSERT_TRUE(snap.has_value()) << describe(snap.error());
  EXPECT_FALSE(snap->prepaid.has_value());
  EXPECT_EQ(meter.recharge(signedRecharge(7, 100, 1)).error().kind, DeviceErrorKind::Unsupported);
  EXPECT_EQ(meter.readPurchaseCount().error().kind, DeviceErrorKind::Unsupported);
}

TEST_F(ModbusMeterTest, BadRelayValueIsMalformed) {
  peer.setRegister(0x0104, 7);
  ModbusMeter meter(bus(), 7, profile("single-phase-prepaid"));
  EXPECT_EQ(meter.readSnapshot().error().kind, DeviceErrorKind::MalformedReply);
}

TEST_F(ModbusMeterTest, ReadErrorsPropagate) {
  ModbusMeter meter(bus(), 7, profile("single-phase-prepaid"));
  peer.script({{PeerAction::Exception, 0, 0x02}});
  const auto snap = meter.readSnapshot();
  ASSERT_FALSE(snap.has_value());
  EXPECT_EQ(snap.error().kind, DeviceErrorKind::ModbusException);
  EXPECT_EQ(snap.error().exceptionCode, 0x02);
  peer.script({{PeerAction::Good}, {PeerAction::NoReply}});
  EXPECT_EQ(meter.readSnapshot().error().kind, DeviceErrorKind::Timeout);
}

TEST_F(ModbusMeterTest, RechargeBlockLayout) {
  ModbusMeter meter(bus(), 7, profile("single-phase-prepaid"));
  const auto command = signedRecharge(7, 10000, 5);
  ASSERT_TRUE(meter.recharge(command).has_value());
  EXPECT_EQ(get32(peer, 0x0200), 10000U);
  EXPECT_EQ(get32(peer, 0x0202), 5U);
  EXPECT_EQ(get32(peer, 0x0204), 1'700'000'000U);
  EXPECT_EQ(peer.reg(0x0206), (command.mac[0] << 8) | command.mac[1]);
  EXPECT_EQ(peer.reg(0x020D), (command.mac[14] << 8) | command.mac[15]);
}

TEST_F(ModbusMeterTest, RechargeRejectedReportsTheReason) {
  peer.setRegister(0x0107, 2);  // command_result: purchase count not current + 1
  peer.setWriteHook(
      [](std::uint16_t, const std::vector<std::uint16_t>&,
         std::map<std::uint16_t, std::uint16_t>&) { return std::optional<std::uint8_t>(0x07); });
  ModbusMeter meter(bus(), 7, profile("single-phase-prepaid"));
  const auto result = meter.recharge(signedRecharge(7, 10000, 5));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, DeviceErrorKind::Rejected);
  EXPECT_EQ(result.error().rejectReason, RejectReason::PurchaseCountNotNext);
}

TEST_F(ModbusMeterTest, RechargeWithLostReplyIsOutcomeUnknown) {
  ModbusMeter meter(bus(), 7, profile("single-phase-prepaid"));
  peer.script({{PeerAction::ApplyNoReply}});
  auto result = meter.recharge(signedRecharge(7, 10000, 5));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, DeviceErrorKind::OutcomeUnknown);
  EXPECT_EQ(result.error().cause, DeviceErrorKind::Timeout);
  EXPECT_EQ(peer.writesApplied(), 1);
  peer.script({{PeerAction::BadCrc}});
  result = meter.recharge(signedRecharge(7, 10000, 6));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, DeviceErrorKind::OutcomeUnknown);
  EXPECT_EQ(result.error().cause, DeviceErrorKind::Crc);
}

TEST_F(ModbusMeterTest, RechargeAmountOutOfRange) {
  ModbusMeter meter(bus(), 7, profile("single-phase-prepaid"));
  EXPECT_EQ(meter.recharge(signedRecharge(7, 0, 5)).error().kind, DeviceErrorKind::InvalidArgument);
  EXPECT_EQ(peer.requestsSeen(), 0);
}

TEST_F(ModbusMeterTest, ControlBlockLayout) {
  ModbusMeter meter(bus(), 7, profile("single-phase-prepaid"));
  ControlCommand command{ControlCode::KeepPowerOn, 9, 1'700'000'123, 0, {}};
  command.mac = *computeCommandMac(MacAlgorithm::AesCmac, Key, controlMacFields(7, command));
  ASSERT_TRUE(meter.control(command).has_value());
  EXPECT_EQ(peer.reg(0x0210), 3);
  EXPECT_EQ(peer.reg(0x0211), 0);
  EXPECT_EQ(get32(peer, 0x0212), 9U);
  EXPECT_EQ(get32(peer, 0x0214), 1'700'000'123U);
}

TEST_F(ModbusMeterTest, PricesAndThresholdsAreOneWriteEach) {
  ModbusMeter meter(bus(), 7, profile("single-phase-prepaid"));
  const TouPrices prices{
      domain::UnitPrice::fromMicroYuan(1'200'000), domain::UnitPrice::fromMicroYuan(900'000),
      domain::UnitPrice::fromMicroYuan(650'100), domain::UnitPrice::fromMicroYuan(350'000)};
  ASSERT_TRUE(meter.setPrices(prices).has_value());
  EXPECT_EQ(peer.requestsSeen(), 1);
  EXPECT_EQ(get32(peer, 0x010E), 12000U);
  EXPECT_EQ(get32(peer, 0x0112), 6501U);
  ASSERT_TRUE(
      meter.setThresholds({domain::Money::fromFen(5000), domain::Money::fromFen(2000), 8000})
          .has_value());
  EXPECT_EQ(peer.requestsSeen(), 2);
  EXPECT_EQ(get32(peer, 0x0108), 5000U);
  EXPECT_EQ(get32(peer, 0x010C), 8000U);
  // 0.00005 yuan is finer than the register's 0.0001 yuan: refused, nothing written.
  const TouPrices tooFine{domain::UnitPrice::fromMicroYuan(50), prices[1], prices[2], prices[3]};
  EXPECT_EQ(meter.setPrices(tooFine).error().kind, DeviceErrorKind::InvalidArgument);
  EXPECT_EQ(peer.requestsSeen(), 2);
}

}  // namespace
}  // namespace prepaid::devices
