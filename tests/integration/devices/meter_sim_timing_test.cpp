// The simulator's bus timing seen from the real driver: a reply is never faster than the serial
// line allows, one gateway answers one request at a time, separate gateways work in parallel.
// Only lower bounds are exact; upper bounds are generous (a loaded machine is slower, never
// faster).

#include <chrono>
#include <thread>

#include "meter_sim_process.hpp"
#include <gtest/gtest.h>

#include "prepaid/meter/meter_profile.hpp"
#include "prepaid/meter/modbus_meter.hpp"
#include "prepaid/meter/modbus_transport.hpp"

namespace prepaid::devices {
namespace {

using Clock = std::chrono::steady_clock;
using Ms = std::chrono::duration<double, std::milli>;

// 9600 baud 8E1: 11 bits per character; reading 2 registers is 8 + 9 characters.
constexpr double CharMs = 11.0 * 1000.0 / 9600.0;
constexpr double T35Ms = 3.5 * CharMs;
constexpr double TurnaroundMs = 20.0;
constexpr double ReplyMs = 17 * CharMs + T35Ms + TurnaroundMs;  // request start -> reply end
constexpr double TransactionMs = ReplyMs + T35Ms;               // + silence before the next

class SimTiming : public ::testing::Test {
 protected:
  void SetUp() override {
    m_sim = std::make_unique<test::MeterSimProcess>(std::vector<std::string>{
        "--gateways", "2", "--meters-per-gateway", "2", "--tcp-base-port", "0", "--protocol",
        "rtu-over-tcp", "--baud", "9600", "--parity", "E", "--turnaround-ms", "20"});
    ASSERT_TRUE(m_sim->ready());
    auto profile =
        loadMeterProfileByName(PREPAID_SOURCE_DIR "/assets/meters", "single-phase-prepaid");
    ASSERT_TRUE(profile);
    m_profile = *profile;
  }

  ModbusMeter meterOn(int gateway, std::uint8_t unit) {
    auto transport =
        openModbusTransport("rtu+tcp://" + m_sim->endpoint(gateway) + "?timeout_ms=2000&retries=0");
    EXPECT_TRUE(transport);
    return ModbusMeter(*transport, unit, m_profile);
  }

  // Reads the purchase count `times` times; returns the elapsed ms.
  static double readMany(ModbusMeter& meter, int times) {
    const auto start = Clock::now();
    for (int i = 0; i < times; ++i) {
      EXPECT_TRUE(meter.readPurchaseCount());
    }
    return Ms(Clock::now() - start).count();
  }

  std::unique_ptr<test::MeterSimProcess> m_sim;
  MeterProfile m_profile;
};

TEST_F(SimTiming, AReplyTakesTheLineTime) {
  auto meter = meterOn(0, 1);
  ASSERT_TRUE(meter.readPurchaseCount());  // connect
  const double elapsed = readMany(meter, 1);
  EXPECT_GE(elapsed, ReplyMs - 0.05);
  EXPECT_LT(elapsed, ReplyMs + 100.0);
}

TEST_F(SimTiming, OneGatewayAnswersOneRequestAtATime) {
  auto a = meterOn(0, 1);
  auto b = meterOn(0, 2);  // a second connection to the same gateway: the same bus
  ASSERT_TRUE(a.readPurchaseCount());
  ASSERT_TRUE(b.readPurchaseCount());
  double elapsedB = 0;
  const auto start = Clock::now();
  std::thread other([&] { elapsedB = readMany(b, 5); });
  readMany(a, 5);
  other.join();
  const double total = Ms(Clock::now() - start).count();
  // Ten transactions on one bus cannot overlap.
  EXPECT_GE(total, 10 * TransactionMs - T35Ms - 0.5);
}

TEST_F(SimTiming, SeparateGatewaysWorkInParallel) {
  auto a = meterOn(0, 1);
  auto b = meterOn(1, 1);
  ASSERT_TRUE(a.readPurchaseCount());
  ASSERT_TRUE(b.readPurchaseCount());
  const auto start = Clock::now();
  std::thread other([&] { readMany(b, 5); });
  readMany(a, 5);
  other.join();
  const double total = Ms(Clock::now() - start).count();
  EXPECT_GE(total, 5 * TransactionMs - T35Ms - 0.5);
  EXPECT_LT(total, 8 * TransactionMs);  // serialised would be >= 10
}

}  // namespace
}  // namespace prepaid::devices
