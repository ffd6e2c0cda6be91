#include "prepaid/domain/allocation.hpp"

#include <algorithm>
#include <array>
#include <numeric>

#include "apportion.hpp"

namespace prepaid::domain {
namespace detail {

void apportionInto(std::int64_t total, std::span<const std::int64_t> weights,
                   std::span<std::int64_t> parts) {
  // Work on the magnitude in 128 bits: |total| x weight cannot overflow, and a negative total is
  // split as the mirror image of the positive one so that rounding does not depend on the sign.
  using Wide = WideInt;
  const bool negative = total < 0;
  const Wide magnitude = negative ? -static_cast<Wide>(total) : static_cast<Wide>(total);
  Wide weightSum = 0;
  for (const auto weight : weights) {
    weightSum += weight;
  }
  if (weights.size() == 1) {
    parts[0] = total;
    return;
  }
  Wide assigned = 0;
  // Remainders are below weightSum < 2^62, so they fit in int64 for the tie-break pass.
  constexpr std::size_t InlineCount = 32;
  std::array<std::int64_t, InlineCount> inlineRemainders{};
  std::vector<std::int64_t> heapRemainders;
  std::int64_t* remainders = inlineRemainders.data();
  if (weights.size() > InlineCount) {
    heapRemainders.resize(weights.size());
    remainders = heapRemainders.data();
  }
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const Wide product = magnitude * weights[i];
    const Wide share = product / weightSum;
    parts[i] = static_cast<std::int64_t>(share);
    remainders[i] = static_cast<std::int64_t>(product % weightSum);
    assigned += share;
  }
  auto leftover = static_cast<std::size_t>(magnitude - assigned);  // < number of parts
  if (leftover > 0) {
    if (weights.size() <= InlineCount) {
      // Few parts: pick the largest remainder leftover times (earliest index wins ties).
      while (leftover-- > 0) {
        std::size_t best = 0;
        for (std::size_t i = 1; i < weights.size(); ++i) {
          if (remainders[i] > remainders[best]) {
            best = i;
          }
        }
        parts[best] += 1;
        remainders[best] = -1;
      }
    } else {
      std::vector<std::size_t> order(weights.size());
      std::iota(order.begin(), order.end(), std::size_t{0});
      std::stable_sort(order.begin(), order.end(),
                       [&](std::size_t a, std::size_t b) { return remainders[a] > remainders[b]; });
      for (std::size_t i = 0; i < leftover; ++i) {
        parts[order[i]] += 1;
      }
    }
  }
  if (negative) {
    for (auto& part : parts) {
      part = -part;
    }
  }
}

}  // namespace detail

std::string_view describe(AllocationError error) {
  switch (error) {
    case AllocationError::NoShares:
      return "nothing to allocate onto: no shares";
    case AllocationError::NegativeWeight:
      return "a share's weight is negative";
    case AllocationError::ZeroTotalWeight:
      return "all share weights are zero";
  }
  return "invalid allocation";
}

std::expected<std::vector<std::int64_t>, AllocationError> apportion(
    std::int64_t total, std::span<const std::int64_t> weights) {
  if (weights.empty()) {
    return std::unexpected(AllocationError::NoShares);
  }
  detail::WideInt weightSum = 0;
  for (const auto weight : weights) {
    if (weight < 0) {
      return std::unexpected(AllocationError::NegativeWeight);
    }
    weightSum += weight;
  }
  if (weightSum == 0) {
    return std::unexpected(AllocationError::ZeroTotalWeight);
  }
  // Scale huge weights down so that their sum stays below 2^62; the split of the scaled weights
  // still sums exactly to the total (only the proportions lose far-below-one precision).
  std::vector<std::int64_t> scaled(weights.begin(), weights.end());
  while (weightSum >= (static_cast<detail::WideInt>(1) << 62)) {
    weightSum = 0;
    for (auto& weight : scaled) {
      weight /= 2;
      weightSum += weight;
    }
  }
  std::vector<std::int64_t> parts(weights.size(), 0);
  detail::apportionInto(total, scaled, parts);
  return parts;
}

std::expected<std::vector<Money>, AllocationError> allocateMoney(
    Money total, std::span<const std::int64_t> weights) {
  auto parts = apportion(total.fen(), weights);
  if (!parts) {
    return std::unexpected(parts.error());
  }
  std::vector<Money> money;
  money.reserve(parts->size());
  for (const auto fen : *parts) {
    money.push_back(Money::fromFen(fen));
  }
  return money;
}

std::expected<std::vector<Energy>, AllocationError> allocateEnergy(
    Energy total, std::span<const std::int64_t> weights) {
  auto parts = apportion(total.centiKwh(), weights);
  if (!parts) {
    return std::unexpected(parts.error());
  }
  std::vector<Energy> energy;
  energy.reserve(parts->size());
  for (const auto centi : *parts) {
    energy.push_back(Energy::fromCentiKwh(centi));
  }
  return energy;
}

}  // namespace prepaid::domain
