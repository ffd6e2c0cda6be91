#include "prepaid/sim/meter_sim_gateway.hpp"

#include <gtest/gtest.h>

#include "prepaid/meter/crc16.hpp"
#include "prepaid/meter/dlt645_frame.hpp"
#include "prepaid/secure/command_mac.hpp"

namespace prepaid::devices::sim {
namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr std::int64_t Start = 1'704'067'200'000;  // 2024-01-01 08:00 local
constexpr std::uint32_t IssueTime = 1'704'067'200;

std::shared_ptr<const MeterProfile> profile(const std::string& name) {
  auto loaded = loadMeterProfileByName(PREPAID_SOURCE_DIR "/assets/meters", name);
  EXPECT_TRUE(loaded) << loaded.error().describe();
  return std::make_shared<const MeterProfile>(*loaded);
}

SimGateway makeGateway(GatewayProtocol protocol,
                       const std::string& model = "single-phase-prepaid") {
  GatewaySpec spec;
  spec.protocol = protocol;
  std::vector<SimUnit> units;
  for (int u = 1; u <= 3; ++u) {
    MeterSpec meter;
    meter.unit = u;
    meter.address = defaultAddress(0, u);
    meter.profile = model;
    meter.key = deriveMeterKey(defaultMasterKey(), meter.address);
    meter.config.key = static_cast<std::uint64_t>(u);
    meter.initial.balanceMicroYuan = 10'000 * 10'000;  // 100 yuan
    meter.initial.simMs = Start;
    SimUnit unit{meter, SimMeter(meter.config, meter.initial), profile(model), 0, 0, {}, 0};
    unit.macAddress = protocol == GatewayProtocol::Dlt645Tcp
                          ? std::uint64_t{std::stoull(meter.address)}
                          : static_cast<std::uint64_t>(u);
    units.push_back(std::move(unit));
    spec.meters.push_back(meter);
  }
  return SimGateway(spec, std::move(units), 99);
}

Bytes rtu(Bytes body) {
  const auto crc = crc16(body);
  body.push_back(static_cast<std::uint8_t>(crc & 0xFF));
  body.push_back(static_cast<std::uint8_t>(crc >> 8));
  return body;
}

Bytes readRequest(std::uint8_t unit, std::uint16_t address, std::uint16_t count) {
  return rtu({unit, 0x03, static_cast<std::uint8_t>(address >> 8),
              static_cast<std::uint8_t>(address & 0xFF), static_cast<std::uint8_t>(count >> 8),
              static_cast<std::uint8_t>(count & 0xFF)});
}

void putU32(Bytes& bytes, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    bytes.push_back(static_cast<std::uint8_t>(value >> shift));
  }
}

Bytes rechargeRequest(SimGateway& gateway, std::uint8_t unit, std::uint32_t amountFen,
                      std::uint32_t count, bool corruptMac = false) {
  const auto* sim = gateway.findUnit(unit);
  MacFields fields{sim->macAddress, CommandKind::Recharge, count, amountFen, IssueTime};
  auto mac = *computeCommandMac(MacAlgorithm::AesCmac, sim->spec.key, fields);
  if (corruptMac) {
    mac[5] ^= 0x01;
  }
  Bytes body{unit, 0x10, 0x02, 0x00, 0x00, 14, 28};
  putU32(body, amountFen);
  putU32(body, count);
  putU32(body, IssueTime);
  body.insert(body.end(), mac.begin(), mac.end());
  return rtu(body);
}

Bytes controlRequest(SimGateway& gateway, std::uint8_t unit, std::uint16_t code,
                     std::uint32_t count) {
  const auto* sim = gateway.findUnit(unit);
  MacFields fields{sim->macAddress, CommandKind::Control, count, code, IssueTime};
  const auto mac = *computeCommandMac(MacAlgorithm::AesCmac, sim->spec.key, fields);
  Bytes body{unit, 0x10, 0x02, 0x10, 0x00, 14, 28, 0x00, static_cast<std::uint8_t>(code), 0, 0};
  putU32(body, count);
  putU32(body, IssueTime);
  body.insert(body.end(), mac.begin(), mac.end());
  return rtu(body);
}

std::uint32_t u32At(const Bytes& reply, std::size_t registerIndex) {
  const std::size_t at = 3 + registerIndex * 2;
  return (std::uint32_t{reply[at]} << 24) | (std::uint32_t{reply[at + 1]} << 16) |
         (std::uint32_t{reply[at + 2]} << 8) | reply[at + 3];
}

std::uint16_t u16At(const Bytes& reply, std::size_t registerIndex) {
  const std::size_t at = 3 + registerIndex * 2;
  return static_cast<std::uint16_t>((reply[at] << 8) | reply[at + 1]);
}

TEST(SimGateway, ServesTheProfileRegistersFromTheMeterState) {
  auto gateway = makeGateway(GatewayProtocol::RtuOverTcp);
  const auto ex = gateway.exchange(readRequest(1, 0x0000, 17), Start + 3'600'000);
  ASSERT_TRUE(ex.reply);
  const Bytes& reply = *ex.reply;
  ASSERT_EQ(reply.size(), 3U + 34 + 2);
  EXPECT_TRUE(hasValidCrc16(reply));
  EXPECT_EQ(ex.requestChars, 8U);
  EXPECT_EQ(ex.replyChars, reply.size());
  const auto& meter = gateway.findUnit(1)->meter;
  EXPECT_GT(meter.totalEnergyCentiKwh(), 0);
  EXPECT_EQ(u32At(reply, 0), meter.totalEnergyCentiKwh());
  EXPECT_EQ(u32At(reply, 4), meter.energyCentiKwh(SimRate::Peak));
  EXPECT_EQ(u16At(reply, 0x0A), 0);  // unmapped gap reads 0
  EXPECT_EQ(u16At(reply, 0x0B), meter.voltageDeciV());
  EXPECT_EQ(u16At(reply, 0x0C), meter.currentCentiA());
  EXPECT_EQ(u16At(reply, 0x0D), meter.state().powerW);  // 0.001 kW = 1 W
  EXPECT_EQ(u16At(reply, 0x10), meter.powerFactorPermille());

  const auto prepaid = gateway.exchange(readRequest(1, 0x0100, 22), Start + 3'600'000);
  ASSERT_TRUE(prepaid.reply);
  EXPECT_EQ(static_cast<std::int32_t>(u32At(*prepaid.reply, 0)), meter.balanceFen());
  EXPECT_EQ(u32At(*prepaid.reply, 0x0E), 12'000U);  // sharp price 1.2 yuan in 0.0001 yuan
}

TEST(SimGateway, ReadOutsideTheMapIsAnIllegalAddress) {
  auto gateway = makeGateway(GatewayProtocol::RtuOverTcp);
  const auto ex = gateway.exchange(readRequest(2, 0x3000, 2), Start);
  ASSERT_TRUE(ex.reply);
  EXPECT_EQ((*ex.reply)[1], 0x83);
  EXPECT_EQ((*ex.reply)[2], 0x02);
  const auto tooMany = gateway.exchange(readRequest(2, 0, 126), Start);
  EXPECT_EQ((*tooMany.reply)[2], 0x03);
}

TEST(SimGateway, UnknownUnitDoesNotAnswer) {
  auto gateway = makeGateway(GatewayProtocol::RtuOverTcp);
  const auto ex = gateway.exchange(readRequest(9, 0, 2), Start);
  EXPECT_FALSE(ex.reply);
  EXPECT_EQ(ex.requestChars, 8U);
}

TEST(SimGateway, RechargeWithValidMacAndNextCountIsApplied) {
  auto gateway = makeGateway(GatewayProtocol::RtuOverTcp);
  const auto ex = gateway.exchange(rechargeRequest(gateway, 2, 5000, 1), Start);
  ASSERT_TRUE(ex.reply);
  EXPECT_EQ(Bytes(ex.reply->begin(), ex.reply->begin() + 6), (Bytes{2, 0x10, 0x02, 0x00, 0, 14}));
  EXPECT_EQ(gateway.findUnit(2)->meter.balanceFen(), 15'000);
  EXPECT_EQ(gateway.findUnit(2)->meter.state().purchaseCount, 1U);
}

TEST(SimGateway, BadMacOrCountIsRejectedAndChangesNothing) {
  auto gateway = makeGateway(GatewayProtocol::RtuOverTcp);
  const auto before = gateway.findUnit(2)->meter.balanceFen();
  auto ex = gateway.exchange(rechargeRequest(gateway, 2, 5000, 1, true), Start);
  ASSERT_TRUE(ex.reply);
  EXPECT_EQ((*ex.reply)[1], 0x90);
  EXPECT_EQ((*ex.reply)[2], 0x07);                // the profile's reject exception
  EXPECT_EQ(gateway.findUnit(2)->lastResult, 1);  // RejectReason::BadMac
  ex = gateway.exchange(rechargeRequest(gateway, 2, 5000, 2), Start);
  EXPECT_EQ((*ex.reply)[2], 0x07);
  EXPECT_EQ(gateway.findUnit(2)->lastResult, 2);  // PurchaseCountNotNext
  EXPECT_EQ(gateway.findUnit(2)->meter.balanceFen(), before);
  EXPECT_EQ(gateway.findUnit(2)->meter.state().purchaseCount, 0U);
  // command_result and status bit 8 tell the driver why.
  const auto status = gateway.exchange(readRequest(2, 0x0106, 2), Start);
  EXPECT_EQ(u16At(*status.reply, 1), 2);
  EXPECT_NE(u16At(*status.reply, 0) & status_bit::CommandRejected, 0);
  // A MAC for another meter does not verify either.
  auto other = rechargeRequest(gateway, 3, 5000, 1);
  other[0] = 2;
  const auto crc = crc16(std::span(other).first(other.size() - 2));
  other[other.size() - 2] = static_cast<std::uint8_t>(crc & 0xFF);
  other[other.size() - 1] = static_cast<std::uint8_t>(crc >> 8);
  ex = gateway.exchange(other, Start);
  EXPECT_EQ(gateway.findUnit(2)->lastResult, 1);
  EXPECT_EQ(gateway.findUnit(2)->meter.balanceFen(), before);
}

TEST(SimGateway, PartialWriteOfACommandBlockIsAnIllegalValue) {
  auto gateway = makeGateway(GatewayProtocol::RtuOverTcp);
  const auto ex = gateway.exchange(rtu({1, 0x10, 0x02, 0x00, 0x00, 1, 2, 0, 5}), Start);
  ASSERT_TRUE(ex.reply);
  EXPECT_EQ((*ex.reply)[2], 0x03);
}

TEST(SimGateway, ControlNeedsTheCurrentCount) {
  auto gateway = makeGateway(GatewayProtocol::RtuOverTcp);
  auto ex = gateway.exchange(controlRequest(gateway, 1, 1, 1), Start);  // count is 0
  EXPECT_EQ((*ex.reply)[1], 0x90);
  EXPECT_EQ(gateway.findUnit(1)->meter.state().relay, SimRelay::Closed);
  ex = gateway.exchange(controlRequest(gateway, 1, 1, 0), Start);
  EXPECT_EQ((*ex.reply)[1], 0x10);
  EXPECT_EQ(gateway.findUnit(1)->meter.state().relay, SimRelay::Open);
  ex = gateway.exchange(controlRequest(gateway, 1, 9, 0), Start);
  EXPECT_EQ(gateway.findUnit(1)->lastResult, 4);  // BadValue: unknown code
}

TEST(SimGateway, PricesAndThresholdsAreWrittenAsPointGroups) {
  auto gateway = makeGateway(GatewayProtocol::RtuOverTcp);
  Bytes prices{1, 0x10, 0x01, 0x0E, 0x00, 8, 16};
  for (const std::uint32_t p : {15000U, 11000U, 7000U, 3500U}) {
    putU32(prices, p);
  }
  auto ex = gateway.exchange(rtu(prices), Start);
  EXPECT_EQ((*ex.reply)[1], 0x10);
  EXPECT_EQ(gateway.findUnit(1)->meter.state().pricesMicroYuan[3], 350'000);
  Bytes thresholds{1, 0x10, 0x01, 0x08, 0x00, 6, 12};
  for (const std::uint32_t v : {100U, 200U, 5000U}) {  // alarm1 < alarm2: refused
    putU32(thresholds, v);
  }
  ex = gateway.exchange(rtu(thresholds), Start);
  EXPECT_EQ((*ex.reply)[2], 0x07);
  EXPECT_EQ(gateway.findUnit(1)->meter.state().alarm1Fen, 2000);
}

TEST(SimGateway, EnergyMeterTakesNoWrites) {
  auto gateway = makeGateway(GatewayProtocol::RtuOverTcp, "energy-meter");
  const auto ex = gateway.exchange(rechargeRequest(gateway, 1, 100, 1), Start);
  EXPECT_EQ((*ex.reply)[2], 0x02);
  const auto read = gateway.exchange(readRequest(1, 0x0100, 2), Start);
  EXPECT_EQ((*read.reply)[2], 0x02);
}

TEST(SimGateway, ModbusTcpKeepsTheTransactionId) {
  auto gateway = makeGateway(GatewayProtocol::ModbusTcp);
  const Bytes request{0x12, 0x34, 0, 0, 0, 6, 3, 0x03, 0x01, 0x02, 0x00, 0x02};
  const auto ex = gateway.exchange(request, Start);
  ASSERT_TRUE(ex.reply);
  EXPECT_EQ(Bytes(ex.reply->begin(), ex.reply->begin() + 9),
            (Bytes{0x12, 0x34, 0, 0, 0, 7, 3, 0x03, 4}));
  EXPECT_EQ(ex.requestChars, 8U);  // as RTU on the gateway's bus
  EXPECT_EQ(ex.replyChars, 9U);
}

TEST(SimGateway, FaultNoReplyAndCount) {
  auto gateway = makeGateway(GatewayProtocol::RtuOverTcp);
  gateway.findUnit(1)->fault = *parseFault("no-reply*1");
  EXPECT_FALSE(gateway.exchange(readRequest(1, 0, 2), Start).reply);
  EXPECT_TRUE(gateway.exchange(readRequest(1, 0, 2), Start).reply);
}

TEST(SimGateway, FaultCrcErrorCorruptsTheCrc) {
  auto gateway = makeGateway(GatewayProtocol::RtuOverTcp);
  gateway.findUnit(1)->fault = *parseFault("crc-error");
  const auto ex = gateway.exchange(readRequest(1, 0, 2), Start);
  ASSERT_TRUE(ex.reply);
  EXPECT_FALSE(hasValidCrc16(*ex.reply));
  EXPECT_EQ((*ex.reply)[0], 1);
}

TEST(SimGateway, FaultCrcErrorOnModbusTcpIsGatewayException) {
  auto gateway = makeGateway(GatewayProtocol::ModbusTcp);
  gateway.fault() = *parseFault("crc-error");
  const Bytes request{0, 1, 0, 0, 0, 6, 2, 0x03, 0, 0, 0, 2};
  const auto ex = gateway.exchange(request, Start);
  EXPECT_EQ((*ex.reply)[7], 0x83);
  EXPECT_EQ((*ex.reply)[8], 0x0B);
}

TEST(SimGateway, FaultExceptionGarbageLateWrongUnit) {
  auto gateway = makeGateway(GatewayProtocol::RtuOverTcp);
  auto* unit = gateway.findUnit(1);
  unit->fault = *parseFault("exception:6");
  auto ex = gateway.exchange(readRequest(1, 0, 2), Start);
  EXPECT_EQ(*ex.reply, rtu({1, 0x83, 6}));
  unit->fault = *parseFault("garbage:5");
  ex = gateway.exchange(readRequest(1, 0, 2), Start);
  EXPECT_EQ(ex.reply->size(), 5U);
  unit->fault = *parseFault("late-reply:250");
  ex = gateway.exchange(readRequest(1, 0, 2), Start);
  EXPECT_EQ(ex.extraDelay, std::chrono::milliseconds(250));
  EXPECT_TRUE(hasValidCrc16(*ex.reply));
  unit->fault = *parseFault("wrong-unit");
  ex = gateway.exchange(readRequest(1, 0, 2), Start);
  EXPECT_EQ((*ex.reply)[0], 2);
  EXPECT_TRUE(hasValidCrc16(*ex.reply));
}

TEST(SimGateway, FaultReplyLostAfterRechargeAppliesThenDropsTheReply) {
  auto gateway = makeGateway(GatewayProtocol::RtuOverTcp);
  gateway.findUnit(1)->fault = *parseFault("reply-lost-after-recharge");
  // Reads still answer.
  EXPECT_TRUE(gateway.exchange(readRequest(1, 0, 2), Start).reply);
  // A refused recharge is answered (nothing was applied).
  EXPECT_TRUE(gateway.exchange(rechargeRequest(gateway, 1, 100, 5), Start).reply);
  const auto ex = gateway.exchange(rechargeRequest(gateway, 1, 100, 1), Start);
  EXPECT_FALSE(ex.reply);
  EXPECT_EQ(gateway.findUnit(1)->meter.state().purchaseCount, 1U);
  EXPECT_EQ(gateway.findUnit(1)->meter.balanceFen(), 10'100);
  // The retry with the same count is refused: never credited twice.
  gateway.findUnit(1)->fault = {};
  const auto retry = gateway.exchange(rechargeRequest(gateway, 1, 100, 1), Start);
  EXPECT_EQ((*retry.reply)[2], 0x07);
  EXPECT_EQ(gateway.findUnit(1)->meter.balanceFen(), 10'100);
}

TEST(SimGateway, MeterFaultTakesPrecedenceOverGatewayFault) {
  auto gateway = makeGateway(GatewayProtocol::RtuOverTcp);
  gateway.fault() = *parseFault("no-reply");
  gateway.findUnit(2)->fault = *parseFault("exception:4");
  EXPECT_FALSE(gateway.exchange(readRequest(1, 0, 2), Start).reply);
  EXPECT_EQ((*gateway.exchange(readRequest(2, 0, 2), Start).reply)[2], 4);
}

TEST(SimGateway, Dlt645PublishedBroadcastVoltageRead) {
  auto gateway = makeGateway(GatewayProtocol::Dlt645Tcp);
  const Bytes request{0x68, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0x68,
                      0x11, 0x04, 0x33, 0x34, 0x34, 0x35, 0xB1, 0x16};
  const auto ex = gateway.exchange(request, Start);
  ASSERT_TRUE(ex.reply);
  const auto decoded = decodeDlt645(*ex.reply);
  ASSERT_EQ(decoded.status, Dlt645DecodeStatus::Frame);
  EXPECT_EQ(decoded.frame.control, 0x91);
  EXPECT_EQ(decoded.frame.address.toString(), "000000000001");
  ASSERT_EQ(decoded.frame.data.size(), 6U);
  const auto volts = decodeBcd(std::span(decoded.frame.data).subspan(4));
  EXPECT_EQ(volts, gateway.findUnit(1)->meter.voltageDeciV());
}

TEST(SimGateway, Dlt645ReadsPurchaseCountAndRejectsUnknownDi) {
  auto gateway = makeGateway(GatewayProtocol::Dlt645Tcp);
  const auto address = *Dlt645Address::parse("000000000002");
  auto frame = *encodeDlt645(dlt645ReadRequest(address, dlt645::DiRemainingAmount));
  auto ex = gateway.exchange(frame, Start);
  auto decoded = decodeDlt645(*ex.reply);
  ASSERT_EQ(decoded.status, Dlt645DecodeStatus::Frame);
  EXPECT_EQ(decodeBcd(std::span(decoded.frame.data).subspan(4)), 10'000);
  frame = *encodeDlt645(dlt645ReadRequest(address, 0x01020304));
  ex = gateway.exchange(frame, Start);
  decoded = decodeDlt645(*ex.reply);
  EXPECT_EQ(decoded.frame.control, 0xD1);
  EXPECT_EQ(decoded.frame.data, Bytes{dlt645::ErrNoData});
  // Another meter's address: nobody answers.
  frame = *encodeDlt645(dlt645ReadRequest(*Dlt645Address::parse("999999999999"), 0));
  EXPECT_FALSE(gateway.exchange(frame, Start).reply);
}

// The 16 standard bytes (password, operator, N1, N2, validity) plus our authentication: the
// current purchase count, the time and the MAC over address, count, command code and time.
Dlt645Frame dltControl(SimGateway& gateway, std::uint8_t n1, std::uint32_t macCode,
                       std::uint32_t count, int corruptMacByte = -1) {
  const auto* unit = gateway.findUnit(3);
  Dlt645Frame request{*Dlt645Address::parse("000000000003"), dlt645::RemoteControl, Bytes(16, 0)};
  request.data[0] = 0x02;  // level 02, password 000000
  request.data[8] = n1;
  MacFields fields{unit->macAddress, CommandKind::Control, count, macCode, IssueTime};
  auto mac = *computeCommandMac(MacAlgorithm::AesCmac, unit->spec.key, fields);
  if (corruptMacByte >= 0) {
    mac[static_cast<std::size_t>(corruptMacByte)] ^= 0x80;
  }
  putU32(request.data, count);
  putU32(request.data, IssueTime);
  request.data.insert(request.data.end(), mac.begin(), mac.end());
  return request;
}

TEST(SimGateway, Dlt645ControlNeedsTheMac) {
  auto gateway = makeGateway(GatewayProtocol::Dlt645Tcp);
  const auto relay = [&] { return gateway.findUnit(3)->meter.state().relay; };
  const auto refusedUnauthorized = [&](const Dlt645Frame& request) {
    const auto ex = gateway.exchange(*encodeDlt645(request), Start);
    const auto decoded = decodeDlt645(*ex.reply);
    EXPECT_EQ(decoded.frame.control, 0xDC);
    EXPECT_EQ(decoded.frame.data, Bytes{dlt645::ErrUnauthorized});
  };
  // The right password without the MAC: every simulated meter has a key, so it is refused.
  Dlt645Frame plain = dltControl(gateway, dlt645::CtrlTrip, 1, 0);
  plain.data.resize(16);
  refusedUnauthorized(plain);
  EXPECT_EQ(relay(), SimRelay::Closed);
  EXPECT_EQ(gateway.findUnit(3)->lastResult, static_cast<std::uint8_t>(RejectReason::Unauthorized));
  // A MAC that does not verify, in its first and last byte.
  for (const int corrupt : {0, 15}) {
    refusedUnauthorized(dltControl(gateway, dlt645::CtrlTrip, 1, 0, corrupt));
    EXPECT_EQ(relay(), SimRelay::Closed);
    EXPECT_EQ(gateway.findUnit(3)->lastResult, static_cast<std::uint8_t>(RejectReason::BadMac));
  }
  // A MAC over another command code than N1 (a trip MAC replayed as keep power).
  refusedUnauthorized(dltControl(gateway, dlt645::CtrlKeepPower, 1, 0));
  EXPECT_FALSE(gateway.findUnit(3)->meter.state().keepPower);
  // A valid MAC over a count that is not the current one (0).
  refusedUnauthorized(dltControl(gateway, dlt645::CtrlTrip, 1, 1));
  EXPECT_EQ(gateway.findUnit(3)->lastResult,
            static_cast<std::uint8_t>(RejectReason::PurchaseCountNotNext));
  EXPECT_EQ(relay(), SimRelay::Closed);
  // The authenticated form is applied.
  auto ex = gateway.exchange(*encodeDlt645(dltControl(gateway, dlt645::CtrlTrip, 1, 0)), Start);
  EXPECT_EQ(decodeDlt645(*ex.reply).frame.control, 0x9C);
  EXPECT_EQ(relay(), SimRelay::Open);
  ex = gateway.exchange(*encodeDlt645(dltControl(gateway, dlt645::CtrlCloseDirect, 2, 0)), Start);
  EXPECT_EQ(decodeDlt645(*ex.reply).frame.control, 0x9C);
  EXPECT_EQ(relay(), SimRelay::Closed);
  EXPECT_EQ(gateway.findUnit(3)->lastResult, 0);
  // Neither 16 nor 40 data bytes: another error.
  Dlt645Frame odd = dltControl(gateway, dlt645::CtrlTrip, 1, 0);
  odd.data.pop_back();
  ex = gateway.exchange(*encodeDlt645(odd), Start);
  EXPECT_EQ(decodeDlt645(*ex.reply).frame.data, Bytes{dlt645::ErrOther});
  EXPECT_EQ(relay(), SimRelay::Closed);
}

TEST(SimGateway, Dlt645FaultsCorruptTheChecksum) {
  auto gateway = makeGateway(GatewayProtocol::Dlt645Tcp);
  gateway.findUnit(1)->fault = *parseFault("crc-error");
  const auto frame =
      *encodeDlt645(dlt645ReadRequest(*Dlt645Address::parse("000000000001"), 0x02010100));
  const auto ex = gateway.exchange(frame, Start);
  EXPECT_EQ(decodeDlt645(*ex.reply).status, Dlt645DecodeStatus::BadChecksum);
}

}  // namespace
}  // namespace prepaid::devices::sim
