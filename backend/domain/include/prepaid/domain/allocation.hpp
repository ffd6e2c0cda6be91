#pragma once

// Shared-cost allocation (公摊): split an amount of money or energy onto tenants by area, head
// count or fixed ratios. Parts always sum exactly to the whole: each part gets the floor of its
// exact share, and the fen (or 0.01 kWh) left over go one each to the largest remainders, ties to
// the earlier tenant (deterministic, independent of anything but the inputs' order).

#include <cstdint>
#include <expected>
#include <span>
#include <string_view>
#include <vector>

#include "prepaid/domain/energy.hpp"
#include "prepaid/domain/money.hpp"

namespace prepaid::domain {

/// What the weights measure; the arithmetic is the same, the name is for records and reports.
enum class AllocationBasis {
  Area,        // weights in 0.01 m²
  HeadCount,   // weights in persons
  FixedRatio,  // weights in agreed parts (e.g. per mille)
};

enum class AllocationError {
  NoShares,         // the weight list is empty
  NegativeWeight,   // a weight below zero
  ZeroTotalWeight,  // every weight is zero
};

/// A one-line English reason.
[[nodiscard]] std::string_view describe(AllocationError error);

/// Splits `total` (any sign) in proportion to `weights` by largest remainder. The parts have the
/// sign of `total`, each differs from its exact share by less than 1, and they sum to `total`.
[[nodiscard]] std::expected<std::vector<std::int64_t>, AllocationError> apportion(
    std::int64_t total, std::span<const std::int64_t> weights);

/// apportion() for money in fen.
[[nodiscard]] std::expected<std::vector<Money>, AllocationError> allocateMoney(
    Money total, std::span<const std::int64_t> weights);

/// apportion() for energy in 0.01 kWh (or 0.01 m³).
[[nodiscard]] std::expected<std::vector<Energy>, AllocationError> allocateEnergy(
    Energy total, std::span<const std::int64_t> weights);

}  // namespace prepaid::domain
