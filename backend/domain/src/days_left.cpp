#include "prepaid/domain/days_left.hpp"

#include <limits>

#include "apportion.hpp"

namespace prepaid::domain {

DaysLeft estimateDaysLeft(Money balance, std::span<const DailyUsage> history,
                          const std::array<std::optional<UnitPrice>, RateCount>& prices,
                          const DaysLeftOptions& options) {
  if (balance <= Money::zero()) {
    return DaysLeft{DaysLeftStatus::Known, 0};
  }
  const std::size_t window = std::min(history.size(), options.windowDays);
  if (window == 0 || window < options.minDays) {
    return DaysLeft{DaysLeftStatus::NotEnoughHistory, 0};
  }
  // 128-bit sums: a window of days x four rates x energy x price cannot overflow them.
  detail::WideInt costNano = 0;
  for (const auto& day : history.subspan(history.size() - window)) {
    for (const auto rate : AllRates) {
      const std::int64_t centi = day.perRate.at(indexOf(rate)).centiKwh();
      if (centi <= 0) {
        continue;
      }
      auto price = prices.at(indexOf(rate));
      if (!price) {
        price = prices.at(indexOf(Rate::Flat));
      }
      if (!price) {
        return DaysLeft{DaysLeftStatus::NoPrice, 0};
      }
      costNano += static_cast<detail::WideInt>(centi) * price->microYuan() * 10;
    }
  }
  if (costNano <= 0) {
    return DaysLeft{DaysLeftStatus::NoRecentUse, 0};
  }
  // days = balance / (cost / window) = balance x window / cost, rounded down.
  const detail::WideInt balanceNano = static_cast<detail::WideInt>(balance.fen()) * NanoYuanPerFen;
  const detail::WideInt days = balanceNano * static_cast<detail::WideInt>(window) / costNano;
  const auto capped = days > std::numeric_limits<std::int64_t>::max()
                          ? std::numeric_limits<std::int64_t>::max()
                          : static_cast<std::int64_t>(days);
  return DaysLeft{DaysLeftStatus::Known, capped};
}

}  // namespace prepaid::domain
