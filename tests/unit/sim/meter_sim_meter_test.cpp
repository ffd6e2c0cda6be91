#include "prepaid/sim/meter_sim_meter.hpp"

#include <gtest/gtest.h>

namespace prepaid::devices::sim {
namespace {

__extension__ using Int128 = __int128;

constexpr std::int64_t HourMs = 3'600'000;
// 2024-01-01T00:00:00Z = 08:00 in Asia/Shanghai.
constexpr std::int64_t Start = 1'704'067'200'000;

SimMeter makeMeter(std::int64_t balanceFen, std::int64_t peakW = 3000) {
  SimMeterConfig config;
  config.key = 11;
  config.peakW = peakW;
  SimMeterState state;
  state.balanceMicroYuan = balanceFen * 10'000;
  state.simMs = Start;
  return SimMeter(config, state);
}

TEST(SimMeter, RateScheduleCoversTheDay) {
  EXPECT_EQ(SimMeter::rateAt(3 * 60), SimRate::Valley);
  EXPECT_EQ(SimMeter::rateAt(7 * 60), SimRate::Flat);
  EXPECT_EQ(SimMeter::rateAt(9 * 60), SimRate::Peak);
  EXPECT_EQ(SimMeter::rateAt(19 * 60 + 30), SimRate::Sharp);
  EXPECT_EQ(SimMeter::rateAt(22 * 60), SimRate::Peak);
  EXPECT_EQ(SimMeter::rateAt(23 * 60 + 59), SimRate::Valley);
}

TEST(SimMeter, ChargesExactlyWhatItMeteredAtItsOwnPrices) {
  const LoadProfile profile(1);
  auto meter = makeMeter(1'000'000);
  meter.advanceTo(Start + 24 * HourMs, profile);
  const auto& s = meter.state();
  // Cost = sum over rates of energy * price, exactly (remainder carried).
  Int128 expected = 0;
  for (std::size_t i = 0; i < SimRateCount; ++i) {
    expected += static_cast<Int128>(s.energyMilliJoule[i]) * s.pricesMicroYuan[i];
  }
  const Int128 charged =
      static_cast<Int128>(1'000'000LL * 10'000 - s.balanceMicroYuan) * 3'600'000'000LL +
      s.costRemainder;
  EXPECT_EQ(charged, expected);
  EXPECT_GT(meter.totalEnergyCentiKwh(), 0);
  for (const auto rate : {SimRate::Sharp, SimRate::Peak, SimRate::Flat, SimRate::Valley}) {
    EXPECT_GT(meter.energyCentiKwh(rate), 0) << static_cast<int>(rate);
  }
}

TEST(SimMeter, SliceBoundariesDoNotChangeTheResult) {
  const LoadProfile profile(5);
  auto once = makeMeter(100'000);
  auto stepwise = makeMeter(100'000);
  once.advanceTo(Start + 5 * HourMs, profile);
  for (std::int64_t t = Start; t <= Start + 5 * HourMs; t += 17'123) {
    stepwise.advanceTo(t, profile);
  }
  stepwise.advanceTo(Start + 5 * HourMs, profile);
  EXPECT_EQ(once.state().energyMilliJoule, stepwise.state().energyMilliJoule);
  EXPECT_EQ(once.state().balanceMicroYuan, stepwise.state().balanceMicroYuan);
}

TEST(SimMeter, TripsAtZeroAndRechargeClosesAgain) {
  const LoadProfile profile(2);
  auto meter = makeMeter(50);  // 0.50 yuan: gone within hours at 3 kW
  meter.advanceTo(Start + 3 * HourMs, profile);
  EXPECT_EQ(meter.state().relay, SimRelay::Open);
  EXPECT_EQ(meter.state().tripCause, TripCause::Arrears);
  EXPECT_LE(meter.balanceFen(), 0);
  EXPECT_NE(meter.statusBits() & status_bit::Arrears, 0);
  EXPECT_NE(meter.statusBits() & status_bit::PrepaidTrip, 0);
  EXPECT_NE(meter.statusBits() & status_bit::Alarm1, 0);
  EXPECT_NE(meter.statusBits() & status_bit::Alarm2, 0);
  // No consumption while open.
  const auto energy = meter.totalEnergyCentiKwh();
  meter.advanceTo(Start + 6 * HourMs, profile);
  EXPECT_EQ(meter.totalEnergyCentiKwh(), energy);
  EXPECT_EQ(meter.state().powerW, 0);
  ASSERT_EQ(meter.recharge(10'000, 1, MacCheck::Valid), CommandResult::Applied);
  EXPECT_EQ(meter.state().relay, SimRelay::Closed);
  EXPECT_EQ(meter.state().purchaseCount, 1U);
}

TEST(SimMeter, KeepPowerPreventsTheTrip) {
  const LoadProfile profile(2);
  auto meter = makeMeter(50);
  ASSERT_EQ(meter.control(SimControl::KeepPowerOn, MacCheck::Valid), CommandResult::Applied);
  meter.advanceTo(Start + 3 * HourMs, profile);
  EXPECT_EQ(meter.state().relay, SimRelay::Closed);
  EXPECT_LT(meter.balanceFen(), 0);
  EXPECT_NE(meter.statusBits() & status_bit::KeepPower, 0);
  // Resuming prepaid control in arrears trips at once.
  ASSERT_EQ(meter.control(SimControl::ResumePrepaid, MacCheck::Valid), CommandResult::Applied);
  EXPECT_EQ(meter.state().relay, SimRelay::Open);
}

TEST(SimMeter, RemoteTripStaysOpenAfterRecharge) {
  auto meter = makeMeter(1000);
  ASSERT_EQ(meter.control(SimControl::Trip, MacCheck::Valid), CommandResult::Applied);
  ASSERT_EQ(meter.recharge(100, 1, MacCheck::Valid), CommandResult::Applied);
  EXPECT_EQ(meter.state().relay, SimRelay::Open);
  ASSERT_EQ(meter.control(SimControl::Close, MacCheck::Valid), CommandResult::Applied);
  EXPECT_EQ(meter.state().relay, SimRelay::Closed);
}

TEST(SimMeter, RechargeRejectionsChangeNothing) {
  auto meter = makeMeter(1000);
  const auto before = meter.state();
  EXPECT_EQ(meter.recharge(500, 1, MacCheck::Invalid), CommandResult::BadMac);
  EXPECT_EQ(meter.recharge(500, 2, MacCheck::Valid), CommandResult::WrongPurchaseCount);
  EXPECT_EQ(meter.recharge(500, 0, MacCheck::Valid), CommandResult::WrongPurchaseCount);
  EXPECT_EQ(meter.recharge(0, 1, MacCheck::Valid), CommandResult::BadValue);
  EXPECT_EQ(meter.state().balanceMicroYuan, before.balanceMicroYuan);
  EXPECT_EQ(meter.state().purchaseCount, before.purchaseCount);
  ASSERT_EQ(meter.recharge(500, 1, MacCheck::Valid), CommandResult::Applied);
  EXPECT_EQ(meter.balanceFen(), 1500);
  // The same purchase count again (a retry) never credits twice.
  EXPECT_EQ(meter.recharge(500, 1, MacCheck::Valid), CommandResult::WrongPurchaseCount);
  EXPECT_EQ(meter.balanceFen(), 1500);
}

TEST(SimMeter, OverloadFlag) {
  const LoadProfile profile(3);
  auto meter = makeMeter(100'000, 20'000);  // a 20 kW shop on a 10 kW limit
  meter.advanceTo(Start + HourMs, profile);
  EXPECT_NE(meter.statusBits() & status_bit::Overload, 0);
  ASSERT_EQ(meter.setThresholds(2000, 500, 50'000), CommandResult::Applied);
  EXPECT_EQ(meter.statusBits() & status_bit::Overload, 0);
}

TEST(SimMeter, ValidatesPricesAndThresholds) {
  auto meter = makeMeter(1000);
  EXPECT_EQ(meter.setPrices({1, 2, 3, -4}), CommandResult::BadValue);
  EXPECT_EQ(meter.setThresholds(100, 200, 1000), CommandResult::BadValue);
  EXPECT_EQ(meter.setThresholds(200, 100, 0), CommandResult::BadValue);
  ASSERT_EQ(meter.setPrices({900'000, 800'000, 700'000, 300'000}), CommandResult::Applied);
  EXPECT_EQ(meter.state().pricesMicroYuan[3], 300'000);
}

TEST(SimMeter, ElectricalValuesAreConsistent) {
  const LoadProfile profile(4);
  auto meter = makeMeter(100'000);
  meter.advanceTo(Start + HourMs, profile);
  const double p = static_cast<double>(meter.state().powerW);
  const double u = static_cast<double>(meter.voltageDeciV()) / 10.0;
  const double i = static_cast<double>(meter.currentCentiA()) / 100.0;
  const double pf = static_cast<double>(meter.powerFactorPermille()) / 1000.0;
  EXPECT_NEAR(u * i * pf, p, 2.5);
  EXPECT_NEAR(u, 220.0, 7.0);
}

}  // namespace
}  // namespace prepaid::devices::sim
