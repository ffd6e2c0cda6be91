#pragma once

// Energy as an integer count of 0.01 kWh. Water meters use the same type and machinery with
// 0.01 m³ as the unit; the meter's medium says which unit the number counts.

#include <compare>
#include <cstdint>
#include <expected>

#include "prepaid/domain/money.hpp"

namespace prepaid::domain {

enum class Medium {
  Electricity,  // counts 0.01 kWh
  Water,        // counts 0.01 m³
};

/// An exact amount of energy in 0.01 kWh (or 0.01 m³ for water).
class Energy {
 public:
  constexpr Energy() = default;
  static constexpr Energy fromCentiKwh(std::int64_t centiKwh) { return Energy(centiKwh); }
  static constexpr Energy zero() { return Energy(0); }

  [[nodiscard]] constexpr std::int64_t centiKwh() const { return m_centiKwh; }

  [[nodiscard]] std::expected<Energy, ArithmeticError> plus(Energy other) const;
  [[nodiscard]] std::expected<Energy, ArithmeticError> minus(Energy other) const;

  constexpr auto operator<=>(const Energy&) const = default;

 private:
  constexpr explicit Energy(std::int64_t centiKwh) : m_centiKwh(centiKwh) {}
  std::int64_t m_centiKwh = 0;
};

}  // namespace prepaid::domain
