#pragma once

// The text form of a Tariff, for storage (the store keeps this string and does no parsing of its
// own). Line based, UTF-8/ASCII, '\n' or "\r\n" line ends; fields separated by spaces; blank
// lines and lines starting with '#' are ignored. Money is integer micro-yuan, energy integer
// 0.01 kWh (0.01 m³ for water), times HH:MM local (24:00 allowed as an end), dates MM-DD (seasons)
// and YYYY-MM-DD (calendar). Line order is free between the header and `end`, except that a
// `period` must follow its `season`. Example:
//
//   prepaid-tariff 1
//   kind tou                             # flat | tou
//   price peak 1200000                   # price <rate> <micro-yuan per unit>
//   price valley 400000
//   season 1 01-01 12-31                 # season <n> <first MM-DD> <last MM-DD>, n = 1 or 2
//   period 1 workday 00:00 08:00 valley  # period <season> <workday|weekend|holiday> <from> <to> <rate>
//   period 1 workday 08:00 24:00 peak
//   holiday 2024-10-01                   # holiday <YYYY-MM-DD>; workday <YYYY-MM-DD> (调休)
//   tiering monthly surcharge            # tiering <monthly|yearly> <surcharge|step_price>
//   tier 0 0                             # tier <from 0.01 kWh> <micro-yuan>
//   tier 20000 50000
//   end
//
// encodeTariff() writes exactly this canonical form; decodeTariff(encodeTariff(t)) == t for every
// valid tariff.

#include <expected>
#include <string>
#include <string_view>

#include "prepaid/domain/tariff.hpp"

namespace prepaid::domain {

/// The canonical text form of a tariff (the tariff should be valid; it is not checked here).
[[nodiscard]] std::string encodeTariff(const Tariff& tariff);

/// Parses and validates the text form. Syntax errors carry the 1-based line number and name the
/// field ("line 7, field 'rate': unknown rate 'noon'"); rule violations found by validateTariff()
/// after a successful parse carry line 0.
[[nodiscard]] std::expected<Tariff, TariffError> decodeTariff(std::string_view text);

}  // namespace prepaid::domain
