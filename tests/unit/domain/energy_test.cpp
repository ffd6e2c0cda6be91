#include "prepaid/domain/energy.hpp"

#include <limits>

#include <gtest/gtest.h>

namespace prepaid::domain {
namespace {

TEST(Energy, AddsAndSubtractsExactly) {
  EXPECT_EQ(Energy::fromCentiKwh(99999999).plus(Energy::fromCentiKwh(1))->centiKwh(), 100000000);
  EXPECT_EQ(Energy::fromCentiKwh(10).minus(Energy::fromCentiKwh(25))->centiKwh(), -15);
}

TEST(Energy, OverflowIsAnError) {
  const auto max = Energy::fromCentiKwh(std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(max.plus(Energy::fromCentiKwh(1)).error(), ArithmeticError::Overflow);
}

}  // namespace
}  // namespace prepaid::domain
