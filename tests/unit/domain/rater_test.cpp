#include "prepaid/domain/rater.hpp"

#include "tariff_samples.hpp"
#include <gtest/gtest.h>

namespace prepaid::domain {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

const SiteTimeZone Shanghai{};

Instant local(year_month_day date, seconds sinceMidnight) {
  return Shanghai.instantAt(date, sinceMidnight);
}

Rater raterFor(Tariff tariff, Instant effectiveFrom = local(2024y / January / 1d, 0s)) {
  auto history = TariffHistory::create({TariffVersion{effectiveFrom, std::move(tariff)}});
  EXPECT_TRUE(history.has_value());
  return Rater(*history, Shanghai);
}

Consumption consumption(Instant start, Instant end, std::int64_t centi) {
  return Consumption{start, end, Energy::fromCentiKwh(centi), std::nullopt};
}

ChargeLine line(Rate rate, std::int64_t centi, std::int64_t microYuan, std::uint8_t tier = 0) {
  return ChargeLine{rate, tier, Energy::fromCentiKwh(centi), UnitPrice::fromMicroYuan(microYuan),
                    *PreciseMoney::ofEnergy(centi, UnitPrice::fromMicroYuan(microYuan))};
}

Tariff flatTiered(TierBasis basis) {
  Tariff tariff = Tariff::flat(UnitPrice::fromMicroYuan(500'000));
  tariff.tiering = Tiering{basis,
                           TierPricing::Surcharge,
                           {{Energy::zero(), UnitPrice::fromMicroYuan(0)},
                            {Energy::fromCentiKwh(20'000), UnitPrice::fromMicroYuan(50'000)},
                            {Energy::fromCentiKwh(40'000), UnitPrice::fromMicroYuan(300'000)}}};
  return tariff;
}

constexpr auto Oct15 = 2024y / October / 15d;  // a Tuesday in the "rest" season

TEST(Rater, FlatPostsWholeFenAndCarriesTheRest) {
  const auto rater = raterFor(Tariff::flat(UnitPrice::fromMicroYuan(853'200)));
  const auto result = rater.rate(consumption(local(Oct15, 10h), local(Oct15, 11h), 100), {});
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->lines, std::vector<ChargeLine>{line(Rate::Flat, 100, 853'200)});
  EXPECT_EQ(result->amount.nanoYuan(), 853'200'000);  // 85.32 fen
  EXPECT_EQ(result->postedFen, Money::fromFen(85));
  EXPECT_EQ(result->after.carry.remainderNanoYuan(), 3'200'000);
  EXPECT_EQ(result->after.usageMonth, 2024y / October);
  EXPECT_EQ(result->after.monthUsage, Energy::fromCentiKwh(100));
  EXPECT_EQ(result->split, EnergySplit::TimeProportional);
  // The next interval picks up the carried 0.32 fen: 85.32 + 85.32 = 170.64 -> 85 more fen.
  const auto next =
      rater.rate(consumption(local(Oct15, 11h), local(Oct15, 12h), 100), result->after);
  EXPECT_EQ(next->postedFen, Money::fromFen(85));
  EXPECT_EQ(next->after.carry.remainderNanoYuan(), 6'400'000);
}

TEST(Rater, TimeOfUseSplitsInProportionToTime) {
  const auto rater = raterFor(samples::touTariff());
  auto result = rater.rate(consumption(local(Oct15, 7h), local(Oct15, 9h), 200), {});
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->lines, (std::vector<ChargeLine>{line(Rate::Valley, 100, 300'000),
                                                    line(Rate::Peak, 100, 1'100'000)}));
  EXPECT_EQ(result->postedFen, Money::fromFen(140));
  // 1/3 : 2/3 of 1.00 kWh -> 33 and 67 (largest remainder).
  result = rater.rate(consumption(local(Oct15, 7h + 30min), local(Oct15, 9h), 100), {});
  EXPECT_EQ(result->lines, (std::vector<ChargeLine>{line(Rate::Valley, 33, 300'000),
                                                    line(Rate::Peak, 67, 1'100'000)}));
}

TEST(Rater, PerRateRegistersDecideTheRate) {
  const auto rater = raterFor(samples::touTariff());
  Consumption used = consumption(local(Oct15, 7h), local(Oct15, 9h), 200);
  used.perRate = {Energy::zero(), Energy::fromCentiKwh(150), Energy::zero(),
                  Energy::fromCentiKwh(50)};
  auto result = rater.rate(used, {});
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->split, EnergySplit::Registers);
  EXPECT_EQ(result->lines, (std::vector<ChargeLine>{line(Rate::Valley, 50, 300'000),
                                                    line(Rate::Peak, 150, 1'100'000)}));
  // Sharp energy where our schedule has no sharp period: still charged as sharp, spread in time.
  used.perRate = {Energy::fromCentiKwh(20), Energy::zero(), Energy::zero(),
                  Energy::fromCentiKwh(180)};
  result = rater.rate(used, {});
  EXPECT_EQ(result->lines, (std::vector<ChargeLine>{line(Rate::Sharp, 20, 1'500'000),
                                                    line(Rate::Valley, 180, 300'000)}));
  // Registers that do not add up to the total: the total wins, split by the registers.
  used.total = Energy::fromCentiKwh(201);
  used.perRate = {Energy::zero(), Energy::fromCentiKwh(100), Energy::zero(),
                  Energy::fromCentiKwh(100)};
  result = rater.rate(used, {});
  EXPECT_EQ(result->energy, Energy::fromCentiKwh(201));
  EXPECT_EQ(result->lines, (std::vector<ChargeLine>{line(Rate::Valley, 100, 300'000),
                                                    line(Rate::Peak, 101, 1'100'000)}));
}

TEST(Rater, FlatTariffIgnoresRegisters) {
  const auto rater = raterFor(Tariff::flat(UnitPrice::fromMicroYuan(600'000)));
  Consumption used = consumption(local(Oct15, 7h), local(Oct15, 9h), 200);
  used.perRate = {Energy::zero(), Energy::fromCentiKwh(150), Energy::zero(),
                  Energy::fromCentiKwh(50)};
  const auto result = rater.rate(used, {});
  EXPECT_EQ(result->split, EnergySplit::TimeProportional);
  EXPECT_EQ(result->lines, std::vector<ChargeLine>{line(Rate::Flat, 200, 600'000)});
}

TEST(Rater, PriceChangeAppliesOnlyFromItsEffectiveTime) {
  auto history = TariffHistory::create(
      {TariffVersion{local(2024y / January / 1d, 0s),
                     Tariff::flat(UnitPrice::fromMicroYuan(500'000))},
       TariffVersion{local(Oct15, 12h), Tariff::flat(UnitPrice::fromMicroYuan(1'000'000))}});
  ASSERT_TRUE(history.has_value());
  const Rater rater(*history, Shanghai);
  const auto result = rater.rate(consumption(local(Oct15, 11h), local(Oct15, 13h), 200), {});
  EXPECT_EQ(result->lines, (std::vector<ChargeLine>{line(Rate::Flat, 100, 500'000),
                                                    line(Rate::Flat, 100, 1'000'000)}));
  EXPECT_EQ(result->postedFen, Money::fromFen(150));
  // Entirely before the change: old price only.
  const auto before = rater.rate(consumption(local(Oct15, 10h), local(Oct15, 12h), 200), {});
  EXPECT_EQ(before->lines, std::vector<ChargeLine>{line(Rate::Flat, 200, 500'000)});
}

TEST(Rater, TierThresholdIsCrossedExactly) {
  const auto rater = raterFor(flatTiered(TierBasis::Monthly));
  MeterRatingState state;
  state.usageMonth = 2024y / October;
  state.monthUsage = Energy::fromCentiKwh(19'950);
  state.yearUsage = Energy::fromCentiKwh(100'000);
  const auto result = rater.rate(consumption(local(Oct15, 11h), local(Oct15, 12h), 100), state);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->lines, (std::vector<ChargeLine>{line(Rate::Flat, 50, 500'000, 0),
                                                    line(Rate::Flat, 50, 550'000, 1)}));
  EXPECT_EQ(result->postedFen, Money::fromFen(52));  // 25 + 27.5 fen
  EXPECT_EQ(result->after.carry.remainderNanoYuan(), 5'000'000);
  EXPECT_EQ(result->after.monthUsage, Energy::fromCentiKwh(20'050));
  EXPECT_EQ(result->after.yearUsage, Energy::fromCentiKwh(100'100));
}

TEST(Rater, MonthlyCountersResetAtLocalMonthStart) {
  const auto rater = raterFor(flatTiered(TierBasis::Monthly));
  MeterRatingState state;
  state.usageMonth = 2024y / September;
  state.monthUsage = Energy::fromCentiKwh(45'000);
  state.yearUsage = Energy::fromCentiKwh(200'000);
  const auto result = rater.rate(
      consumption(local(2024y / September / 30d, 23h), local(2024y / October / 1d, 1h), 200),
      state);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->lines, (std::vector<ChargeLine>{line(Rate::Flat, 100, 800'000, 2),
                                                    line(Rate::Flat, 100, 500'000, 0)}));
  EXPECT_EQ(result->after.usageMonth, 2024y / October);
  EXPECT_EQ(result->after.monthUsage, Energy::fromCentiKwh(100));
  EXPECT_EQ(result->after.yearUsage, Energy::fromCentiKwh(200'200));
}

TEST(Rater, YearlyCountersResetAtLocalNewYear) {
  const auto rater = raterFor(flatTiered(TierBasis::Yearly), local(2023y / January / 1d, 0s));
  MeterRatingState state;
  state.usageMonth = 2023y / December;
  state.monthUsage = Energy::fromCentiKwh(1'000);
  state.yearUsage = Energy::fromCentiKwh(39'900);
  const auto result = rater.rate(
      consumption(local(2023y / December / 31d, 22h), local(2024y / January / 1d, 2h), 400), state);
  ASSERT_TRUE(result.has_value());
  // 200 in 2023 (100 at tier 2 from 39900, 100 at tier 3), 200 in 2024 at tier 1.
  EXPECT_EQ(result->lines, (std::vector<ChargeLine>{line(Rate::Flat, 100, 550'000, 1),
                                                    line(Rate::Flat, 100, 800'000, 2),
                                                    line(Rate::Flat, 200, 500'000, 0)}));
  EXPECT_EQ(result->after.yearUsage, Energy::fromCentiKwh(200));
  EXPECT_EQ(result->after.usageMonth, 2024y / January);
}

TEST(Rater, TimeOfUseWithTierSurcharges) {
  const auto rater = raterFor(samples::touTieredTariff());
  MeterRatingState state;
  state.usageMonth = 2024y / October;
  state.monthUsage = Energy::fromCentiKwh(19'900);
  const auto result = rater.rate(consumption(local(Oct15, 7h), local(Oct15, 9h), 200), state);
  // Valley 07-08 takes 100 up to the threshold (19900 -> 20000), peak 08-09 is all above it.
  EXPECT_EQ(result->lines, (std::vector<ChargeLine>{line(Rate::Valley, 100, 300'000, 0),
                                                    line(Rate::Peak, 100, 1'150'000, 1)}));
}

TEST(Rater, DayTypesFollowTheCalendar) {
  auto tariff = samples::touTariff();
  tariff.calendar =
      HolidayCalendar({2024y / August / 15d, 2024y / October / 1d}, {2024y / September / 29d});
  const auto rater = raterFor(tariff);
  const auto ratesOf = [&](year_month_day date) {
    std::vector<Rate> rates;
    const auto spans = rater.splitByRate(local(date, 0s), local(date, 24h));
    EXPECT_TRUE(spans.has_value());
    for (const auto& span : spans.value()) {
      rates.push_back(span.rate);
    }
    return rates;
  };
  const std::vector<Rate> summerWorkday = {Rate::Valley, Rate::Peak, Rate::Sharp, Rate::Peak,
                                           Rate::Flat,   Rate::Peak, Rate::Flat,  Rate::Valley};
  EXPECT_EQ(ratesOf(2024y / September / 27d), summerWorkday);            // Friday
  EXPECT_EQ(ratesOf(2024y / September / 28d), std::vector{Rate::Flat});  // Saturday
  EXPECT_EQ(ratesOf(2024y / September / 29d), summerWorkday);            // Sunday, make-up workday
  EXPECT_EQ(ratesOf(2024y / August / 15d), std::vector{Rate::Valley});   // summer holiday
  EXPECT_EQ(ratesOf(2024y / October / 1d), std::vector{Rate::Flat});     // no holiday schedule
}

TEST(Rater, SplitByRateSpansAreExact) {
  const auto rater = raterFor(samples::touTariff());
  const auto spans = rater.splitByRate(local(Oct15, 7h + 59min + 30s), local(Oct15, 11h + 1s));
  ASSERT_TRUE(spans.has_value());
  EXPECT_EQ(*spans, (std::vector<RateSpan>{
                        {local(Oct15, 7h + 59min + 30s), local(Oct15, 8h), Rate::Valley, 0},
                        {local(Oct15, 8h), local(Oct15, 11h), Rate::Peak, 0},
                        {local(Oct15, 11h), local(Oct15, 11h + 1s), Rate::Flat, 0}}));
}

TEST(Rater, UnitPricesIncludeTheCurrentTier) {
  const auto rater = raterFor(samples::touTieredTariff());
  MeterRatingState state;
  state.usageMonth = 2024y / October;
  state.monthUsage = Energy::fromCentiKwh(30'000);
  auto prices = rater.unitPricesAt(local(Oct15, 12h), state);
  ASSERT_TRUE(prices.has_value());
  EXPECT_EQ(prices->at(indexOf(Rate::Peak)), UnitPrice::fromMicroYuan(1'150'000));
  EXPECT_EQ(prices->at(indexOf(Rate::Valley)), UnitPrice::fromMicroYuan(350'000));
  // Next month the counters have reset.
  prices = rater.unitPricesAt(local(2024y / November / 2d, 12h), state);
  EXPECT_EQ(prices->at(indexOf(Rate::Peak)), UnitPrice::fromMicroYuan(1'100'000));
  const auto flat = raterFor(Tariff::flat(UnitPrice::fromMicroYuan(1)));
  prices = flat.unitPricesAt(local(Oct15, 12h), {});
  EXPECT_EQ(prices->at(indexOf(Rate::Flat)), UnitPrice::fromMicroYuan(1));
  EXPECT_EQ(prices->at(indexOf(Rate::Peak)), std::nullopt);
  EXPECT_EQ(flat.unitPricesAt(local(2023y / January / 1d, 0s), {}).error().code,
            RatingErrorCode::NoTariffInEffect);
}

TEST(Rater, RefusesBadIntervals) {
  const auto rater = raterFor(flatTiered(TierBasis::Monthly));
  const auto codeOf = [&](const Consumption& used, const MeterRatingState& state) {
    const auto result = rater.rate(used, state);
    EXPECT_FALSE(result.has_value());
    return result ? RatingErrorCode::Overflow : result.error().code;
  };
  EXPECT_EQ(codeOf(consumption(local(2023y / December / 31d, 23h), local(Oct15, 0s), 1), {}),
            RatingErrorCode::NoTariffInEffect);
  EXPECT_EQ(codeOf(consumption(local(Oct15, 2h), local(Oct15, 1h), 1), {}),
            RatingErrorCode::EndBeforeStart);
  EXPECT_EQ(codeOf(consumption(local(Oct15, 2h), local(Oct15, 2h), 1), {}),
            RatingErrorCode::EnergyWithoutTime);
  EXPECT_EQ(codeOf(consumption(local(Oct15, 2h), local(Oct15, 3h), -1), {}),
            RatingErrorCode::NegativeEnergy);
  EXPECT_EQ(
      codeOf(consumption(local(2024y / January / 1d, 0s), local(2025y / March / 1d, 0s), 1), {}),
      RatingErrorCode::IntervalTooLong);
  MeterRatingState later;
  later.usageMonth = 2024y / November;
  EXPECT_EQ(codeOf(consumption(local(Oct15, 2h), local(Oct15, 3h), 1), later),
            RatingErrorCode::OutOfOrder);
  EXPECT_EQ(codeOf(consumption(local(Oct15, 2h), local(Oct15, 3h), std::int64_t{1} << 62), {}),
            RatingErrorCode::Overflow);
  MeterRatingState corrupt;
  corrupt.monthUsage = Energy::fromCentiKwh(-1);
  EXPECT_EQ(codeOf(consumption(local(Oct15, 2h), local(Oct15, 3h), 1), corrupt),
            RatingErrorCode::NegativeEnergy);
  // Zero energy and zero length are fine and change nothing.
  const auto nothing = rater.rate(consumption(local(Oct15, 2h), local(Oct15, 3h), 0), later);
  ASSERT_TRUE(nothing.has_value());
  EXPECT_TRUE(nothing->lines.empty());
  EXPECT_EQ(nothing->after, later);
}

TEST(Rater, RatesReadingsIncludingRolloverAndReplacement) {
  const auto rater = raterFor(Tariff::flat(UnitPrice::fromMicroYuan(1'000'000)));
  const MeterReading previous{local(Oct15, 10h), 7, Energy::fromCentiKwh(99'999'990), std::nullopt};
  MeterReading current{local(Oct15, 11h), 7, Energy::fromCentiKwh(10), std::nullopt};
  auto result = rater.rateReadings(previous, current, {});
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->energy, Energy::fromCentiKwh(20));
  EXPECT_EQ(result->postedFen, Money::fromFen(20));
  current.installation = 8;
  result = rater.rateReadings(previous, current, {});
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->lines.empty());
  EXPECT_EQ(result->postedFen, Money::zero());
  current = MeterReading{local(Oct15, 11h), 7, Energy::fromCentiKwh(50'000'000), std::nullopt};
  result = rater.rateReadings(previous, current, {});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, RatingErrorCode::RegisterAnomaly);
  EXPECT_EQ(result.error().message, "total register went backwards: 999999.90 -> 500000.00");
}

}  // namespace
}  // namespace prepaid::domain
