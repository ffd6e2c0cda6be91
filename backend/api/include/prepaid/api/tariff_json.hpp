#pragma once

// The JSON form of a tariff definition (电价: flat or time-of-use, optional tiers), as the staff
// tariff routes take and return it. Integers only: prices in micro-yuan per unit, tier thresholds
// in 0.01 kWh (0.01 m³ for water), times "HH:MM" local (24:00 allowed as an end), season dates
// "MM-DD", calendar dates "YYYY-MM-DD". Example:
//
//   {"kind": "tou",
//    "prices_micro_yuan": {"peak": 1200000, "flat": 800000, "valley": 400000},
//    "seasons": [{"first": "01-01", "last": "12-31",
//                 "workday": [{"from": "00:00", "to": "08:00", "rate": "valley"},
//                             {"from": "08:00", "to": "24:00", "rate": "peak"}],
//                 "weekend": [{"from": "00:00", "to": "24:00", "rate": "flat"}]}],
//    "holidays": ["2024-10-01"], "workdays": ["2024-09-29"],
//    "tiering": {"basis": "monthly", "pricing": "surcharge",
//                "tiers": [{"from_centi_kwh": 0, "price_micro_yuan": 0},
//                          {"from_centi_kwh": 20000, "price_micro_yuan": 50000}]}}
//
// A flat tariff is {"kind": "flat", "prices_micro_yuan": {"flat": 800000}} (plus tiering).

#include <expected>
#include <string>

#include <nlohmann/json.hpp>

#include "prepaid/api/error_code.hpp"
#include "prepaid/domain/tariff.hpp"

namespace prepaid::backend::api {

/// Reads and validates a definition. Errors: InvalidField / MissingField naming the field by its
/// path ("definition.seasons[0].workday[1].from") for a wrong type, fraction, range, format or
/// unknown member; InvalidTariff when the fields are well formed but break a tariff rule
/// (details: {"rule": "overlapping_periods", …}, the domain's message). `field` names the
/// object itself in messages (e.g. "definition").
[[nodiscard]] std::expected<domain::Tariff, ApiError> parseTariffJson(const nlohmann::json& value,
                                                                      const std::string& field);

/// The JSON form of a tariff (parseTariffJson(tariffToJson(t)) == t for a valid tariff).
[[nodiscard]] nlohmann::json tariffToJson(const domain::Tariff& tariff);

/// "overlapping_periods", "gapped_periods", … (details.rule of InvalidTariff).
[[nodiscard]] std::string_view tariffRuleName(domain::TariffErrorCode code);

}  // namespace prepaid::backend::api
