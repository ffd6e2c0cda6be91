#include "prepaid/domain/trip_policy.hpp"

#include <gtest/gtest.h>

namespace prepaid::domain {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

const SiteTimeZone Zone{};
const HolidayCalendar Calendar({2024y / October / 1d, 2024y / October / 2d}, {});

Instant local(year_month_day date, seconds sinceMidnight) {
  return Zone.instantAt(date, sinceMidnight);
}

ControlInputs inArrears(Instant now, std::optional<Instant> since = std::nullopt) {
  ControlInputs inputs;
  inputs.balance = Money::fromFen(-1);
  inputs.now = now;
  inputs.arrearsSince = since;
  return inputs;
}

TEST(TripPolicy, ValidatesConfiguration) {
  EXPECT_TRUE(validateTripPolicy({}).has_value());
  TripPolicy policy;
  policy.checkTime = 24h;
  EXPECT_EQ(validateTripPolicy(policy).error(), TripPolicyError::CheckTimeOutOfDay);
  policy = {};
  policy.kind = TripPolicyKind::Delayed;
  policy.checkTime = 23h;
  EXPECT_EQ(validateTripPolicy(policy).error(), TripPolicyError::CheckTimeAtNight);
  policy.nightTrips = QuietTimeTrips::Allowed;
  EXPECT_TRUE(validateTripPolicy(policy).has_value());
  policy.closeAllowed = Money::fromFen(-1);
  EXPECT_EQ(validateTripPolicy(policy).error(), TripPolicyError::NegativeCloseAllowed);
  policy = {};
  policy.night.end = -1s;
  EXPECT_EQ(validateTripPolicy(policy).error(), TripPolicyError::NightWindowOutOfDay);
}

TEST(TripPolicy, ImmediateAndNever) {
  const auto now = local(2024y / October / 15d, 3h);
  TripPolicy policy;
  EXPECT_EQ(decideRelay(policy, inArrears(now), Zone, Calendar),
            (TripDecision{RelayCommand::Trip, TripReason::ArrearsImmediate, std::nullopt}));
  policy.kind = TripPolicyKind::Never;
  EXPECT_EQ(decideRelay(policy, inArrears(now), Zone, Calendar).reason, TripReason::PolicyNever);
  auto inputs = inArrears(now);
  inputs.balance = Money::fromFen(1);
  EXPECT_EQ(decideRelay({}, inputs, Zone, Calendar).reason, TripReason::NotInArrears);
  inputs.balance = Money::zero();  // zero is arrears
  EXPECT_EQ(decideRelay({}, inputs, Zone, Calendar).command, RelayCommand::Trip);
}

TEST(TripPolicy, KeepPowerOverridesEverything) {
  auto inputs = inArrears(local(2024y / October / 15d, 12h));
  inputs.keepPower = KeepPower::On;
  EXPECT_EQ(decideRelay({}, inputs, Zone, Calendar),
            (TripDecision{std::nullopt, TripReason::KeepPower, std::nullopt}));
  inputs.relay = RelayState::Open;
  inputs.openCause = OpenCause::Operator;
  EXPECT_EQ(decideRelay({}, inputs, Zone, Calendar).command, RelayCommand::Close);
}

TEST(TripPolicy, RecloseAfterRechargeAboveCloseAllowed) {
  TripPolicy policy;
  policy.closeAllowed = Money::fromFen(500);
  ControlInputs inputs;
  inputs.relay = RelayState::Open;
  inputs.balance = Money::fromFen(500);
  inputs.now = local(2024y / October / 15d, 12h);
  EXPECT_EQ(decideRelay(policy, inputs, Zone, Calendar).reason, TripReason::BelowCloseAllowed);
  inputs.balance = Money::fromFen(501);
  EXPECT_EQ(decideRelay(policy, inputs, Zone, Calendar),
            (TripDecision{RelayCommand::Close, TripReason::BalanceRestored, std::nullopt}));
  inputs.openCause = OpenCause::Operator;
  EXPECT_EQ(decideRelay(policy, inputs, Zone, Calendar).reason, TripReason::OpenedByOperator);
}

TEST(TripPolicy, DelayedTripsAtTheNextCheckTime) {
  TripPolicy policy;
  policy.kind = TripPolicyKind::Delayed;
  const auto since = local(2024y / October / 15d, 14h);
  auto decision =
      decideRelay(policy, inArrears(local(2024y / October / 15d, 15h), since), Zone, Calendar);
  EXPECT_EQ(decision, (TripDecision{std::nullopt, TripReason::WaitingForCheck,
                                    local(2024y / October / 16d, 10h)}));
  decision =
      decideRelay(policy, inArrears(local(2024y / October / 16d, 10h), since), Zone, Calendar);
  EXPECT_EQ(decision.command, RelayCommand::Trip);
  EXPECT_EQ(decision.reason, TripReason::DelayedCheckDue);
  // Arrears before today's check time: today's check counts.
  decision = decideRelay(
      policy, inArrears(local(2024y / October / 15d, 11h), local(2024y / October / 15d, 9h)), Zone,
      Calendar);
  EXPECT_EQ(decision.command, RelayCommand::Trip);
}

TEST(TripPolicy, DelayedNeverAtNightOrOnHolidaysUnlessConfigured) {
  TripPolicy policy;
  policy.kind = TripPolicyKind::Delayed;
  const auto since = local(2024y / October / 14d, 12h);
  // Due since Oct 15 10:00, evaluated at 23:30: night, wait until 06:00.
  auto decision = decideRelay(policy, inArrears(local(2024y / October / 15d, 23h + 30min), since),
                              Zone, Calendar);
  EXPECT_EQ(decision, (TripDecision{std::nullopt, TripReason::NightQuietHours,
                                    local(2024y / October / 16d, 6h)}));
  decision =
      decideRelay(policy, inArrears(local(2024y / October / 16d, 2h), since), Zone, Calendar);
  EXPECT_EQ(decision.nextCheck, local(2024y / October / 16d, 6h));
  policy.nightTrips = QuietTimeTrips::Allowed;
  EXPECT_EQ(decideRelay(policy, inArrears(local(2024y / October / 16d, 2h), since), Zone, Calendar)
                .command,
            RelayCommand::Trip);

  // Arrears on Sep 30 evening: the Oct 1 and Oct 2 checks are holidays; Oct 3 10:00 is due.
  policy = {};
  policy.kind = TripPolicyKind::Delayed;
  const auto holidaySince = local(2024y / September / 30d, 20h);
  decision = decideRelay(policy, inArrears(local(2024y / October / 1d, 12h), holidaySince), Zone,
                         Calendar);
  EXPECT_EQ(decision, (TripDecision{std::nullopt, TripReason::WaitingForCheck,
                                    local(2024y / October / 3d, 10h)}));
  // Due before the holiday but evaluated on it (service was down): still wait.
  decision = decideRelay(
      policy, inArrears(local(2024y / October / 1d, 12h), local(2024y / September / 29d, 12h)),
      Zone, Calendar);
  EXPECT_EQ(decision.reason, TripReason::Holiday);
  EXPECT_EQ(decision.nextCheck, local(2024y / October / 3d, 10h));
  policy.holidayTrips = QuietTimeTrips::Allowed;
  decision = decideRelay(policy, inArrears(local(2024y / October / 1d, 12h), holidaySince), Zone,
                         Calendar);
  EXPECT_EQ(decision.command, RelayCommand::Trip);
}

TEST(TripPolicy, NamesAreStable) {
  EXPECT_EQ(toString(RelayCommand::Trip), "trip");
  EXPECT_EQ(toString(TripReason::DelayedCheckDue), "delayed_check_due");
  EXPECT_FALSE(describe(TripPolicyError::CheckTimeAtNight).empty());
  EXPECT_TRUE((DailyWindow{22h, 6h}).contains(23h));
  EXPECT_TRUE((DailyWindow{22h, 6h}).contains(0s));
  EXPECT_FALSE((DailyWindow{22h, 6h}).contains(6h));
  EXPECT_TRUE((DailyWindow{1h, 5h}).contains(1h));
  EXPECT_FALSE((DailyWindow{1h, 1h}).contains(1h));
}

}  // namespace
}  // namespace prepaid::domain
