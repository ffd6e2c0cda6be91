// BillingService alarm evaluation: balance levels recorded once per crossing with hysteresis,
// overload and over/under voltage from readings.

#include "billing_fixture.hpp"

namespace prepaid::backend::billing::testing {
namespace {

class AlarmTest : public BillingTest {
 protected:
  std::int64_t raisedCount(store::AlarmKind kind) {
    std::int64_t n = 0;
    for (const auto& a : alarmHistory()) {
      n += a.kind == kind ? 1 : 0;
    }
    return n;
  }
  /// A server-side meter with `startFen` bought and a baseline at `now` (flat 1.00 yuan/kWh, so
  /// 1 fen of balance = 0.01 kWh of register).
  store::MeterId meterWith(std::int64_t startFen) {
    const auto m = addMeter();
    sell(m, startFen, "start-" + std::to_string(m));
    processOne(reading(m, now, 0));
    m_register = 0;
    return m;
  }
  /// Consumes `fen` worth of energy in a new reading.
  ReadingReport use(store::MeterId m, std::int64_t fen) {
    m_register += fen;
    m_at += 10min;
    return processOne(reading(m, m_at, m_register));
  }
  std::int64_t m_register = 0;
  Instant m_at = now;
};

TEST_F(AlarmTest, EachLevelCrossingIsRecordedOnceWithHysteresis) {
  // Site defaults: alarm 1 below 50.00, alarm 2 below 20.00; hysteresis 1.00.
  const auto m = meterWith(6'000);
  EXPECT_TRUE(openAlarms(m).empty());
  use(m, 1'100);  // 49.00
  EXPECT_TRUE(hasOpenAlarm(m, store::AlarmKind::Alarm1));
  use(m, 100);  // 48.00: still alarm 1, no second record
  use(m, 100);
  use(m, 2'650);  // 20.50: still alarm 1
  EXPECT_EQ(raisedCount(store::AlarmKind::Alarm1), 1);
  const auto refund = tryRefund(m, 100, "refund-1");  // 19.50 -> alarm 2
  ASSERT_TRUE(refund);
  EXPECT_FALSE(hasOpenAlarm(m, store::AlarmKind::Alarm1));
  EXPECT_TRUE(hasOpenAlarm(m, store::AlarmKind::Alarm2));
  // Back up to 20.50 by correcting the refund: inside the 1.00 hysteresis, so no flapping.
  ASSERT_TRUE(tryCorrect(refund->entryId, "undo-refund-1"));
  EXPECT_EQ(balance(m), 2'050);
  EXPECT_TRUE(hasOpenAlarm(m, store::AlarmKind::Alarm2));
  EXPECT_FALSE(hasOpenAlarm(m, store::AlarmKind::Alarm1));
  EXPECT_EQ(raisedCount(store::AlarmKind::Alarm2), 1);
  EXPECT_EQ(raisedCount(store::AlarmKind::Alarm1), 1);
  use(m, 2'050);  // 0.00 -> arrears
  EXPECT_TRUE(hasOpenAlarm(m, store::AlarmKind::Arrears));
  EXPECT_FALSE(hasOpenAlarm(m, store::AlarmKind::Alarm2));
  // A recharge clears without hysteresis and re-arms.
  sell(m, 10'000, "top-up");
  EXPECT_TRUE(openAlarms(m).empty());
  use(m, 5'100);  // 49.00 -> alarm 1 again: a new crossing, a new record
  EXPECT_EQ(raisedCount(store::AlarmKind::Alarm1), 2);
}

TEST_F(AlarmTest, OnlyTheWorstCrossedLevelIsAnnouncedWhenLevelsAreSkipped) {
  const auto m = meterWith(6'000);
  use(m, 6'100);  // straight from normal to arrears
  const auto open = openAlarms(m);
  ASSERT_EQ(open.size(), 1U);
  EXPECT_EQ(open[0].kind, store::AlarmKind::Arrears);
  EXPECT_EQ(open[0].notified, store::Notified::No);  // to be announced by the notifier
  EXPECT_EQ(raisedCount(store::AlarmKind::Alarm1), 0);
}

TEST_F(AlarmTest, RechargeIntoALowLevelIsRecordedButNotAnnounced) {
  const auto m = meterWith(6'000);
  use(m, 6'000);  // arrears, to be announced
  ASSERT_EQ(openAlarms(m).size(), 1U);
  EXPECT_EQ(openAlarms(m)[0].notified, store::Notified::No);
  // The domain re-arms on a recharge without announcing the level the tenant just bought into.
  sell(m, 1'000, "small");  // 10.00: alarm 2
  const auto open = openAlarms(m);
  ASSERT_EQ(open.size(), 1U);
  EXPECT_EQ(open[0].kind, store::AlarmKind::Alarm2);
  EXPECT_EQ(open[0].notified, store::Notified::Yes);
  // Falling further is a new crossing: announced.
  use(m, 1'000);
  ASSERT_TRUE(hasOpenAlarm(m, store::AlarmKind::Arrears));
  EXPECT_EQ(openAlarms(m)[0].notified, store::Notified::No);
}

TEST_F(AlarmTest, OverloadRaisedOnceAndClearedBelowTheHysteresis) {
  const auto m = addMeter();
  auto r = reading(m, now, 0);
  r.powerW = 12'000;  // site default threshold 10,000 W
  processOne(r);
  EXPECT_TRUE(hasOpenAlarm(m, store::AlarmKind::Overload));
  r = reading(m, now + 1min, 0);
  r.powerW = 11'000;
  processOne(r);
  r = reading(m, now + 2min, 0);
  r.powerW = 9'800;  // within 5 % of the threshold: still overloaded
  processOne(r);
  EXPECT_TRUE(hasOpenAlarm(m, store::AlarmKind::Overload));
  EXPECT_EQ(raisedCount(store::AlarmKind::Overload), 1);
  r = reading(m, now + 3min, 0);
  r.powerW = 9'000;
  processOne(r);
  EXPECT_FALSE(hasOpenAlarm(m, store::AlarmKind::Overload));
  // The meter's own threshold wins over the site default.
  auto config = meter(m);
  config.overloadThresholdW = 2'000;
  updateMeter(config);
  r = reading(m, now + 4min, 0);
  r.powerW = 2'500;
  processOne(r);
  EXPECT_TRUE(hasOpenAlarm(m, store::AlarmKind::Overload));
}

TEST_F(AlarmTest, OverAndUnderVoltageWhenReported) {
  const auto m = addMeter(MeterSetup().notOpen());  // no balance alarms in the way
  auto at = now;
  const auto volts = [&](std::int64_t deciV) {
    auto r = reading(m, at, 0);
    r.voltageDeciV = deciV;
    at += 1min;
    processOne(r);
  };
  volts(2200);
  EXPECT_TRUE(openAlarms(m).empty());
  volts(2650);
  EXPECT_TRUE(hasOpenAlarm(m, store::AlarmKind::OverVoltage));
  volts(2620);  // inside the 5 V hysteresis
  EXPECT_TRUE(hasOpenAlarm(m, store::AlarmKind::OverVoltage));
  volts(2580);
  EXPECT_FALSE(hasOpenAlarm(m, store::AlarmKind::OverVoltage));
  volts(1700);
  EXPECT_TRUE(hasOpenAlarm(m, store::AlarmKind::UnderVoltage));
  volts(1780);
  EXPECT_TRUE(hasOpenAlarm(m, store::AlarmKind::UnderVoltage));
  volts(1850);
  EXPECT_FALSE(hasOpenAlarm(m, store::AlarmKind::UnderVoltage));
  // A reading without voltage leaves the voltage alarms alone.
  volts(1600);
  processOne(reading(m, at + 1min, 0));
  EXPECT_TRUE(hasOpenAlarm(m, store::AlarmKind::UnderVoltage));
}

TEST_F(AlarmTest, InvalidThresholdsSkipBalanceAlarmsAndSayWhy) {
  updateSettings([](store::Settings& s) {
    s.alarm1Fen = 1000;
    s.alarm2Fen = 1000;  // the schema allows equal; the domain needs alarm1 > alarm2
  });
  const auto m = meterWith(2'000);
  const auto r = use(m, 1'500);
  EXPECT_NE(r.detail.find("balance alarms skipped"), std::string::npos) << r.detail;
  EXPECT_TRUE(openAlarms(m).empty());
}

}  // namespace
}  // namespace prepaid::backend::billing::testing
