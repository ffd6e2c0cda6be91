#include "prepaid/domain/tariff.hpp"

#include "tariff_samples.hpp"
#include <gtest/gtest.h>

namespace prepaid::domain {
namespace {

using samples::hm;

TariffErrorCode codeOf(const Tariff& tariff) {
  const auto result = validateTariff(tariff);
  EXPECT_FALSE(result.has_value());
  return result ? TariffErrorCode::Syntax : result.error().code;
}

std::string messageOf(const Tariff& tariff) {
  const auto result = validateTariff(tariff);
  return result ? std::string("valid") : result.error().message;
}

TEST(Tariff, SamplesAreValid) {
  EXPECT_TRUE(validateTariff(Tariff::flat(UnitPrice::fromMicroYuan(853'200))).has_value());
  EXPECT_TRUE(validateTariff(samples::touTariff()).has_value());
  EXPECT_TRUE(validateTariff(samples::touTieredTariff()).has_value());
}

TEST(Tariff, FlatNeedsAFlatPriceAndNoSeasons) {
  Tariff tariff;
  EXPECT_EQ(codeOf(tariff), TariffErrorCode::MissingPrice);
  tariff = Tariff::flat(UnitPrice::fromMicroYuan(-1));
  EXPECT_EQ(codeOf(tariff), TariffErrorCode::NegativePrice);
  EXPECT_EQ(messageOf(tariff), "price of rate 'flat' is negative");
  tariff = Tariff::flat(UnitPrice::fromMicroYuan(1));
  tariff.seasons.emplace_back();
  EXPECT_EQ(codeOf(tariff), TariffErrorCode::InvalidSeason);
}

TEST(Tariff, PeriodsMustTileTheDay) {
  auto tariff = samples::touTariff();
  tariff.seasons[0].workday.periods[1].endMinute = hm(10);  // 10:00-11:00 uncovered
  EXPECT_EQ(codeOf(tariff), TariffErrorCode::GappedPeriods);
  EXPECT_EQ(messageOf(tariff), "season 1 workday: 10:00-11:00 is not covered by any period");

  tariff = samples::touTariff();
  tariff.seasons[1].workday.periods[0].endMinute = hm(9);
  EXPECT_EQ(codeOf(tariff), TariffErrorCode::OverlappingPeriods);
  EXPECT_EQ(messageOf(tariff),
            "season 2 workday: period 08:00-11:00 peak overlaps 00:00-09:00 valley");

  tariff = samples::touTariff();
  tariff.seasons[1].weekend->periods[0].endMinute = hm(23);
  EXPECT_EQ(messageOf(tariff), "season 2 weekend: 23:00-24:00 is not covered by any period");

  tariff = samples::touTariff();
  tariff.seasons[0].holiday->periods[0] = {hm(5), hm(5), Rate::Valley};
  EXPECT_EQ(codeOf(tariff), TariffErrorCode::InvalidPeriod);

  tariff = samples::touTariff();
  tariff.seasons[0].workday.periods.clear();
  EXPECT_EQ(codeOf(tariff), TariffErrorCode::GappedPeriods);
}

TEST(Tariff, AtMostFourteenPeriods) {
  auto tariff = samples::touTariff();
  auto& periods = tariff.seasons[0].workday.periods;
  periods.clear();
  for (std::int32_t i = 0; i < 14; ++i) {
    periods.push_back({i * 60, i == 13 ? hm(24) : (i + 1) * 60, Rate::Flat});
  }
  EXPECT_TRUE(validateTariff(tariff).has_value());
  periods.back().endMinute = hm(14);
  periods.push_back({hm(14), hm(24), Rate::Peak});
  EXPECT_EQ(codeOf(tariff), TariffErrorCode::TooManyPeriods);
  EXPECT_EQ(messageOf(tariff), "season 1 workday: 15 periods, at most 14 allowed");
}

TEST(Tariff, RateWithoutAPriceIsUnknown) {
  auto tariff = samples::touTariff();
  tariff.prices.at(indexOf(Rate::Sharp)).reset();
  EXPECT_EQ(codeOf(tariff), TariffErrorCode::UnknownRate);
  EXPECT_EQ(messageOf(tariff),
            "season 1 workday: period 11:00-13:00 sharp uses rate 'sharp' which has no price");
}

TEST(Tariff, SeasonsCoverTheYearOnce) {
  auto tariff = samples::touTariff();
  tariff.seasons[1].last = std::chrono::June / 29;
  EXPECT_EQ(codeOf(tariff), TariffErrorCode::GappedSeasons);
  EXPECT_EQ(messageOf(tariff), "06-30 is in no season");
  tariff = samples::touTariff();
  tariff.seasons[1].first = std::chrono::September / 30;
  EXPECT_EQ(codeOf(tariff), TariffErrorCode::OverlappingSeasons);
  EXPECT_EQ(messageOf(tariff), "09-30 is in more than one season");
  tariff = samples::touTariff();
  tariff.seasons.push_back(tariff.seasons[0]);
  EXPECT_EQ(codeOf(tariff), TariffErrorCode::InvalidSeason);
  tariff.seasons.clear();
  EXPECT_EQ(codeOf(tariff), TariffErrorCode::InvalidSeason);
  tariff = samples::touTariff();
  tariff.seasons = {tariff.seasons[0]};
  tariff.seasons[0].first = std::chrono::January / 1;
  tariff.seasons[0].last = std::chrono::December / 31;
  EXPECT_TRUE(validateTariff(tariff).has_value());
  tariff.seasons[0].last = std::chrono::February / 30;
  EXPECT_EQ(codeOf(tariff), TariffErrorCode::InvalidSeason);
}

TEST(Tariff, TiersIncreaseFromZeroWithNonNegativePrices) {
  auto tariff = samples::touTieredTariff();
  tariff.tiering->tiers[2].from = Energy::fromCentiKwh(20'000);
  EXPECT_EQ(codeOf(tariff), TariffErrorCode::TiersNotIncreasing);
  EXPECT_EQ(messageOf(tariff), "tier 3 starts at 20000 (0.01 units), not above tier 2 at 20000");
  tariff = samples::touTieredTariff();
  tariff.tiering->tiers[0].from = Energy::fromCentiKwh(1);
  EXPECT_EQ(codeOf(tariff), TariffErrorCode::InvalidTiers);
  tariff = samples::touTieredTariff();
  tariff.tiering->tiers[1].price = UnitPrice::fromMicroYuan(-5);
  EXPECT_EQ(codeOf(tariff), TariffErrorCode::NegativePrice);
  tariff = samples::touTieredTariff();
  tariff.tiering->tiers.clear();
  EXPECT_EQ(codeOf(tariff), TariffErrorCode::InvalidTiers);
  tariff = samples::touTieredTariff();
  tariff.tiering->pricing = TierPricing::StepPrice;
  EXPECT_EQ(codeOf(tariff), TariffErrorCode::InvalidTiers);
}

TEST(Tariff, FlatStepPricesNeedNoBasePrice) {
  Tariff tariff;
  tariff.tiering = Tiering{TierBasis::Yearly,
                           TierPricing::StepPrice,
                           {{Energy::zero(), UnitPrice::fromMicroYuan(600'000)},
                            {Energy::fromCentiKwh(100), UnitPrice::fromMicroYuan(900'000)}}};
  EXPECT_TRUE(validateTariff(tariff).has_value());
}

}  // namespace
}  // namespace prepaid::domain
