#include "prepaid/domain/money.hpp"

#include <limits>

namespace prepaid::domain {

std::int64_t divideRounded(std::int64_t numerator, std::int64_t denominator, RoundingMode mode) {
  // C++ division truncates; work from the truncated quotient and the remainder's sign and size so
  // that no intermediate can overflow (the remainder is smaller than the denominator).
  std::int64_t quotient = numerator / denominator;
  const std::int64_t remainder = numerator % denominator;
  if (remainder == 0) {
    return quotient;
  }
  const bool negative = remainder < 0;
  const std::int64_t absRemainder = negative ? -remainder : remainder;
  const std::int64_t other = denominator - absRemainder;  // distance to the next multiple
  bool awayFromZero = false;
  switch (mode) {
    case RoundingMode::Floor:
      awayFromZero = negative;
      break;
    case RoundingMode::Ceiling:
      awayFromZero = !negative;
      break;
    case RoundingMode::TowardZero:
      awayFromZero = false;
      break;
    case RoundingMode::HalfUp:
      awayFromZero = absRemainder >= other;
      break;
    case RoundingMode::HalfEven:
      awayFromZero = absRemainder > other || (absRemainder == other && quotient % 2 != 0);
      break;
  }
  if (awayFromZero) {
    quotient += negative ? -1 : 1;
  }
  return quotient;
}

std::expected<Money, ArithmeticError> Money::plus(Money other) const {
  std::int64_t sum = 0;
  if (__builtin_add_overflow(m_fen, other.m_fen, &sum)) {
    return std::unexpected(ArithmeticError::Overflow);
  }
  return Money(sum);
}

std::expected<Money, ArithmeticError> Money::minus(Money other) const {
  std::int64_t difference = 0;
  if (__builtin_sub_overflow(m_fen, other.m_fen, &difference)) {
    return std::unexpected(ArithmeticError::Overflow);
  }
  return Money(difference);
}

std::expected<Money, ArithmeticError> Money::negated() const {
  return Money::zero().minus(*this);
}

std::expected<UnitPrice, ArithmeticError> UnitPrice::plus(UnitPrice other) const {
  std::int64_t sum = 0;
  if (__builtin_add_overflow(m_microYuan, other.m_microYuan, &sum)) {
    return std::unexpected(ArithmeticError::Overflow);
  }
  return UnitPrice(sum);
}

std::expected<PreciseMoney, ArithmeticError> PreciseMoney::fromMoney(Money money) {
  std::int64_t nano = 0;
  if (__builtin_mul_overflow(money.fen(), NanoYuanPerFen, &nano)) {
    return std::unexpected(ArithmeticError::Overflow);
  }
  return PreciseMoney(nano);
}

std::expected<PreciseMoney, ArithmeticError> PreciseMoney::ofEnergy(std::int64_t energyCentiUnits,
                                                                    UnitPrice price) {
  // 0.01 unit x 1e-6 yuan/unit = 1e-8 yuan = 10 nano-yuan: the product is exact.
  std::int64_t product = 0;
  std::int64_t nano = 0;
  if (__builtin_mul_overflow(energyCentiUnits, price.microYuan(), &product) ||
      __builtin_mul_overflow(product, std::int64_t{10}, &nano)) {
    return std::unexpected(ArithmeticError::Overflow);
  }
  return PreciseMoney(nano);
}

std::expected<PreciseMoney, ArithmeticError> PreciseMoney::plus(PreciseMoney other) const {
  std::int64_t sum = 0;
  if (__builtin_add_overflow(m_nanoYuan, other.m_nanoYuan, &sum)) {
    return std::unexpected(ArithmeticError::Overflow);
  }
  return PreciseMoney(sum);
}

std::expected<PreciseMoney, ArithmeticError> PreciseMoney::minus(PreciseMoney other) const {
  std::int64_t difference = 0;
  if (__builtin_sub_overflow(m_nanoYuan, other.m_nanoYuan, &difference)) {
    return std::unexpected(ArithmeticError::Overflow);
  }
  return PreciseMoney(difference);
}

Money PreciseMoney::toMoney(RoundingMode mode) const {
  return Money::fromFen(divideRounded(m_nanoYuan, NanoYuanPerFen, mode));
}

std::expected<FenCarry, ArithmeticError> FenCarry::fromRemainder(std::int64_t remainderNanoYuan) {
  if (remainderNanoYuan < 0 || remainderNanoYuan >= NanoYuanPerFen) {
    return std::unexpected(ArithmeticError::Overflow);
  }
  FenCarry carry;
  carry.m_remainderNanoYuan = remainderNanoYuan;
  return carry;
}

std::expected<Money, ArithmeticError> FenCarry::post(PreciseMoney amount) {
  std::int64_t total = 0;
  if (__builtin_add_overflow(m_remainderNanoYuan, amount.nanoYuan(), &total)) {
    return std::unexpected(ArithmeticError::Overflow);
  }
  // Floor is translation-invariant by whole fen, which is what makes piecewise posting equal to
  // posting the sum: floor(r + a) with r carried is floor of the running total.
  const std::int64_t fen = divideRounded(total, NanoYuanPerFen, RoundingMode::Floor);
  m_remainderNanoYuan = total - fen * NanoYuanPerFen;
  return Money::fromFen(fen);
}

std::string_view describe(YuanParseError error) {
  switch (error) {
    case YuanParseError::Empty:
      return "empty amount";
    case YuanParseError::InvalidCharacter:
      return "only digits, one '.' and a leading '-' are allowed";
    case YuanParseError::MissingDigits:
      return "digits are required before and after the decimal point";
    case YuanParseError::TooManyDecimals:
      return "at most two decimals (fen) are allowed";
    case YuanParseError::Overflow:
      return "amount is too large";
  }
  return "invalid amount";
}

std::expected<Money, YuanParseError> parseYuan(std::string_view text) {
  if (text.empty()) {
    return std::unexpected(YuanParseError::Empty);
  }
  const bool negative = text.front() == '-';
  if (negative) {
    text.remove_prefix(1);
  }
  const auto dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  for (const std::string_view part : {whole, fraction}) {
    for (const char c : part) {
      if (c < '0' || c > '9') {
        return std::unexpected(YuanParseError::InvalidCharacter);
      }
    }
  }
  if (whole.empty() || (dot != std::string_view::npos && fraction.empty())) {
    return std::unexpected(YuanParseError::MissingDigits);
  }
  if (fraction.size() > 2) {
    return std::unexpected(YuanParseError::TooManyDecimals);
  }
  // Accumulate negatively so that the most negative int64 fen is still reachable.
  std::int64_t fen = 0;
  const auto push = [&fen](char digit) {
    return !__builtin_mul_overflow(fen, std::int64_t{10}, &fen) &&
           !__builtin_sub_overflow(fen, std::int64_t{digit - '0'}, &fen);
  };
  for (const char c : whole) {
    if (!push(c)) {
      return std::unexpected(YuanParseError::Overflow);
    }
  }
  for (std::size_t i = 0; i < 2; ++i) {
    if (!push(i < fraction.size() ? fraction[i] : '0')) {
      return std::unexpected(YuanParseError::Overflow);
    }
  }
  if (!negative) {
    if (fen == std::numeric_limits<std::int64_t>::min()) {
      return std::unexpected(YuanParseError::Overflow);
    }
    fen = -fen;
  }
  return Money::fromFen(fen);
}

std::string formatYuan(Money money) {
  const std::int64_t fen = money.fen();
  // Work with the magnitude as unsigned so that INT64_MIN formats too.
  const bool negative = fen < 0;
  const std::uint64_t magnitude = negative ? std::uint64_t{0} - static_cast<std::uint64_t>(fen)
                                           : static_cast<std::uint64_t>(fen);
  std::string out = std::to_string(magnitude / 100);
  const auto cents = magnitude % 100;
  out += '.';
  out += static_cast<char>('0' + cents / 10);
  out += static_cast<char>('0' + cents % 10);
  return negative ? "-" + out : out;
}

}  // namespace prepaid::domain
