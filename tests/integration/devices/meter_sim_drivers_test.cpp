// The drivers (ModbusMeter, Dlt645Meter, rechargeExactlyOnce) against prepaid-meter-sim over
// Modbus TCP, RTU over TCP, DL/T 645 over TCP and RTU on a pty.

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "meter_sim_process.hpp"
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "prepaid/meter/dlt645_link.hpp"
#include "prepaid/meter/dlt645_meter.hpp"
#include "prepaid/meter/meter_profile.hpp"
#include "prepaid/meter/modbus_meter.hpp"
#include "prepaid/meter/modbus_transport.hpp"
#include "prepaid/meter/recharge_exactly_once.hpp"
#include "prepaid/meter/transport_uri.hpp"
#include "prepaid/secure/command_mac.hpp"

namespace prepaid::devices {
namespace {

using test::MeterSimProcess;

constexpr int ModbusTcpGateway = 0;
constexpr int RtuOverTcpGateway = 1;
constexpr int Dlt645Gateway = 2;
constexpr int PtyGateway = 3;

MeterProfile loadProfile(const std::string& model) {
  auto profile = loadMeterProfileByName(PREPAID_SOURCE_DIR "/assets/meters", model);
  EXPECT_TRUE(profile) << profile.error().describe();
  return *profile;
}

class DriversAgainstSim : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Fast line (115200 8N1, 2 ms turnaround) so the suite is quick; the timing model itself is
    // measured by bench-bus. The clock runs 1000x slower than real time so values hold still
    // while a test compares them; `advance` below gives the meters some history.
    s_sim = new MeterSimProcess({"--gateways",
                                 "4",
                                 "--meters-per-gateway",
                                 "4",
                                 "--tcp-base-port",
                                 "0",
                                 "--protocol",
                                 "modbus-tcp,rtu-over-tcp,dlt645-tcp,rtu-pty",
                                 "--baud",
                                 "115200",
                                 "--parity",
                                 "N",
                                 "--turnaround-ms",
                                 "2",
                                 "--time-scale",
                                 "0.001",
                                 "--control-port",
                                 "0",
                                 "--seed",
                                 "7"});
    ASSERT_TRUE(s_sim->ready());
    ASSERT_EQ(s_sim->control("advance 7200000").rfind("ok", 0), 0U);
  }
  static void TearDownTestSuite() {
    delete s_sim;
    s_sim = nullptr;
  }
  void SetUp() override { ASSERT_NE(s_sim, nullptr); }

  static std::shared_ptr<ModbusTransport> transport(const std::string& scheme, int gateway,
                                                    const std::string& query = "") {
    const std::string uri =
        scheme + "://" + s_sim->endpoint(gateway) + "?timeout_ms=300&quiet_ms=20&retries=0" + query;
    auto opened = openModbusTransport(uri);
    EXPECT_TRUE(opened) << uri;
    return *opened;
  }

  static MacKey keyOf(int gateway, int unit) {
    const auto reply =
        s_sim->control("key " + std::to_string(gateway) + " " + std::to_string(unit));
    auto key = parseMacKey(MeterSimProcess::valueOf(reply, "key"));
    EXPECT_TRUE(key) << reply;
    return *key;
  }

  static RechargeCommand rechargeFor(const Meter& meter, const MacKey& key, std::int64_t fen,
                                     std::uint32_t count) {
    RechargeCommand command;
    command.amount = domain::Money::fromFen(fen);
    command.purchaseCount = count;
    command.timeUnixSeconds = static_cast<std::uint32_t>(std::time(nullptr));
    command.mac = *computeCommandMac(meter.macAlgorithm(), key,
                                     *rechargeMacFields(meter.macAddress(), command));
    return command;
  }

  static ControlCommand controlFor(const Meter& meter, const MacKey& key, ControlCode code,
                                   std::uint32_t count) {
    ControlCommand command;
    command.code = code;
    command.purchaseCount = count;
    command.timeUnixSeconds = static_cast<std::uint32_t>(std::time(nullptr));
    command.mac = *computeCommandMac(meter.macAlgorithm(), key,
                                     controlMacFields(meter.macAddress(), command));
    return command;
  }

  static void expectSnapshotMatchesSim(const MeterSnapshot& snapshot, int gateway, int unit) {
    const auto reply =
        s_sim->control("get " + std::to_string(gateway) + " " + std::to_string(unit));
    const auto value = [&](const char* name) {
      return std::stoll(MeterSimProcess::valueOf(reply, name));
    };
    ASSERT_TRUE(snapshot.totalEnergy);
    EXPECT_GT(snapshot.totalEnergy->centiKwh(), 0);
    // The clock crawls (x0.001): energy and balance may move by one unit between the two reads.
    EXPECT_NEAR(static_cast<double>(snapshot.totalEnergy->centiKwh()),
                static_cast<double>(value("total_centi_kwh")), 1.0);
    ASSERT_TRUE(snapshot.rateEnergy[3]);
    EXPECT_NEAR(static_cast<double>(snapshot.rateEnergy[3]->centiKwh()),
                static_cast<double>(value("valley_centi_kwh")), 1.0);
    ASSERT_TRUE(snapshot.voltageMilliVolts);
    EXPECT_EQ(*snapshot.voltageMilliVolts, value("voltage_deci_v") * 100);
    ASSERT_TRUE(snapshot.activePowerWatts);
    EXPECT_EQ(*snapshot.activePowerWatts, value("power_w"));
    EXPECT_GT(*snapshot.activePowerWatts, 0);
    ASSERT_TRUE(snapshot.currentMilliAmps);
    EXPECT_EQ(*snapshot.currentMilliAmps, value("current_centi_a") * 10);
    ASSERT_TRUE(snapshot.prepaid);
    const auto& prepaid = *snapshot.prepaid;
    ASSERT_TRUE(prepaid.balance);
    EXPECT_NEAR(static_cast<double>(prepaid.balance->fen()),
                static_cast<double>(value("balance_fen")), 1.0);
    ASSERT_TRUE(prepaid.purchaseCount);
    EXPECT_EQ(*prepaid.purchaseCount, value("purchase_count"));
    ASSERT_TRUE(prepaid.alarmThreshold1);
    EXPECT_EQ(prepaid.alarmThreshold1->fen(), value("alarm1_fen"));
    ASSERT_TRUE(prepaid.relay);
    EXPECT_EQ(*prepaid.relay, MeterSimProcess::valueOf(reply, "relay") == "open"
                                  ? domain::RelayState::Open
                                  : domain::RelayState::Closed);
  }

  static MeterSimProcess* s_sim;
};

MeterSimProcess* DriversAgainstSim::s_sim = nullptr;

TEST_F(DriversAgainstSim, ModbusTcpSnapshotMatchesTheSimulator) {
  ModbusMeter meter(transport("tcp", ModbusTcpGateway), 1, loadProfile("single-phase-prepaid"));
  auto snapshot = meter.readSnapshot();
  ASSERT_TRUE(snapshot) << describe(snapshot.error());
  expectSnapshotMatchesSim(*snapshot, ModbusTcpGateway, 1);
  ASSERT_TRUE(snapshot->prepaid->prices[0]);
  EXPECT_EQ(snapshot->prepaid->prices[0]->microYuan(), 1'200'000);
}

TEST_F(DriversAgainstSim, RtuOverTcpSnapshotMatchesTheSimulator) {
  ModbusMeter meter(transport("rtu+tcp", RtuOverTcpGateway), 2,
                    loadProfile("single-phase-prepaid"));
  auto snapshot = meter.readSnapshot();
  ASSERT_TRUE(snapshot) << describe(snapshot.error());
  expectSnapshotMatchesSim(*snapshot, RtuOverTcpGateway, 2);
}

TEST_F(DriversAgainstSim, RtuOnAPtySnapshotMatchesTheSimulator) {
  const std::string uri =
      "rtu:" + s_sim->endpoint(PtyGateway) + "?baud=115200&parity=N&timeout_ms=500&retries=0";
  auto opened = openModbusTransport(uri);
  ASSERT_TRUE(opened) << uri;
  ModbusMeter meter(*opened, 3, loadProfile("single-phase-prepaid"));
  auto snapshot = meter.readSnapshot();
  ASSERT_TRUE(snapshot) << describe(snapshot.error());
  expectSnapshotMatchesSim(*snapshot, PtyGateway, 3);
  // A recharge over the pty, too.
  const auto key = keyOf(PtyGateway, 3);
  const auto before = s_sim->field(PtyGateway, 3, "balance_fen");
  auto done = rechargeExactlyOnce(meter, rechargeFor(meter, key, 1234, 1));
  ASSERT_TRUE(done) << describe(done.error());
  EXPECT_EQ(*done, RechargeOutcome::Applied);
  EXPECT_NEAR(static_cast<double>(s_sim->field(PtyGateway, 3, "balance_fen")),
              static_cast<double>(before + 1234), 1.0);
}

TEST_F(DriversAgainstSim, Dlt645SnapshotAndControl) {
  auto uri = parseTransportUri("dlt645+tcp://" + s_sim->endpoint(Dlt645Gateway) +
                               "?timeout_ms=300&quiet_ms=20&retries=0");
  ASSERT_TRUE(uri);
  auto link = openDlt645Link(*uri);
  ASSERT_TRUE(link);
  Dlt645Meter meter(*link, *Dlt645Address::parse("000002000001"));
  auto snapshot = meter.readSnapshot();
  ASSERT_TRUE(snapshot) << describe(snapshot.error());
  expectSnapshotMatchesSim(*snapshot, Dlt645Gateway, 1);
  auto count = meter.readPurchaseCount();
  ASSERT_TRUE(count);
  EXPECT_EQ(*count, 0U);
  const auto key = keyOf(Dlt645Gateway, 1);
  ASSERT_TRUE(meter.control(controlFor(meter, key, ControlCode::Trip, 0)));
  EXPECT_EQ(MeterSimProcess::valueOf(s_sim->control("get 2 1"), "relay"), "open");
  ASSERT_TRUE(meter.control(controlFor(meter, key, ControlCode::Close, 0)));
  EXPECT_EQ(MeterSimProcess::valueOf(s_sim->control("get 2 1"), "relay"), "closed");
  // The simulated meter requires the MAC: signed with another meter's key, a trip is refused
  // with the DL/T 645 "unauthorized" error reply and the relay stays closed.
  const auto forged =
      meter.control(controlFor(meter, keyOf(Dlt645Gateway, 2), ControlCode::Trip, 0));
  ASSERT_FALSE(forged);
  EXPECT_EQ(forged.error().kind, DeviceErrorKind::Rejected) << describe(forged.error());
  EXPECT_EQ(forged.error().dlt645ErrorBits, dlt645::ErrUnauthorized);
  EXPECT_EQ(MeterSimProcess::valueOf(s_sim->control("get 2 1"), "relay"), "closed");
  EXPECT_EQ(MeterSimProcess::valueOf(s_sim->control("get 2 1"), "last_result"), "1");  // bad MAC
  // Another meter's address on the same bus: nobody answers.
  Dlt645Meter absent(*link, *Dlt645Address::parse("000002000099"));
  auto none = absent.readPurchaseCount();
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().kind, DeviceErrorKind::Timeout);
}

TEST_F(DriversAgainstSim, RechargeWithReplyLostIsCreditedExactlyOnce) {
  for (const auto& [scheme, gateway] :
       {std::pair<std::string, int>{"tcp", ModbusTcpGateway}, {"rtu+tcp", RtuOverTcpGateway}}) {
    SCOPED_TRACE(scheme);
    ModbusMeter meter(transport(scheme, gateway), 4, loadProfile("single-phase-prepaid"));
    const auto key = keyOf(gateway, 4);
    auto count = meter.readPurchaseCount();
    ASSERT_TRUE(count) << describe(count.error());
    const auto before = s_sim->field(gateway, 4, "balance_fen");
    ASSERT_EQ(s_sim->control("fault " + std::to_string(gateway) + " 4 reply-lost-after-recharge*1"),
              "ok");
    const auto command = rechargeFor(meter, key, 5000, *count + 1);
    auto sent = meter.recharge(command);
    ASSERT_FALSE(sent);
    EXPECT_EQ(sent.error().kind, DeviceErrorKind::OutcomeUnknown) << describe(sent.error());
    // The purchase count read back tells it was applied.
    auto after = meter.readPurchaseCount();
    ASSERT_TRUE(after) << describe(after.error());
    EXPECT_EQ(*after, *count + 1);
    // A plain retry is refused by the meter; the exactly-once helper sees it applied.
    auto retry = meter.recharge(command);
    ASSERT_FALSE(retry);
    EXPECT_EQ(retry.error().kind, DeviceErrorKind::Rejected);
    EXPECT_EQ(retry.error().rejectReason, RejectReason::PurchaseCountNotNext);
    auto once = rechargeExactlyOnce(meter, command);
    ASSERT_TRUE(once) << describe(once.error());
    EXPECT_EQ(*once, RechargeOutcome::AlreadyApplied);
    EXPECT_NEAR(static_cast<double>(s_sim->field(gateway, 4, "balance_fen")),
                static_cast<double>(before + 5000), 1.0);
    EXPECT_EQ(s_sim->field(gateway, 4, "purchase_count"), *count + 1);
  }
}

TEST_F(DriversAgainstSim, RechargeExactlyOnceWithTheReplyLostEveryTime) {
  ModbusMeter meter(transport("rtu+tcp", RtuOverTcpGateway), 3,
                    loadProfile("single-phase-prepaid"));
  const auto key = keyOf(RtuOverTcpGateway, 3);
  const auto before = s_sim->field(RtuOverTcpGateway, 3, "balance_fen");
  const auto count = s_sim->field(RtuOverTcpGateway, 3, "purchase_count");
  ASSERT_EQ(s_sim->control("fault 1 3 reply-lost-after-recharge"), "ok");
  auto done = rechargeExactlyOnce(
      meter, rechargeFor(meter, key, 700, static_cast<std::uint32_t>(count + 1)));
  ASSERT_EQ(s_sim->control("clear 1 3"), "ok");
  ASSERT_TRUE(done) << describe(done.error());
  EXPECT_EQ(*done, RechargeOutcome::Applied);
  EXPECT_NEAR(static_cast<double>(s_sim->field(RtuOverTcpGateway, 3, "balance_fen")),
              static_cast<double>(before + 700), 1.0);
}

TEST_F(DriversAgainstSim, BadMacAndWrongCountAreRejectedAndChangeNothing) {
  ModbusMeter meter(transport("tcp", ModbusTcpGateway), 2, loadProfile("single-phase-prepaid"));
  const auto key = keyOf(ModbusTcpGateway, 2);
  const auto before = s_sim->field(ModbusTcpGateway, 2, "balance_fen");
  auto command = rechargeFor(meter, key, 1000, 1);
  command.mac[0] ^= 0x80;
  auto sent = meter.recharge(command);
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().kind, DeviceErrorKind::Rejected);
  EXPECT_EQ(sent.error().rejectReason, RejectReason::BadMac);
  sent = meter.recharge(rechargeFor(meter, key, 1000, 3));
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().rejectReason, RejectReason::PurchaseCountNotNext);
  // A key for another meter does not work either.
  sent = meter.recharge(rechargeFor(meter, keyOf(ModbusTcpGateway, 3), 1000, 1));
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().rejectReason, RejectReason::BadMac);
  EXPECT_NEAR(static_cast<double>(s_sim->field(ModbusTcpGateway, 2, "balance_fen")),
              static_cast<double>(before), 1.0);
  EXPECT_EQ(s_sim->field(ModbusTcpGateway, 2, "purchase_count"), 0);
}

TEST_F(DriversAgainstSim, ControlPricesAndThresholdsOverModbus) {
  ModbusMeter meter(transport("rtu+tcp", RtuOverTcpGateway), 1,
                    loadProfile("single-phase-prepaid"));
  const auto key = keyOf(RtuOverTcpGateway, 1);
  ASSERT_TRUE(meter.control(controlFor(meter, key, ControlCode::KeepPowerOn, 0)));
  EXPECT_EQ(s_sim->field(RtuOverTcpGateway, 1, "keep_power"), 1);
  ASSERT_TRUE(meter.control(controlFor(meter, key, ControlCode::KeepPowerOff, 0)));
  // Control with a stale purchase count is refused.
  auto refused = meter.control(controlFor(meter, key, ControlCode::Trip, 5));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, DeviceErrorKind::Rejected);
  TouPrices prices{
      domain::UnitPrice::fromMicroYuan(1'500'000), domain::UnitPrice::fromMicroYuan(1'100'000),
      domain::UnitPrice::fromMicroYuan(700'000), domain::UnitPrice::fromMicroYuan(350'000)};
  ASSERT_TRUE(meter.setPrices(prices));
  Thresholds thresholds{domain::Money::fromFen(3000), domain::Money::fromFen(800), 8000};
  ASSERT_TRUE(meter.setThresholds(thresholds));
  auto snapshot = meter.readSnapshot();
  ASSERT_TRUE(snapshot);
  EXPECT_EQ(snapshot->prepaid->prices[3]->microYuan(), 350'000);
  EXPECT_EQ(snapshot->prepaid->alarmThreshold2->fen(), 800);
  EXPECT_EQ(*snapshot->prepaid->overloadThresholdWatts, 8000);
  EXPECT_EQ(MeterSimProcess::valueOf(s_sim->control("get 1 1"), "prices_micro_yuan"),
            "1500000,1100000,700000,350000");
}

struct FaultCase {
  std::string scheme;
  int gateway;
  std::string fault;
  DeviceErrorKind expected;
};

TEST_F(DriversAgainstSim, InjectedFaultsGiveTheRightError) {
  const std::vector<FaultCase> cases = {
      {"tcp", ModbusTcpGateway, "no-reply*1", DeviceErrorKind::Timeout},
      {"rtu+tcp", RtuOverTcpGateway, "no-reply*1", DeviceErrorKind::Timeout},
      {"rtu+tcp", RtuOverTcpGateway, "crc-error*1", DeviceErrorKind::Crc},
      {"tcp", ModbusTcpGateway, "crc-error*1", DeviceErrorKind::ModbusException},
      {"tcp", ModbusTcpGateway, "exception:4*1", DeviceErrorKind::ModbusException},
      {"rtu+tcp", RtuOverTcpGateway, "exception:6*1", DeviceErrorKind::ModbusException},
      {"rtu+tcp", RtuOverTcpGateway, "wrong-unit*1", DeviceErrorKind::WrongAddress},
      {"rtu+tcp", RtuOverTcpGateway, "late-reply:600*1", DeviceErrorKind::Timeout},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.scheme + " " + c.fault);
    ModbusMeter meter(transport(c.scheme, c.gateway), 2, loadProfile("single-phase-prepaid"));
    ASSERT_EQ(s_sim->control("fault " + std::to_string(c.gateway) + " 2 " + c.fault), "ok");
    auto count = meter.readPurchaseCount();
    ASSERT_FALSE(count);
    EXPECT_EQ(count.error().kind, c.expected) << describe(count.error());
    if (c.fault.rfind("exception", 0) == 0) {
      EXPECT_EQ(count.error().exceptionCode, c.fault == "exception:4*1" ? 4 : 6);
    }
    if (c.fault == "crc-error*1" && c.scheme == "tcp") {
      EXPECT_EQ(count.error().exceptionCode, 0x0B);
    }
    // The fault was for one request: the next read is right (a late reply is never taken as
    // the answer to it).
    auto again = meter.readPurchaseCount();
    ASSERT_TRUE(again) << describe(again.error());
    EXPECT_EQ(*again, s_sim->field(c.gateway, 2, "purchase_count"));
  }
}

// libmodbus 3.1.6 does not compare the MBAP unit id of a reply with the request's; our Modbus TCP
// transport does, so a gateway answering for another meter is WrongAddress, never its data.
TEST_F(DriversAgainstSim, ModbusTcpWrongUnitIsWrongAddress) {
  ModbusMeter meter(transport("tcp", ModbusTcpGateway), 2, loadProfile("single-phase-prepaid"));
  ASSERT_EQ(s_sim->control("fault 0 2 wrong-unit*1"), "ok");
  auto count = meter.readPurchaseCount();
  ASSERT_FALSE(count);
  EXPECT_EQ(count.error().kind, DeviceErrorKind::WrongAddress) << describe(count.error());
  auto again = meter.readPurchaseCount();
  ASSERT_TRUE(again) << describe(again.error());
  EXPECT_EQ(*again, s_sim->field(ModbusTcpGateway, 2, "purchase_count"));
}

TEST_F(DriversAgainstSim, Dlt645FaultsGiveTheRightError) {
  auto uri = parseTransportUri("dlt645+tcp://" + s_sim->endpoint(Dlt645Gateway) +
                               "?timeout_ms=300&quiet_ms=20&retries=0");
  ASSERT_TRUE(uri);
  auto link = openDlt645Link(*uri);
  ASSERT_TRUE(link);
  Dlt645Meter meter(*link, *Dlt645Address::parse("000002000003"));
  const std::vector<std::pair<std::string, DeviceErrorKind>> cases = {
      {"no-reply*1", DeviceErrorKind::Timeout},
      {"crc-error*1", DeviceErrorKind::Crc},
      {"exception:4*1", DeviceErrorKind::Dlt645Error},
      {"wrong-unit*1", DeviceErrorKind::WrongAddress},
      {"late-reply:600*1", DeviceErrorKind::Timeout},
  };
  for (const auto& [fault, expected] : cases) {
    SCOPED_TRACE(fault);
    ASSERT_EQ(s_sim->control("fault 2 3 " + fault), "ok");
    auto count = meter.readPurchaseCount();
    ASSERT_FALSE(count);
    EXPECT_EQ(count.error().kind, expected) << describe(count.error());
    if (expected == DeviceErrorKind::Dlt645Error) {
      EXPECT_EQ(count.error().dlt645ErrorBits, 4);
    }
    auto again = meter.readPurchaseCount();
    ASSERT_TRUE(again) << describe(again.error());
  }
}

TEST_F(DriversAgainstSim, GarbageRepliesAreErrorsNeverCrashes) {
  ModbusMeter meter(transport("rtu+tcp", RtuOverTcpGateway), 2,
                    loadProfile("single-phase-prepaid"));
  ASSERT_EQ(s_sim->control("fault 1 2 garbage:11*5"), "ok");
  for (int i = 0; i < 5; ++i) {
    auto count = meter.readPurchaseCount();
    ASSERT_FALSE(count);
    const auto kind = count.error().kind;
    EXPECT_TRUE(kind == DeviceErrorKind::Crc || kind == DeviceErrorKind::MalformedReply ||
                kind == DeviceErrorKind::WrongAddress || kind == DeviceErrorKind::Timeout)
        << describe(count.error());
  }
  auto again = meter.readPurchaseCount();
  ASSERT_TRUE(again) << describe(again.error());
}

TEST_F(DriversAgainstSim, GatewayDownIsAConnectionFailure) {
  ASSERT_EQ(s_sim->control("gateway-fault 0 gateway-down"), "ok");
  {
    ModbusMeter meter(transport("tcp", ModbusTcpGateway), 1, loadProfile("single-phase-prepaid"));
    auto count = meter.readPurchaseCount();
    ASSERT_FALSE(count);
    EXPECT_EQ(count.error().kind, DeviceErrorKind::ConnectionFailed) << describe(count.error());
  }
  ASSERT_EQ(s_sim->control("clear 0"), "ok");
  ModbusMeter meter(transport("tcp", ModbusTcpGateway), 1, loadProfile("single-phase-prepaid"));
  auto count = meter.readPurchaseCount();
  ASSERT_TRUE(count) << describe(count.error());
}

TEST_F(DriversAgainstSim, MeterSideBillingTripsAndRechargeRecloses) {
  ModbusMeter meter(transport("tcp", ModbusTcpGateway), 3, loadProfile("single-phase-prepaid"));
  ASSERT_EQ(s_sim->control("set 0 3 balance_fen 5"), "ok");
  ASSERT_EQ(s_sim->control("advance 3600000").rfind("ok", 0), 0U);
  auto snapshot = meter.readSnapshot();
  ASSERT_TRUE(snapshot) << describe(snapshot.error());
  EXPECT_EQ(*snapshot->prepaid->relay, domain::RelayState::Open);
  EXPECT_LE(snapshot->prepaid->balance->fen(), 0);
  const auto status = *snapshot->prepaid->statusBits;
  EXPECT_NE(status & 0x04U, 0U);  // arrears
  EXPECT_NE(status & 0x10U, 0U);  // prepaid trip
  const auto key = keyOf(ModbusTcpGateway, 3);
  auto done = rechargeExactlyOnce(
      meter, rechargeFor(meter, key, 10'000, *snapshot->prepaid->purchaseCount + 1));
  ASSERT_TRUE(done) << describe(done.error());
  snapshot = meter.readSnapshot();
  ASSERT_TRUE(snapshot);
  EXPECT_EQ(*snapshot->prepaid->relay, domain::RelayState::Closed);
}

TEST(MeterSimState, StateFileContinuesWhereItStopped) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("prepaid-sim-it-state-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto state = (dir / "meters.state").string();
  long long balance = 0;
  long long energy = 0;
  {
    MeterSimProcess sim({"--gateways", "1", "--meters-per-gateway", "2", "--tcp-base-port", "0",
                         "--time-scale", "0.001", "--control-port", "0", "--state", state});
    ASSERT_TRUE(sim.ready());
    ASSERT_EQ(sim.control("advance 36000000").rfind("ok", 0), 0U);  // 10 h
    ASSERT_EQ(sim.control("set 0 2 purchase_count 41"), "ok");
    balance = sim.field(0, 2, "balance_fen");
    energy = sim.field(0, 2, "total_centi_kwh");
    EXPECT_EQ(sim.stop(), 0);
    EXPECT_NE(sim.output().find("state saved to"), std::string::npos) << sim.output();
  }
  MeterSimProcess sim({"--gateways", "1", "--meters-per-gateway", "2", "--tcp-base-port", "0",
                       "--time-scale", "0.001", "--control-port", "0", "--state", state});
  ASSERT_TRUE(sim.ready());
  EXPECT_EQ(sim.field(0, 2, "purchase_count"), 41);
  EXPECT_NEAR(static_cast<double>(sim.field(0, 2, "balance_fen")), static_cast<double>(balance),
              1.0);
  EXPECT_GE(sim.field(0, 2, "total_centi_kwh"), energy);
  EXPECT_LE(sim.field(0, 2, "total_centi_kwh"), energy + 1);
  sim.stop();
  std::filesystem::remove_all(dir);
}

TEST(MeterSimCli, BadFleetFileIsOneLineOnStderr) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("prepaid-sim-it-fleet-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto fleet = dir / "fleet.toml";
  { std::ofstream(fleet) << "[[gateway]]\nprotocol = \"modbus-tcp\"\nport = 0\nmeters = 300\n"; }
  const std::string command =
      test::meterSimPath() + " --fleet " + fleet.string() + " 2>&1 >/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  std::array<char, 512> buffer{};
  while (fgets(buffer.data(), buffer.size(), pipe) != nullptr) {
    output += buffer.data();
  }
  const int status = pclose(pipe);
  EXPECT_NE(WEXITSTATUS(status), 0);
  EXPECT_NE(output.find("gateway[0].meters"), std::string::npos) << output;
  EXPECT_EQ(std::count(output.begin(), output.end(), '\n'), 1) << output;
  std::filesystem::remove_all(dir);
}

TEST(MeterSimCli, DemoFleetStarts) {
  // The shipped demo fleet loads and every gateway listens (ports 15020-15023 may be taken by a
  // running demo: then skip rather than fight over them).
  for (int port = 15020; port <= 15023; ++port) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
    const bool free = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    close(fd);
    if (!free) {
      GTEST_SKIP() << "port " << port << " is in use";
    }
  }
  MeterSimProcess sim({"--fleet", PREPAID_SOURCE_DIR "/assets/demo/fleet.toml"});
  ASSERT_TRUE(sim.ready()) << sim.output();
  EXPECT_EQ(sim.port(0), 15020);
  EXPECT_EQ(sim.port(3), 15023);
  EXPECT_NE(sim.output().find("gateway 1 rtu-over-tcp listening on 127.0.0.1:15021"),
            std::string::npos);
}

}  // namespace
}  // namespace prepaid::devices
