#include "prepaid/domain/allocation.hpp"

#include <limits>
#include <numeric>

#include <gtest/gtest.h>

namespace prepaid::domain {
namespace {

std::vector<std::int64_t> split(std::int64_t total, std::vector<std::int64_t> weights) {
  auto parts = apportion(total, weights);
  EXPECT_TRUE(parts.has_value());
  return parts ? *parts : std::vector<std::int64_t>{};
}

TEST(Allocation, LargestRemainderWithEarliestTieBreak) {
  EXPECT_EQ(split(100, {1, 1, 1}), (std::vector<std::int64_t>{34, 33, 33}));
  EXPECT_EQ(split(1001, {5000, 3000, 2000}), (std::vector<std::int64_t>{501, 300, 200}));
  EXPECT_EQ(split(2, {1, 1, 1}), (std::vector<std::int64_t>{1, 1, 0}));
  EXPECT_EQ(split(10, {0, 3, 0, 7}), (std::vector<std::int64_t>{0, 3, 0, 7}));
  EXPECT_EQ(split(7, {5}), (std::vector<std::int64_t>{7}));
  // 0.6 / 0.4 of 1: the larger remainder wins even when it is later.
  EXPECT_EQ(split(1, {4, 6}), (std::vector<std::int64_t>{0, 1}));
}

TEST(Allocation, NegativeTotalsMirrorPositiveOnes) {
  EXPECT_EQ(split(-100, {1, 1, 1}), (std::vector<std::int64_t>{-34, -33, -33}));
  const auto min = std::numeric_limits<std::int64_t>::min();
  const auto parts = split(min, {1, 1});
  EXPECT_EQ(parts[0] + parts[1], min);
}

TEST(Allocation, HugeWeightsStillSumExactly) {
  const auto max = std::numeric_limits<std::int64_t>::max();
  const auto parts = split(max, {max, max, 1, max / 3});
  EXPECT_EQ(std::accumulate(parts.begin(), parts.end(), __extension__ static_cast<__int128>(0)),
            max);
}

TEST(Allocation, ManySharesUseTheSortedPath) {
  std::vector<std::int64_t> weights(1000, 1);
  const auto parts = split(1999, weights);
  EXPECT_EQ(std::accumulate(parts.begin(), parts.end(), std::int64_t{0}), 1999);
  EXPECT_EQ(parts.front(), 2);
  EXPECT_EQ(parts[998], 2);
  EXPECT_EQ(parts.back(), 1);
}

TEST(Allocation, RefusesBadWeights) {
  EXPECT_EQ(apportion(10, {}).error(), AllocationError::NoShares);
  EXPECT_EQ(apportion(10, std::vector<std::int64_t>{1, -1}).error(),
            AllocationError::NegativeWeight);
  EXPECT_EQ(apportion(10, std::vector<std::int64_t>{0, 0}).error(),
            AllocationError::ZeroTotalWeight);
  EXPECT_FALSE(describe(AllocationError::ZeroTotalWeight).empty());
}

TEST(Allocation, TypedMoneyAndEnergy) {
  const std::vector<std::int64_t> areas = {12'050, 8'000};  // 120.50 m², 80.00 m²
  const auto money = allocateMoney(Money::fromFen(10'000), areas);
  ASSERT_TRUE(money.has_value());
  EXPECT_EQ(money->at(0), Money::fromFen(6010));
  EXPECT_EQ(money->at(1), Money::fromFen(3990));
  const auto energy = allocateEnergy(Energy::fromCentiKwh(333), std::vector<std::int64_t>{1, 2});
  ASSERT_TRUE(energy.has_value());
  EXPECT_EQ(energy->at(0), Energy::fromCentiKwh(111));
  EXPECT_EQ(energy->at(1), Energy::fromCentiKwh(222));
}

}  // namespace
}  // namespace prepaid::domain
