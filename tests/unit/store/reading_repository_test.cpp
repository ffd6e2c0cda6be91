// ReadingRepository: readings stored in batches, roll-ups per site-local hour/day/month.

#include <random>

#include "store_fixture.hpp"

namespace prepaid::store::testing {
namespace {

using domain::Rate;

class ReadingRepositoryTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    meter = addMeter("M1", addGateway("G1"));
  }

  Reading reading(domain::Instant at, std::int64_t total, RateEnergies rates = {}) {
    Reading r;
    r.meterId = meter;
    r.readAt = at;
    r.energyTotalCentiKwh = total;
    r.energyByRateCentiKwh = rates;
    return r;
  }

  std::vector<Rollup> rollups(Granularity g) {
    auto result = rd([&](const ReadTransaction& t) {
      return t.readings().rollups(meter, g, utc(2000, 1, 1), utc(2100, 1, 1));
    });
    EXPECT_TRUE(result) << result.error().message;
    return result.value_or(std::vector<Rollup>{});
  }

  MeterId meter = 0;
};

TEST_F(ReadingRepositoryTest, RollupsFollowSiteLocalHourDayAndMonthBoundaries) {
  // Site default UTC+8. Times below are UTC; comments give local time.
  const auto r0 = reading(utc(2024, 1, 31, 15, 30), 1000, {0, 0, 1000, 0});    // Jan 31 23:30
  const auto r1 = reading(utc(2024, 1, 31, 15, 50), 1100, {0, 0, 1100, 0});    // Jan 31 23:50
  const auto r2 = reading(utc(2024, 1, 31, 16, 10), 1250, {0, 0, 1100, 150});  // Feb 1 00:10
  const auto r3 = reading(utc(2024, 2, 1, 1, 0), 1450, {0, 200, 1100, 150});   // Feb 1 09:00
  // Out of order inside one batch: the store orders per meter by time.
  auto first = store->writeReadings({r2, r0, r1});
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->written, 3);
  ASSERT_TRUE(store->writeReadings({r3}));

  const auto hours = rollups(Granularity::Hour);
  ASSERT_EQ(hours.size(), 3U);
  EXPECT_EQ(hours[0].periodStart, utc(2024, 1, 31, 15));  // Jan 31 23:00 local
  EXPECT_EQ(hours[0].energyTotalCentiKwh, 100);
  EXPECT_EQ(hours[0].energyByRateCentiKwh[domain::indexOf(Rate::Flat)], 100);
  EXPECT_EQ(hours[0].readingCount, 2);
  EXPECT_EQ(hours[1].periodStart, utc(2024, 1, 31, 16));  // Feb 1 00:00 local
  EXPECT_EQ(hours[1].energyTotalCentiKwh, 150);
  EXPECT_EQ(hours[1].energyByRateCentiKwh[domain::indexOf(Rate::Valley)], 150);
  EXPECT_EQ(hours[2].periodStart, utc(2024, 2, 1, 1));  // Feb 1 09:00 local
  EXPECT_EQ(hours[2].energyByRateCentiKwh[domain::indexOf(Rate::Peak)], 200);

  const auto days = rollups(Granularity::Day);
  ASSERT_EQ(days.size(), 2U);
  EXPECT_EQ(days[0].periodStart, utc(2024, 1, 30, 16));  // Jan 31 00:00 local
  EXPECT_EQ(days[0].energyTotalCentiKwh, 100);
  EXPECT_EQ(days[1].periodStart, utc(2024, 1, 31, 16));  // Feb 1 00:00 local
  EXPECT_EQ(days[1].energyTotalCentiKwh, 350);
  EXPECT_EQ(days[1].readingCount, 2);

  const auto months = rollups(Granularity::Month);
  ASSERT_EQ(months.size(), 2U);
  EXPECT_EQ(months[0].periodStart, utc(2023, 12, 31, 16));  // Jan 1 00:00 local
  EXPECT_EQ(months[0].energyTotalCentiKwh, 100);
  EXPECT_EQ(months[1].periodStart, utc(2024, 1, 31, 16));  // Feb 1 00:00 local
  EXPECT_EQ(months[1].energyTotalCentiKwh, 350);
}

TEST_F(ReadingRepositoryTest, MonthBoundaryAtYearEndAndLeapDay) {
  ASSERT_TRUE(store->writeReadings({reading(utc(2024, 2, 28, 15, 59), 0),       // Feb 28 23:59
                                    reading(utc(2024, 2, 28, 16, 1), 10),       // Feb 29 00:01
                                    reading(utc(2024, 2, 29, 16, 1), 30),       // Mar 1 00:01
                                    reading(utc(2024, 12, 31, 15, 59), 40),     // Dec 31 23:59
                                    reading(utc(2024, 12, 31, 16, 0), 100)}));  // Jan 1 00:00
  const auto months = rollups(Granularity::Month);
  ASSERT_EQ(months.size(), 4U);
  EXPECT_EQ(months[0].periodStart, utc(2024, 1, 31, 16));  // Feb
  EXPECT_EQ(months[0].energyTotalCentiKwh, 10);
  EXPECT_EQ(months[1].periodStart, utc(2024, 2, 29, 16));  // Mar
  EXPECT_EQ(months[1].energyTotalCentiKwh, 20);
  EXPECT_EQ(months[2].periodStart, utc(2024, 11, 30, 16));  // Dec
  EXPECT_EQ(months[2].energyTotalCentiKwh, 10);
  EXPECT_EQ(months[3].periodStart, utc(2024, 12, 31, 16));  // Jan 2025
  EXPECT_EQ(months[3].energyTotalCentiKwh, 60);
  const auto days = rollups(Granularity::Day);
  EXPECT_EQ(days[1].periodStart, utc(2024, 2, 28, 16));  // Feb 29 exists in 2024
}

TEST_F(ReadingRepositoryTest, BucketsFollowTheConfiguredSiteOffset) {
  ASSERT_TRUE(tx([&](WriteTransaction& t) {
    return t.site().updateSite(Site{"UTC site", domain::SiteTimeZone{std::chrono::minutes(0)}});
  }));
  ASSERT_TRUE(store->writeReadings(
      {reading(utc(2024, 1, 31, 15, 30), 0), reading(utc(2024, 1, 31, 16, 10), 50)}));
  const auto days = rollups(Granularity::Day);
  ASSERT_EQ(days.size(), 1U);
  EXPECT_EQ(days[0].periodStart, utc(2024, 1, 31));
  EXPECT_EQ(days[0].energyTotalCentiKwh, 50);
}

TEST_F(ReadingRepositoryTest, StaleAndDuplicateReadingsAreSkippedAndCounted) {
  ASSERT_TRUE(store->writeReadings({reading(utc(2024, 3, 1, 1), 100)}));
  auto result =
      store->writeReadings({reading(utc(2024, 3, 1, 1), 100), reading(utc(2024, 3, 1, 0), 50),
                            reading(utc(2024, 3, 1, 2), 130)});
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->written, 1);
  EXPECT_EQ(result->stale, 2);
  const auto days = rollups(Granularity::Day);
  ASSERT_EQ(days.size(), 1U);
  EXPECT_EQ(days[0].energyTotalCentiKwh, 30);
  EXPECT_EQ(days[0].readingCount, 2);
}

TEST_F(ReadingRepositoryTest, CounterGoingBackwardsCountsAsZero) {
  ASSERT_TRUE(store->writeReadings({reading(utc(2024, 3, 1, 1), 5000),
                                    reading(utc(2024, 3, 1, 2), 10),  // meter replaced/reset
                                    reading(utc(2024, 3, 1, 3), 25)}));
  const auto days = rollups(Granularity::Day);
  ASSERT_EQ(days.size(), 1U);
  EXPECT_EQ(days[0].energyTotalCentiKwh, 15);
}

TEST_F(ReadingRepositoryTest, AllFieldsRoundTripAndLatestIsNewest) {
  Reading r = reading(utc(2024, 3, 1, 1), 123456, {1, 2, 3, 4});
  r.voltageDeciV = 2201;
  r.currentMilliA = 1500;
  r.powerW = 330;
  r.balanceFen = -120;
  r.purchaseCount = 9;
  r.relay = domain::RelayState::Open;
  r.statusBits = 0x41;
  ASSERT_TRUE(store->writeReadings({reading(utc(2024, 3, 1, 0), 100000), r}));
  auto latest = rd([&](const ReadTransaction& t) { return t.readings().latest(meter); });
  ASSERT_TRUE(latest && *latest);
  const Reading& got = **latest;
  EXPECT_GT(got.id, 0);
  EXPECT_EQ(got.readAt, r.readAt);
  EXPECT_EQ(got.energyTotalCentiKwh, 123456);
  EXPECT_EQ(got.energyByRateCentiKwh, (RateEnergies{1, 2, 3, 4}));
  EXPECT_EQ(got.voltageDeciV, 2201);
  EXPECT_EQ(got.currentMilliA, 1500);
  EXPECT_EQ(got.powerW, 330);
  EXPECT_EQ(got.balanceFen, -120);
  EXPECT_EQ(got.purchaseCount, 9);
  EXPECT_EQ(got.relay, domain::RelayState::Open);
  EXPECT_EQ(got.statusBits, 0x41);
  auto range = rd([&](const ReadTransaction& t) {
    return t.readings().readings(meter, utc(2024, 3, 1), utc(2024, 3, 2), 1);
  });
  ASSERT_TRUE(range);
  ASSERT_EQ(range->size(), 1U);  // limit
  EXPECT_EQ((*range)[0].energyTotalCentiKwh, 100000);
  EXPECT_FALSE(
      rd([&](const ReadTransaction& t) { return t.readings().latest(4242); })->has_value());
}

TEST_F(ReadingRepositoryTest, UnknownMeterFailsTheWholeBatch) {
  Reading bad = reading(utc(2024, 3, 1, 1), 1);
  bad.meterId = 4242;
  auto result = store->writeReadings({reading(utc(2024, 3, 1, 0), 1), bad});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, StoreErrorCode::Constraint);
  EXPECT_FALSE(
      rd([&](const ReadTransaction& t) { return t.readings().latest(meter); })->has_value());
}

TEST_F(ReadingRepositoryTest, IncrementalRollupsAddUpToTheRegisterDifference) {
  // Property-style: random monotonic readings over ~3 months in random batches; every level of
  // roll-up must sum to last - first, and hours must nest inside days inside months.
  std::mt19937_64 random(20240301);
  std::vector<Reading> all;
  auto at = utc(2024, 1, 30, 10);
  std::int64_t total = 0;
  for (int i = 0; i < 600; ++i) {
    at += std::chrono::seconds(std::uniform_int_distribution<int>(60, 6 * 3600)(random));
    total += std::uniform_int_distribution<int>(0, 500)(random);
    all.push_back(reading(at, total));
  }
  std::size_t next = 0;
  while (next < all.size()) {
    const auto size = std::min<std::size_t>(
        all.size() - next, std::uniform_int_distribution<std::size_t>(1, 50)(random));
    std::vector<Reading> batch(all.begin() + static_cast<std::ptrdiff_t>(next),
                               all.begin() + static_cast<std::ptrdiff_t>(next + size));
    std::shuffle(batch.begin(), batch.end(), random);
    ASSERT_TRUE(store->writeReadings(batch));
    next += size;
  }
  const std::int64_t expected = all.back().energyTotalCentiKwh - all.front().energyTotalCentiKwh;
  for (const auto g : {Granularity::Hour, Granularity::Day, Granularity::Month}) {
    std::int64_t sum = 0;
    std::int64_t count = 0;
    for (const auto& r : rollups(g)) {
      sum += r.energyTotalCentiKwh;
      count += r.readingCount;
    }
    EXPECT_EQ(sum, expected);
    EXPECT_EQ(count, 600);
  }
  const domain::SiteTimeZone zone;
  for (const auto& hour : rollups(Granularity::Hour)) {
    EXPECT_EQ(zone.secondsOfDay(hour.periodStart).count() % 3600, 0);
  }
  for (const auto& month : rollups(Granularity::Month)) {
    EXPECT_EQ(zone.localDate(month.periodStart).day(), std::chrono::day(1));
    EXPECT_EQ(zone.secondsOfDay(month.periodStart).count(), 0);
  }
}

}  // namespace
}  // namespace prepaid::store::testing
