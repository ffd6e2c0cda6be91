#pragma once

// Days left (可用天数) for the kiosk: how long the balance lasts at the recent rate of use.
// Method: average daily cost over the trailing days of history (up to `windowDays`, the most
// recent last), each day's energy per rate priced at the current unit prices (Rater::unitPricesAt
// gives them, tier surcharge included); days = floor(balance / average daily cost). "Unknown"
// rather than a guess when there is too little history, no recent use, or no price.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "prepaid/domain/energy.hpp"
#include "prepaid/domain/money.hpp"
#include "prepaid/domain/rate.hpp"

namespace prepaid::domain {

/// One local day's energy by rate (a flat-rate meter puts all of it under Rate::Flat).
struct DailyUsage {
  std::array<Energy, RateCount> perRate{};
};

struct DaysLeftOptions {
  std::size_t minDays = 3;      // fewer days of history: Unknown
  std::size_t windowDays = 30;  // use at most this many most recent days
};

enum class DaysLeftStatus {
  Known,             // `days` is the estimate (0 when the balance is <= 0)
  NotEnoughHistory,  // fewer than minDays days of history
  NoRecentUse,       // nothing used in the window: the balance lasts indefinitely
  NoPrice,           // energy on a rate that has no current price (and no flat price)
};

struct DaysLeft {
  DaysLeftStatus status = DaysLeftStatus::NotEnoughHistory;
  std::int64_t days = 0;  // whole days, rounded down; meaningful when Known
  bool operator==(const DaysLeft&) const = default;
};

/// Estimates days left. Energy on a rate without a price is priced at the flat price when there
/// is one (NoPrice otherwise). A balance <= 0 is Known with 0 days whatever the history.
[[nodiscard]] DaysLeft estimateDaysLeft(
    Money balance, std::span<const DailyUsage> history,
    const std::array<std::optional<UnitPrice>, RateCount>& prices,
    const DaysLeftOptions& options = {});

}  // namespace prepaid::domain
