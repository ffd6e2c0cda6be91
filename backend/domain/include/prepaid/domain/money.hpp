#pragma once

// Exact money. Ledger amounts and balances are int64 fen (0.01 yuan); unit prices are int64
// micro-yuan per unit of energy so that prices such as 0.8532 yuan/kWh are exact. Rating works in
// PreciseMoney (int64 nano-yuan), in which energy (0.01 kWh) x price (micro-yuan/kWh) is exact, and
// carries the sub-fen remainder per meter in a FenCarry. Rounding happens only in the named
// conversions below, each taking an explicit RoundingMode. Arithmetic is checked: an overflow is
// an error, never a wrapped value.

#include <compare>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace prepaid::domain {

enum class ArithmeticError {
  Overflow,  // the result does not fit in int64
};

/// How a quotient that is not a whole number becomes one.
enum class RoundingMode {
  Floor,       // toward minus infinity
  Ceiling,     // toward plus infinity
  TowardZero,  // truncate
  HalfUp,      // nearest; halves away from zero (commercial rounding, 四舍五入)
  HalfEven,    // nearest; halves to the even neighbour (banker's rounding)
};

/// numerator / denominator rounded by `mode`. Precondition: denominator > 0. Never overflows.
[[nodiscard]] std::int64_t divideRounded(std::int64_t numerator, std::int64_t denominator,
                                         RoundingMode mode);

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

  /// Checked sum (a TOU rate price plus a tier surcharge).
  [[nodiscard]] std::expected<UnitPrice, ArithmeticError> plus(UnitPrice other) const;

  constexpr auto operator<=>(const UnitPrice&) const = default;

 private:
  constexpr explicit UnitPrice(std::int64_t microYuan) : m_microYuan(microYuan) {}
  std::int64_t m_microYuan = 0;
};

/// Nano-yuan in one fen.
inline constexpr std::int64_t NanoYuanPerFen = 10'000'000;

/// Money in the fine fixed point used by rating: int64 nano-yuan (1e-9 yuan, range ±9.2e9 yuan).
/// 0.01 kWh at a micro-yuan price is exactly 10 nano-yuan times their product.
class PreciseMoney {
 public:
  constexpr PreciseMoney() = default;
  static constexpr PreciseMoney fromNanoYuan(std::int64_t nanoYuan) {
    return PreciseMoney(nanoYuan);
  }
  static constexpr PreciseMoney zero() { return PreciseMoney(0); }
  /// Exactly `money` (overflow when |fen| > 9.2e11).
  [[nodiscard]] static std::expected<PreciseMoney, ArithmeticError> fromMoney(Money money);
  /// Exactly energyCentiUnits x price: the cost of that much energy. Overflow is an error.
  [[nodiscard]] static std::expected<PreciseMoney, ArithmeticError> ofEnergy(
      std::int64_t energyCentiUnits, UnitPrice price);

  [[nodiscard]] constexpr std::int64_t nanoYuan() const { return m_nanoYuan; }

  [[nodiscard]] std::expected<PreciseMoney, ArithmeticError> plus(PreciseMoney other) const;
  [[nodiscard]] std::expected<PreciseMoney, ArithmeticError> minus(PreciseMoney other) const;

  /// Named conversion point: to whole fen, rounded by `mode`.
  [[nodiscard]] Money toMoney(RoundingMode mode) const;

  constexpr auto operator<=>(const PreciseMoney&) const = default;

 private:
  constexpr explicit PreciseMoney(std::int64_t nanoYuan) : m_nanoYuan(nanoYuan) {}
  std::int64_t m_nanoYuan = 0;
};

/// The sub-fen remainder of one meter's charges. post() turns a precise amount into whole fen by
/// flooring (RoundingMode::Floor: a fen is posted once it has been fully used) and keeps the
/// remainder in [0, 1 fen) for the next post, so charging an interval in any number of pieces
/// posts exactly the same fen total as charging it at once. Persist remainderNanoYuan().
class FenCarry {
 public:
  constexpr FenCarry() = default;
  /// Restores a persisted remainder; error unless 0 <= remainder < NanoYuanPerFen.
  [[nodiscard]] static std::expected<FenCarry, ArithmeticError> fromRemainder(
      std::int64_t remainderNanoYuan);

  [[nodiscard]] constexpr std::int64_t remainderNanoYuan() const { return m_remainderNanoYuan; }

  /// Adds `amount` and returns the whole fen now due (floored); the rest stays carried.
  [[nodiscard]] std::expected<Money, ArithmeticError> post(PreciseMoney amount);

  constexpr auto operator<=>(const FenCarry&) const = default;

 private:
  std::int64_t m_remainderNanoYuan = 0;
};

/// Why a yuan string was refused.
enum class YuanParseError {
  Empty,             // ""
  InvalidCharacter,  // anything but digits, one '.', and a leading '-' ("1e3", "abc", " 1")
  MissingDigits,     // no digit before or after the '.' ("-", ".5", "5.")
  TooManyDecimals,   // more than two digits after the '.' ("12.345")
  Overflow,          // does not fit in int64 fen
};

/// A one-line English reason for a parse error.
[[nodiscard]] std::string_view describe(YuanParseError error);

/// Strict parse of a yuan amount: optional '-', digits, optional '.' and one or two digits
/// ("123.45", "-0.5", "7"). No spaces, signs '+', exponents, or thousands separators.
[[nodiscard]] std::expected<Money, YuanParseError> parseYuan(std::string_view text);

/// Formats fen as yuan with exactly two decimals ("123.45", "-0.05", "0.00").
[[nodiscard]] std::string formatYuan(Money money);

}  // namespace prepaid::domain
