// BillingService::processReadings for server-side meters: exact charges, price changes honoured
// at their effective instant, TOU + tiers, idempotent reprocessing, rollover, anomalies,
// baselines.

#include "billing_fixture.hpp"

namespace prepaid::backend::billing::testing {
namespace {

using domain::Energy;
using domain::Rate;
using domain::UnitPrice;

domain::Tariff flatAt(std::int64_t microYuan) {
  return domain::Tariff::flat(UnitPrice::fromMicroYuan(microYuan));
}

/// TOU: valley 00:00-08:00 at 0.40, peak 08:00-24:00 at 1.00 (local), every day; tier surcharge
/// +0.50 from 100.00 kWh a month.
domain::Tariff touTiered() {
  domain::Tariff t;
  t.kind = domain::TariffKind::TimeOfUse;
  t.prices[domain::indexOf(Rate::Peak)] = UnitPrice::fromMicroYuan(1'000'000);
  t.prices[domain::indexOf(Rate::Valley)] = UnitPrice::fromMicroYuan(400'000);
  domain::Season season;
  season.workday.periods = {{0, 480, Rate::Valley}, {480, 1440, Rate::Peak}};
  t.seasons = {season};
  domain::Tiering tiering;
  tiering.basis = domain::TierBasis::Monthly;
  tiering.pricing = domain::TierPricing::Surcharge;
  tiering.tiers = {{Energy::fromCentiKwh(0), UnitPrice::fromMicroYuan(0)},
                   {Energy::fromCentiKwh(10'000), UnitPrice::fromMicroYuan(500'000)}};
  t.tiering = tiering;
  return t;
}

class RatingTest : public BillingTest {};

TEST_F(RatingTest, FirstReadingIsABaselineThenIntervalsAreChargedToTheFen) {
  const auto m = addMeter();  // site default: flat 1.000000 yuan/kWh
  EXPECT_EQ(processOne(reading(m, now, 50'000)).outcome, ReadingOutcome::Baseline);
  EXPECT_EQ(balance(m), 0);
  const auto r = processOne(reading(m, now + 30min, 51'234));
  EXPECT_EQ(r.outcome, ReadingOutcome::Charged);
  EXPECT_EQ(r.chargedFen, 1234);
  ASSERT_TRUE(r.chargeEntryId);
  const auto charges = entriesOfKind(m, domain::EntryKind::Charge);
  ASSERT_EQ(charges.size(), 1U);
  EXPECT_EQ(charges[0].amountFen, -1234);
  EXPECT_EQ(charges[0].idempotencyKey,
            "charge:" + std::to_string(m) + ":" +
                std::to_string((now + 30min).time_since_epoch().count()));
  EXPECT_EQ(charges[0].usageAt, now + 30min);
  EXPECT_EQ(balance(m), -1234);
  expectLedgerConsistent();
}

TEST_F(RatingTest, PriceChangeMidIntervalAppliesOnlyFromItsEffectiveInstant) {
  const auto tariff = addTariff("t", flatAt(800'000));
  const auto m = addMeter(MeterSetup().withTariff(tariff));
  processOne(reading(m, now, 0));
  // First hour at 0.80: 10 kWh -> 8.00 yuan.
  EXPECT_EQ(processOne(reading(m, now + 1h, 1'000)).chargedFen, 800);
  // Announced now, effective 30 minutes into the next hour.
  ASSERT_TRUE(service->changePrice(tariff, flatAt(1'200'000), now + 90min));
  // 10 kWh evenly over the hour: 5 kWh at 0.80 + 5 kWh at 1.20 = 10.00 yuan.
  EXPECT_EQ(processOne(reading(m, now + 2h, 2'000)).chargedFen, 1000);
  // Wholly after the change: 10 kWh at 1.20.
  EXPECT_EQ(processOne(reading(m, now + 3h, 3'000)).chargedFen, 1200);
  // Past charges were not rewritten.
  const auto charges = entriesOfKind(m, domain::EntryKind::Charge);
  ASSERT_EQ(charges.size(), 3U);
  EXPECT_EQ(charges[0].amountFen, -800);
  EXPECT_EQ(charges[1].amountFen, -1000);
  EXPECT_EQ(charges[2].amountFen, -1200);
}

TEST_F(RatingTest, PriceChangeCannotBeBackdatedOrInvalid) {
  const auto tariff = addTariff("t", flatAt(800'000));
  EXPECT_EQ(errorCode(service->changePrice(tariff, flatAt(900'000), now - 1s)),
            BillingErrorCode::PriceChangeInPast);
  EXPECT_EQ(errorCode(service->changePrice(tariff, flatAt(-1), now + 1h)),
            BillingErrorCode::InvalidTariff);
  EXPECT_EQ(errorCode(service->changePrice(tariff + 99, flatAt(900'000), now + 1h)),
            BillingErrorCode::UnknownTariff);
  ASSERT_TRUE(service->changePrice(tariff, flatAt(900'000), now + 1h));
  EXPECT_EQ(errorCode(service->changePrice(tariff, flatAt(950'000), now + 1h)),
            BillingErrorCode::IdempotencyConflict);
}

TEST_F(RatingTest, TimeOfUseRegistersAndMonthlyTierSurcharge) {
  const auto tariff = addTariff("tou", touTiered());
  const auto m = addMeter(MeterSetup().withTariff(tariff));
  // Monday 2024-03-04 06:00 local .. 10:00 local, registers say 20 kWh valley, 30 kWh peak.
  auto first = reading(m, local(2024, 3, 4, 6), 100'000);
  first.energyByRateCentiKwh = {0, 40'000, 30'000, 30'000};
  auto second = reading(m, local(2024, 3, 4, 10), 105'000);
  second.energyByRateCentiKwh = {0, 43'000, 30'000, 32'000};
  processOne(first);
  // 20 kWh x 0.40 + 30 kWh x 1.00 = 38.00 yuan (below the 100 kWh tier).
  EXPECT_EQ(processOne(second).chargedFen, 3800);
  // Next: 70 kWh all peak (10:00-20:00): 50 kWh to reach 100 kWh at 1.00, 20 kWh at 1.50.
  auto third = reading(m, local(2024, 3, 4, 20), 112'000);
  third.energyByRateCentiKwh = {0, 50'000, 30'000, 32'000};
  EXPECT_EQ(processOne(third).chargedFen, 5000 + 3000);
  expectLedgerConsistent();
}

TEST_F(RatingTest, SubFenAmountsCarryOverAndAddUpExactly) {
  const auto tariff = addTariff("odd", flatAt(333'333));  // 0.333333 yuan/kWh
  const auto m = addMeter(MeterSetup().withTariff(tariff));
  processOne(reading(m, now, 0));
  std::int64_t total = 0;
  for (int i = 1; i <= 30; ++i) {
    total += processOne(reading(m, now + i * 10min, i * 7)).chargedFen;
  }
  // 2.10 kWh x 0.333333 = 0.6999993 yuan: 69 whole fen posted, the rest still carried.
  EXPECT_EQ(total, 69);
  EXPECT_EQ(-balance(m), 69);
}

TEST_F(RatingTest, ReprocessingTheSameReadingsPostsNothingNew) {
  const auto m = addMeter();
  const std::vector<store::Reading> batch = {reading(m, now, 0), reading(m, now + 30min, 500),
                                             reading(m, now + 1h, 900)};
  const auto first = process(batch);
  EXPECT_EQ(first.chargedFen, 900);
  EXPECT_EQ(first.chargesPosted, 2);
  const auto entriesBefore = entries(m).size();
  auto again = service->processReadings(batch);
  ASSERT_TRUE(again);
  for (const auto& r : again->readings) {
    EXPECT_EQ(r.outcome, ReadingOutcome::AlreadyProcessed);
  }
  EXPECT_EQ(again->chargedFen, 0);
  // An older reading arriving late is ignored too.
  auto late = service->processReadings(std::vector{reading(m, now + 45min, 700)});
  ASSERT_TRUE(late);
  EXPECT_EQ(late->readings[0].outcome, ReadingOutcome::AlreadyProcessed);
  EXPECT_EQ(entries(m).size(), entriesBefore);
  EXPECT_EQ(balance(m), -900);
  expectLedgerConsistent();
}

TEST_F(RatingTest, ReadingsOfABatchAreRatedInTimeOrderPerMeter) {
  const auto a = addMeter();
  const auto b = addMeter();
  // Given out of order and interleaved.
  const auto summary = process({reading(a, now + 1h, 300), reading(b, now, 1000),
                                reading(a, now, 100), reading(b, now + 1h, 1500)});
  EXPECT_EQ(summary.readings[0].chargedFen, 200);
  EXPECT_EQ(summary.readings[2].outcome, ReadingOutcome::Baseline);
  EXPECT_EQ(summary.readings[3].chargedFen, 500);
  EXPECT_EQ(balance(a), -200);
  EXPECT_EQ(balance(b), -500);
}

TEST_F(RatingTest, RegisterRolloverIsChargedAcrossTheWrap) {
  const auto m = addMeter();
  processOne(reading(m, now, 99'999'990));
  const auto r = processOne(reading(m, now + 1h, 15));
  EXPECT_EQ(r.outcome, ReadingOutcome::Charged);
  EXPECT_EQ(r.chargedFen, 25);
}

TEST_F(RatingTest, BackwardsRegisterIsAnAnomalyNeverANegativeChargeAndKeepsTheBaseline) {
  const auto m = addMeter();
  processOne(reading(m, now, 100'000));
  const auto glitch = processOne(reading(m, now + 30min, 90'000));
  EXPECT_EQ(glitch.outcome, ReadingOutcome::Anomaly);
  EXPECT_EQ(glitch.chargedFen, 0);
  EXPECT_NE(glitch.detail.find("backwards"), std::string::npos) << glitch.detail;
  EXPECT_EQ(balance(m), 0);
  // The next good reading is rated from the last good baseline.
  EXPECT_EQ(processOne(reading(m, now + 1h, 100'300)).chargedFen, 300);
  const auto state =
      must(read([&](const store::ReadTransaction& t) { return t.billingState().state(m); }));
  ASSERT_TRUE(state);
  EXPECT_NE(state->lastAnomaly.find("backwards"), std::string::npos);
  EXPECT_EQ(state->lastAnomalyAt, now + 30min);
  expectLedgerConsistent();
}

TEST_F(RatingTest, ResetBaselineAfterARegisterResetStartsAgain) {
  const auto m = addMeter();
  processOne(reading(m, now, 500'000));
  EXPECT_EQ(processOne(reading(m, now + 30min, 10)).outcome, ReadingOutcome::Anomaly);
  ASSERT_TRUE(service->resetBaseline(m));
  EXPECT_EQ(processOne(reading(m, now + 1h, 20)).outcome, ReadingOutcome::Baseline);
  EXPECT_EQ(processOne(reading(m, now + 90min, 120)).chargedFen, 100);
  EXPECT_EQ(errorCode(service->resetBaseline(m + 100)), BillingErrorCode::UnknownMeter);
}

TEST_F(RatingTest, ReplacementMeterStartsANewBaseline) {
  const auto old = addMeter();
  processOne(reading(old, now, 700'000));
  EXPECT_EQ(processOne(reading(old, now + 1h, 700'100)).chargedFen, 100);
  // The new meter (new row, registers from zero) is never rated against the old one.
  const auto replacement = addMeter(MeterSetup().notOpen());
  must(write(
      [&](store::WriteTransaction& t) { return t.meters().setReplacedBy(old, replacement); }));
  openAccount(replacement);
  EXPECT_EQ(processOne(reading(replacement, now + 2h, 5)).outcome, ReadingOutcome::Baseline);
  EXPECT_EQ(processOne(reading(replacement, now + 3h, 105)).chargedFen, 100);
  EXPECT_EQ(balance(replacement), -100);
}

TEST_F(RatingTest, MeterNotOnAnOpenAccountIsNotBilledButItsBaselineMoves) {
  const auto m = addMeter(MeterSetup().notOpen());
  EXPECT_EQ(processOne(reading(m, now, 1000)).outcome, ReadingOutcome::NotBilled);
  EXPECT_EQ(processOne(reading(m, now + 1h, 5000)).outcome, ReadingOutcome::NotBilled);
  openAccount(m);
  // Only energy used after opening is charged.
  EXPECT_EQ(processOne(reading(m, now + 2h, 5100)).chargedFen, 100);
  EXPECT_EQ(balance(m), -100);
}

TEST_F(RatingTest, UnknownMetersFailAloneWithoutSpoilingTheBatch) {
  const auto m = addMeter();
  process({reading(m, now, 0)});
  auto summary = service->processReadings(
      std::vector{reading(m, now + 1h, 100), reading(m + 1000, now + 1h, 100)});
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->readings[0].chargedFen, 100);
  EXPECT_EQ(summary->readings[1].outcome, ReadingOutcome::Failed);
  ASSERT_TRUE(summary->readings[1].error);
  EXPECT_EQ(summary->readings[1].error->code, BillingErrorCode::UnknownMeter);
  EXPECT_EQ(summary->failures, 1);
}

}  // namespace
}  // namespace prepaid::backend::billing::testing
