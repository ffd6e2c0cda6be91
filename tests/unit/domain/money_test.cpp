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

namespace prepaid::domain {
namespace {

TEST(DivideRounded, EachModeOnPositiveAndNegativeHalves) {
  struct Case {
    std::int64_t numerator;
    RoundingMode mode;
    std::int64_t expected;
  };
  const Case cases[] = {
      {25, RoundingMode::Floor, 2},      {-25, RoundingMode::Floor, -3},
      {25, RoundingMode::Ceiling, 3},    {-25, RoundingMode::Ceiling, -2},
      {25, RoundingMode::TowardZero, 2}, {-25, RoundingMode::TowardZero, -2},
      {25, RoundingMode::HalfUp, 3},     {-25, RoundingMode::HalfUp, -3},
      {24, RoundingMode::HalfUp, 2},     {26, RoundingMode::HalfUp, 3},
      {25, RoundingMode::HalfEven, 2},   {35, RoundingMode::HalfEven, 4},
      {-25, RoundingMode::HalfEven, -2}, {-35, RoundingMode::HalfEven, -4},
      {30, RoundingMode::HalfEven, 3},   {-30, RoundingMode::Floor, -3},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(divideRounded(c.numerator, 10, c.mode), c.expected)
        << c.numerator << " mode " << static_cast<int>(c.mode);
  }
  const auto min = std::numeric_limits<std::int64_t>::min();
  EXPECT_EQ(divideRounded(min, 1, RoundingMode::HalfUp), min);
  EXPECT_EQ(divideRounded(min, 2, RoundingMode::Floor), min / 2);
}

TEST(PreciseMoney, EnergyTimesPriceIsExact) {
  // 0.01 kWh at 0.853201 yuan/kWh = 0.00853201 yuan = 8532010 nano-yuan.
  EXPECT_EQ(PreciseMoney::ofEnergy(1, UnitPrice::fromMicroYuan(853201))->nanoYuan(), 8532010);
  EXPECT_EQ(PreciseMoney::fromMoney(Money::fromFen(-3))->nanoYuan(), -30000000);
  const auto big = std::numeric_limits<std::int64_t>::max() / 5;
  EXPECT_EQ(PreciseMoney::ofEnergy(big, UnitPrice::fromMicroYuan(1)).error(),
            ArithmeticError::Overflow);
  EXPECT_EQ(
      PreciseMoney::fromMoney(Money::fromFen(std::numeric_limits<std::int64_t>::max())).error(),
      ArithmeticError::Overflow);
}

TEST(PreciseMoney, ConvertsToFenOnlyWithANamedMode) {
  const auto amount = PreciseMoney::fromNanoYuan(15'000'000);  // 1.5 fen
  EXPECT_EQ(amount.toMoney(RoundingMode::Floor), Money::fromFen(1));
  EXPECT_EQ(amount.toMoney(RoundingMode::HalfUp), Money::fromFen(2));
  EXPECT_EQ(amount.toMoney(RoundingMode::HalfEven), Money::fromFen(2));
  EXPECT_EQ(PreciseMoney::fromNanoYuan(-15'000'000).toMoney(RoundingMode::HalfUp),
            Money::fromFen(-2));
}

TEST(FenCarry, PiecesPostTheSameFenAsTheWhole) {
  FenCarry pieces;
  std::int64_t postedFen = 0;
  for (int i = 0; i < 10; ++i) {
    postedFen += pieces.post(PreciseMoney::fromNanoYuan(3'000'000))->fen();  // 0.3 fen each
  }
  FenCarry whole;
  EXPECT_EQ(whole.post(PreciseMoney::fromNanoYuan(30'000'000))->fen(), 3);
  EXPECT_EQ(postedFen, 3);
  EXPECT_EQ(pieces, whole);
  EXPECT_EQ(pieces.remainderNanoYuan(), 0);
}

TEST(FenCarry, RestoresOnlyAValidRemainder) {
  EXPECT_EQ(FenCarry::fromRemainder(9'999'999)->remainderNanoYuan(), 9'999'999);
  EXPECT_FALSE(FenCarry::fromRemainder(NanoYuanPerFen).has_value());
  EXPECT_FALSE(FenCarry::fromRemainder(-1).has_value());
  auto carry = *FenCarry::fromRemainder(9'999'999);
  EXPECT_EQ(carry.post(PreciseMoney::fromNanoYuan(1))->fen(), 1);
  EXPECT_EQ(carry.remainderNanoYuan(), 0);
  EXPECT_EQ(carry.post(PreciseMoney::fromNanoYuan(5))->fen(), 0);
  EXPECT_EQ(
      carry.post(PreciseMoney::fromNanoYuan(std::numeric_limits<std::int64_t>::max())).error(),
      ArithmeticError::Overflow);
}

TEST(ParseYuan, AcceptsStrictAmounts) {
  EXPECT_EQ(parseYuan("123.45"), Money::fromFen(12345));
  EXPECT_EQ(parseYuan("123.4"), Money::fromFen(12340));
  EXPECT_EQ(parseYuan("7"), Money::fromFen(700));
  EXPECT_EQ(parseYuan("-0.05"), Money::fromFen(-5));
  EXPECT_EQ(parseYuan("0"), Money::zero());
  EXPECT_EQ(parseYuan("92233720368547758.07"),
            Money::fromFen(std::numeric_limits<std::int64_t>::max()));
  EXPECT_EQ(parseYuan("-92233720368547758.08"),
            Money::fromFen(std::numeric_limits<std::int64_t>::min()));
}

TEST(ParseYuan, RefusesWithAReason) {
  EXPECT_EQ(parseYuan("").error(), YuanParseError::Empty);
  EXPECT_EQ(parseYuan("1e3").error(), YuanParseError::InvalidCharacter);
  EXPECT_EQ(parseYuan("abc").error(), YuanParseError::InvalidCharacter);
  EXPECT_EQ(parseYuan(" 1").error(), YuanParseError::InvalidCharacter);
  EXPECT_EQ(parseYuan("+1").error(), YuanParseError::InvalidCharacter);
  EXPECT_EQ(parseYuan("1,000").error(), YuanParseError::InvalidCharacter);
  EXPECT_EQ(parseYuan("1.2.3").error(), YuanParseError::InvalidCharacter);
  EXPECT_EQ(parseYuan("12.345").error(), YuanParseError::TooManyDecimals);
  EXPECT_EQ(parseYuan(".5").error(), YuanParseError::MissingDigits);
  EXPECT_EQ(parseYuan("5.").error(), YuanParseError::MissingDigits);
  EXPECT_EQ(parseYuan("-").error(), YuanParseError::MissingDigits);
  EXPECT_EQ(parseYuan("92233720368547758.08").error(), YuanParseError::Overflow);
  EXPECT_EQ(parseYuan("99999999999999999999999").error(), YuanParseError::Overflow);
  EXPECT_FALSE(describe(YuanParseError::TooManyDecimals).empty());
}

TEST(FormatYuan, TwoDecimalsAndRoundTrips) {
  EXPECT_EQ(formatYuan(Money::fromFen(12345)), "123.45");
  EXPECT_EQ(formatYuan(Money::fromFen(-5)), "-0.05");
  EXPECT_EQ(formatYuan(Money::zero()), "0.00");
  EXPECT_EQ(formatYuan(Money::fromFen(std::numeric_limits<std::int64_t>::min())),
            "-92233720368547758.08");
  for (const std::int64_t fen : {0L, 1L, -1L, 99L, 100L, 123456789L, -987654321L}) {
    EXPECT_EQ(parseYuan(formatYuan(Money::fromFen(fen))), Money::fromFen(fen));
  }
}

}  // namespace
}  // namespace prepaid::domain
