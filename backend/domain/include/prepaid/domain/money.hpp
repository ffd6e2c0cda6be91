#pragma once

// Exact money. Ledger amounts and balances are int64 fen (0.01 yuan); unit prices are int64
// micro-yuan per unit of energy so that prices such as 0.8532 yuan/kWh are exact. Arithmetic is
// checked: an overflow is an error, never a wrapped value.

#include <compare>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace prepaid::domain {

enum class ArithmeticError {
  Overflow,  // the result does not fit in int64
};

/// An exact amount of money in fen. May be negative (arrears, refunds, corrections).
class Money {
 public:
  constexpr Money() = default;
  static constexpr Money fromFen(std::int64_t fen) { return Money(fen); }
  static constexpr Money zero() { return Money(0); }

  [[nodiscard]] constexpr std::int64_t fen() const { return m_fen; }

  [[nodiscard]] std::expected<Money, ArithmeticError> plus(Money other) const;
  [[nodiscard]] std::expected<Money, ArithmeticError> minus(Money other) const;
  [[nodiscard]] std::expected<Money, ArithmeticError> negated() const;

  constexpr auto operator<=>(const Money&) const = default;

 private:
  constexpr explicit Money(std::int64_t fen) : m_fen(fen) {}
  std::int64_t m_fen = 0;
};

/// A price per unit of energy (per kWh, or per m³ for water) in micro-yuan (1e-6 yuan).
class UnitPrice {
 public:
  constexpr UnitPrice() = default;
  static constexpr UnitPrice fromMicroYuan(std::int64_t microYuan) { return UnitPrice(microYuan); }

  [[nodiscard]] constexpr std::int64_t microYuan() const { return m_microYuan; }

  constexpr auto operator<=>(const UnitPrice&) const = default;

 private:
  constexpr explicit UnitPrice(std::int64_t microYuan) : m_microYuan(microYuan) {}
  std::int64_t m_microYuan = 0;
};

}  // namespace prepaid::domain
