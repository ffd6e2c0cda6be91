#pragma once

// The largest-remainder split behind allocation and the time-proportional energy split in rating,
// writing into caller storage so that rating does not allocate.

#include <cstdint>
#include <span>

namespace prepaid::domain::detail {

// 128-bit intermediate for proportional splits (a GCC/Clang extension; __extension__ keeps
// -Wpedantic quiet).
__extension__ typedef __int128 WideInt;

/// Writes into `parts` (same size as `weights`) the largest-remainder split of `total` by
/// `weights`. Preconditions: weights non-negative, their sum positive and below 2^62.
void apportionInto(std::int64_t total, std::span<const std::int64_t> weights,
                   std::span<std::int64_t> parts);

}  // namespace prepaid::domain::detail
