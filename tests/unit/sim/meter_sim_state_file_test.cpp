#include "prepaid/sim/meter_sim_state_file.hpp"

#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

namespace prepaid::devices::sim {
namespace {

class StateFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir = std::filesystem::temp_directory_path() /
            ("prepaid-sim-state-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(m_dir);
  }
  void TearDown() override { std::filesystem::remove_all(m_dir); }
  std::filesystem::path m_dir;
};

TEST_F(StateFileTest, RoundTripsEveryField) {
  SavedFleet fleet;
  fleet.simMs = 1'704'067'200'123;
  SavedMeter meter;
  meter.gateway = 3;
  meter.unit = 17;
  auto& s = meter.state;
  s.energyMilliJoule = {1, 22'000'000'000, 333, 4'444'444'444'444};
  s.balanceMicroYuan = -12'345'678;
  s.costRemainder = 3'599'999'999;
  s.purchaseCount = 4'000'000'000U;
  s.relay = SimRelay::Open;
  s.tripCause = TripCause::Arrears;
  s.keepPower = true;
  s.alarm1Fen = 3000;
  s.alarm2Fen = 1000;
  s.overloadW = 7000;
  s.pricesMicroYuan = {1'500'000, 1'100'000, 700'000, 350'000};
  s.simMs = fleet.simMs - 5;
  s.powerW = 1234;
  fleet.meters.push_back(meter);
  meter.unit = 18;
  meter.state.tripCause = TripCause::Remote;
  fleet.meters.push_back(meter);

  const auto file = m_dir / "meters.state";
  ASSERT_TRUE(saveState(file, fleet));
  auto loaded = loadState(file);
  ASSERT_TRUE(loaded) << loaded.error();
  EXPECT_EQ(loaded->simMs, fleet.simMs);
  ASSERT_EQ(loaded->meters.size(), 2U);
  const auto& l = loaded->meters[0].state;
  EXPECT_EQ(loaded->meters[0].gateway, 3);
  EXPECT_EQ(loaded->meters[0].unit, 17);
  EXPECT_EQ(l.energyMilliJoule, s.energyMilliJoule);
  EXPECT_EQ(l.balanceMicroYuan, s.balanceMicroYuan);
  EXPECT_EQ(l.costRemainder, s.costRemainder);
  EXPECT_EQ(l.purchaseCount, s.purchaseCount);
  EXPECT_EQ(l.relay, s.relay);
  EXPECT_EQ(l.tripCause, TripCause::Arrears);
  EXPECT_EQ(loaded->meters[1].state.tripCause, TripCause::Remote);
  EXPECT_EQ(l.keepPower, s.keepPower);
  EXPECT_EQ(l.alarm1Fen, s.alarm1Fen);
  EXPECT_EQ(l.alarm2Fen, s.alarm2Fen);
  EXPECT_EQ(l.overloadW, s.overloadW);
  EXPECT_EQ(l.pricesMicroYuan, s.pricesMicroYuan);
  EXPECT_EQ(l.simMs, s.simMs);
  EXPECT_EQ(l.powerW, s.powerW);
  EXPECT_FALSE(std::filesystem::exists(m_dir / "meters.state.tmp"));
}

TEST_F(StateFileTest, ReportsBrokenFilesWithTheField) {
  const auto file = m_dir / "bad.state";
  {
    std::ofstream out(file);
    out << "format = 1\nsim_ms = 5\n[[meter]]\ngateway = 0\nunit = 1\n";
  }
  auto loaded = loadState(file);
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().find("meter[0]"), std::string::npos) << loaded.error();
  {
    std::ofstream out(file);
    out << "format = 1\nsim_ms = [\n";
  }
  loaded = loadState(file);
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().find("bad.state"), std::string::npos);
  EXPECT_FALSE(loadState(m_dir / "missing.state"));
}

TEST_F(StateFileTest, UnwritableDirectoryIsAnError) {
  EXPECT_FALSE(saveState(m_dir / "no" / "such" / "dir" / "x.state", SavedFleet{}));
}

}  // namespace
}  // namespace prepaid::devices::sim
