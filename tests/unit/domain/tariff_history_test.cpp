#include "prepaid/domain/tariff_history.hpp"

#include <gtest/gtest.h>

namespace prepaid::domain {
namespace {

using namespace std::chrono_literals;

TEST(TariffHistory, VersionsStrictlyIncreaseAndAreValid) {
  const auto cheap = Tariff::flat(UnitPrice::fromMicroYuan(500'000));
  const auto dear = Tariff::flat(UnitPrice::fromMicroYuan(900'000));
  auto history = TariffHistory::create({{Instant(100s), cheap}, {Instant(200s), dear}});
  ASSERT_TRUE(history.has_value());
  EXPECT_EQ(history->versionAt(Instant(99s)), nullptr);
  EXPECT_EQ(history->versionAt(Instant(100s))->tariff, cheap);
  EXPECT_EQ(history->versionAt(Instant(199s))->tariff, cheap);
  EXPECT_EQ(history->versionAt(Instant(200s))->tariff, dear);
  EXPECT_EQ(history->versionAt(Instant(1'000'000s))->tariff, dear);

  EXPECT_EQ(history->with({Instant(200s), cheap}).error().code,
            TariffErrorCode::ConflictingVersions);
  EXPECT_EQ(history->with({Instant(300s), cheap})->versions().size(), 3U);
  EXPECT_EQ(TariffHistory::create({}).error().code, TariffErrorCode::ConflictingVersions);
  const auto invalid = TariffHistory::create({{Instant(100s), cheap}, {Instant(200s), Tariff{}}});
  ASSERT_FALSE(invalid.has_value());
  EXPECT_EQ(invalid.error().message, "version 2: a flat tariff needs the price of rate 'flat'");
}

}  // namespace
}  // namespace prepaid::domain
