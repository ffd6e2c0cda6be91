#include "prepaid/domain/energy.hpp"

namespace prepaid::domain {

std::expected<Energy, ArithmeticError> Energy::plus(Energy other) const {
  std::int64_t sum = 0;
  if (__builtin_add_overflow(m_centiKwh, other.m_centiKwh, &sum)) {
    return std::unexpected(ArithmeticError::Overflow);
  }
  return Energy(sum);
}

std::expected<Energy, ArithmeticError> Energy::minus(Energy other) const {
  std::int64_t difference = 0;
  if (__builtin_sub_overflow(m_centiKwh, other.m_centiKwh, &difference)) {
    return std::unexpected(ArithmeticError::Overflow);
  }
  return Energy(difference);
}

}  // namespace prepaid::domain
