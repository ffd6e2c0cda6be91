#include "prepaid/domain/money.hpp"

#include <limits>

#include <gtest/gtest.h>

namespace prepaid::domain {
namespace {

TEST(Money, AddsAndSubtractsExactly) {
  const auto sum = Money::fromFen(12345).plus(Money::fromFen(-45));
  ASSERT_TRUE(sum.has_value());
  EXPECT_EQ(sum->fen(), 12300);
  const auto difference = Money::fromFen(100).minus(Money::fromFen(250));
  ASSERT_TRUE(difference.has_value());
  EXPECT_EQ(difference->fen(), -150);
}

TEST(Money, OverflowIsAnErrorNotAWrap) {
  const auto max = Money::fromFen(std::numeric_limits<std::int64_t>::max());
  const auto min = Money::fromFen(std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(max.plus(Money::fromFen(1)).error(), ArithmeticError::Overflow);
  EXPECT_EQ(min.minus(Money::fromFen(1)).error(), ArithmeticError::Overflow);
  EXPECT_EQ(min.negated().error(), ArithmeticError::Overflow);
  EXPECT_EQ(max.negated()->fen(), -std::numeric_limits<std::int64_t>::max());
}

TEST(Money, OrdersByAmount) {
  EXPECT_LT(Money::fromFen(-1), Money::zero());
  EXPECT_EQ(Money::fromFen(5), Money::fromFen(5));
}

}  // namespace
}  // namespace prepaid::domain
