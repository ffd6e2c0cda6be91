// BillingService trip policy: trip on arrears (immediate / never / delayed with its check time,
// night and holiday rules), keep power, no duplicate commands, reclose after a sale.

#include "billing_fixture.hpp"

namespace prepaid::backend::billing::testing {
namespace {

class TripTest : public BillingTest {
 protected:
  /// A server-side meter with 1.00 yuan bought and a baseline at `at`.
  store::MeterId meterWith(domain::TripPolicyKind kind, Instant at,
                           const std::function<void(store::Meter&)>& configure = {}) {
    const auto m = addMeter(MeterSetup().withTrip(kind));
    if (configure) {
      auto config = meter(m);
      configure(config);
      updateMeter(config);
    }
    sell(m, 100, "start-" + std::to_string(m));
    processOne(reading(m, at, 0));
    m_register = 0;
    return m;
  }
  /// A reading at `at` using `fen` worth of energy (flat 1.00 yuan/kWh), relay as reported.
  ProcessSummary use(store::MeterId m, Instant at, std::int64_t fen,
                     std::optional<domain::RelayState> relay = domain::RelayState::Closed) {
    m_register += fen;
    auto r = reading(m, at, m_register);
    r.relay = relay;
    return process({r});
  }
  std::int64_t m_register = 0;
};

TEST_F(TripTest, ImmediateTripsOnceOnArrearsAndReclosesAfterASale) {
  const auto m = meterWith(domain::TripPolicyKind::Immediate, now);
  auto summary = use(m, now + 10min, 50);
  EXPECT_TRUE(summary.commandsQueued.empty());  // 0.50 left
  summary = use(m, now + 20min, 50);            // 0.00: arrears
  ASSERT_EQ(summary.commandsQueued.size(), 1U);
  const auto trips = unfinished(m, store::CommandKind::Trip);
  ASSERT_EQ(trips.size(), 1U);
  EXPECT_EQ(trips[0].priority, store::PriorityControl);
  // Still in arrears, trip not sent yet: no duplicate.
  EXPECT_TRUE(use(m, now + 30min, 10).commandsQueued.empty());
  deliverNext(now + 31min);
  // The relay is open now: nothing more to do.
  EXPECT_TRUE(use(m, now + 40min, 0, domain::RelayState::Open).commandsQueued.empty());
  EXPECT_TRUE(unfinished(m, store::CommandKind::Trip).empty());
  // A sale brings the balance above the close-allowed amount (0): Close, once.
  const auto receipt = sell(m, 1'000, "top-up");
  ASSERT_TRUE(receipt.closeCommandId);
  EXPECT_EQ(unfinished(m, store::CommandKind::Close).size(), 1U);
  EXPECT_FALSE(sell(m, 1'000, "top-up-2").closeCommandId);
  EXPECT_EQ(unfinished(m, store::CommandKind::Close).size(), 1U);
  // Closed and paid: no trip on the next reading.
  deliverNext(now + 50min);
  EXPECT_TRUE(use(m, now + 60min, 10, domain::RelayState::Closed).commandsQueued.empty());
}

TEST_F(TripTest, QueuedTripIsWithdrawnWhenASaleComesFirst) {
  const auto m = meterWith(domain::TripPolicyKind::Immediate, now);
  use(m, now + 10min, 100);
  const auto trips = unfinished(m, store::CommandKind::Trip);
  ASSERT_EQ(trips.size(), 1U);
  const auto receipt = sell(m, 500, "top-up");
  EXPECT_FALSE(receipt.closeCommandId);  // the relay never opened
  EXPECT_TRUE(unfinished(m, store::CommandKind::Trip).empty());
  const auto cancelled = commands(m);
  ASSERT_FALSE(cancelled.empty());
  EXPECT_EQ(cancelled.front().state, store::CommandState::Failed);
}

TEST_F(TripTest, RecloseWaitsForTheCloseAllowedAmount) {
  updateSettings([](store::Settings& s) { s.closeAllowedFen = 1'000; });
  const auto m = meterWith(domain::TripPolicyKind::Immediate, now);
  use(m, now + 10min, 300);  // -2.00
  deliverNext(now + 11min);
  use(m, now + 20min, 0, domain::RelayState::Open);
  EXPECT_FALSE(sell(m, 700, "a").closeCommandId);  // 5.00, not above 10.00
  EXPECT_TRUE(sell(m, 600, "b").closeCommandId);   // 11.00
}

TEST_F(TripTest, NeverPolicyDoesNotTrip) {
  const auto m = meterWith(domain::TripPolicyKind::Never, now);
  EXPECT_TRUE(use(m, now + 10min, 5'000).commandsQueued.empty());
  EXPECT_TRUE(hasOpenAlarm(m, store::AlarmKind::Arrears));
  EXPECT_TRUE(unfinished(m, store::CommandKind::Trip).empty());
}

TEST_F(TripTest, DelayedTripWaitsForTheDailyCheckTime) {
  // Check at 10:00 local (the default); arrears at 08:10 local on a Monday.
  const auto m = meterWith(domain::TripPolicyKind::Delayed, local(2024, 3, 4, 8));
  EXPECT_TRUE(use(m, local(2024, 3, 4, 8, 10), 100).commandsQueued.empty());
  EXPECT_TRUE(use(m, local(2024, 3, 4, 9, 50), 10).commandsQueued.empty());
  EXPECT_EQ(use(m, local(2024, 3, 4, 10, 5), 10).commandsQueued.size(), 1U);
}

TEST_F(TripTest, DelayedTripAfterTodaysCheckWaitsForTomorrowNotTheNight) {
  const auto m = meterWith(domain::TripPolicyKind::Delayed, local(2024, 3, 4, 10));
  EXPECT_TRUE(use(m, local(2024, 3, 4, 10, 30), 100).commandsQueued.empty());
  EXPECT_TRUE(use(m, local(2024, 3, 4, 23, 0), 10).commandsQueued.empty());
  EXPECT_TRUE(use(m, local(2024, 3, 5, 3, 0), 10).commandsQueued.empty());
  EXPECT_EQ(use(m, local(2024, 3, 5, 10, 1), 10).commandsQueued.size(), 1U);
}

TEST_F(TripTest, DelayedCheckAtNightNeedsNightTripsAllowed) {
  const auto lateCheck = [](store::NightTrip night) {
    return [night](store::Meter& m) {
      m.tripPolicy.delayedTripMinuteOfDay = 23 * 60;
      m.tripPolicy.night = night;
    };
  };
  const auto allowed = meterWith(domain::TripPolicyKind::Delayed, local(2024, 3, 4, 20),
                                 lateCheck(store::NightTrip::Allowed));
  EXPECT_TRUE(use(allowed, local(2024, 3, 4, 21), 100).commandsQueued.empty());
  EXPECT_EQ(use(allowed, local(2024, 3, 4, 23, 5), 10).commandsQueued.size(), 1U);

  m_register = 0;
  const auto forbidden = meterWith(domain::TripPolicyKind::Delayed, local(2024, 3, 4, 20),
                                   lateCheck(store::NightTrip::Forbidden));
  use(forbidden, local(2024, 3, 4, 21), 100);
  const auto summary = use(forbidden, local(2024, 3, 4, 23, 5), 10);
  EXPECT_TRUE(summary.commandsQueued.empty());
  EXPECT_NE(summary.readings[0].detail.find("trip policy skipped"), std::string::npos)
      << summary.readings[0].detail;
}

TEST_F(TripTest, DelayedTripSkipsHolidaysUnlessAllowed) {
  BillingOptions options;
  options.calendar = domain::HolidayCalendar({std::chrono::year(2024) / 3 / 5}, {});
  makeService(options);
  // Arrears on Monday after the check: Tuesday is a holiday, so Wednesday 10:00.
  const auto m = meterWith(domain::TripPolicyKind::Delayed, local(2024, 3, 4, 10));
  use(m, local(2024, 3, 4, 11), 100);
  EXPECT_TRUE(use(m, local(2024, 3, 5, 10, 5), 10).commandsQueued.empty());
  EXPECT_EQ(use(m, local(2024, 3, 6, 10, 5), 10).commandsQueued.size(), 1U);

  m_register = 0;
  const auto allowed =
      meterWith(domain::TripPolicyKind::Delayed, local(2024, 3, 4, 10),
                [](store::Meter& c) { c.tripPolicy.holidays = store::HolidayTrip::Allowed; });
  use(allowed, local(2024, 3, 4, 11), 100);
  EXPECT_EQ(use(allowed, local(2024, 3, 5, 10, 5), 10).commandsQueued.size(), 1U);
}

TEST_F(TripTest, ReevaluateTripsADueDelayedMeterWithoutANewReading) {
  const auto m = meterWith(domain::TripPolicyKind::Delayed, local(2024, 3, 4, 8));
  use(m, local(2024, 3, 4, 8, 10), 100);
  now = local(2024, 3, 4, 9, 0);
  EXPECT_TRUE(must(service->reevaluate(m)).empty());
  now = local(2024, 3, 4, 10, 0);
  EXPECT_EQ(must(service->reevaluate(m)).size(), 1U);
  EXPECT_TRUE(must(service->reevaluate(m)).empty());  // no duplicate
  EXPECT_EQ(errorCode(service->reevaluate(m + 100)), BillingErrorCode::UnknownMeter);
}

TEST_F(TripTest, KeepPowerNeverTripsAndClosesAnOpenRelay) {
  const auto m = meterWith(domain::TripPolicyKind::Immediate, now,
                           [](store::Meter& c) { c.keepPower = store::KeepPower::On; });
  must(write([&](store::WriteTransaction& t) {
    return t.meters().setKeepPower(m, store::KeepPower::On);
  }));
  EXPECT_TRUE(use(m, now + 10min, 500).commandsQueued.empty());
  const auto summary = use(m, now + 20min, 10, domain::RelayState::Open);
  ASSERT_EQ(summary.commandsQueued.size(), 1U);
  EXPECT_EQ(unfinished(m, store::CommandKind::Close).size(), 1U);
}

TEST_F(TripTest, RelayOpenedByStaffIsNotReclosedBySales) {
  const auto m = meterWith(domain::TripPolicyKind::Immediate, now);
  use(m, now + 10min, 0, domain::RelayState::Open);  // opened by someone else, balance 1.00
  EXPECT_FALSE(sell(m, 1'000, "top-up").closeCommandId);
  EXPECT_TRUE(unfinished(m, store::CommandKind::Close).empty());
}

}  // namespace
}  // namespace prepaid::backend::billing::testing
