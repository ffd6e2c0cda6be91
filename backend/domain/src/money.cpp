#include "prepaid/domain/money.hpp"

namespace prepaid::domain {

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

}  // namespace prepaid::domain
