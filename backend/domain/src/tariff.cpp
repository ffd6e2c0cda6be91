#include "prepaid/domain/tariff.hpp"

#include <algorithm>
#include <string>

namespace prepaid::domain {
namespace {

std::string twoDigits(unsigned value) {
  return std::string(1, static_cast<char>('0' + value / 10 % 10)) +
         static_cast<char>('0' + value % 10);
}

std::unexpected<TariffError> fail(TariffErrorCode code, std::string message) {
  return std::unexpected(TariffError{code, std::move(message), 0});
}

std::string describePeriod(const TouPeriod& period) {
  return formatMinuteOfDay(period.startMinute) + "-" + formatMinuteOfDay(period.endMinute) + " " +
         std::string(toString(period.rate));
}

std::string formatMonthDay(std::chrono::month_day date) {
  return twoDigits(static_cast<unsigned>(date.month())) + "-" +
         twoDigits(static_cast<unsigned>(date.day()));
}

std::expected<void, TariffError> validateDay(const DaySchedule& day, const Tariff& tariff,
                                             const std::string& where) {
  if (day.periods.empty()) {
    return fail(TariffErrorCode::GappedPeriods, where + ": no periods (00:00-24:00 not covered)");
  }
  if (day.periods.size() > MaxDailyPeriods) {
    return fail(TariffErrorCode::TooManyPeriods, where + ": " + std::to_string(day.periods.size()) +
                                                     " periods, at most " +
                                                     std::to_string(MaxDailyPeriods) + " allowed");
  }
  for (const auto& period : day.periods) {
    if (period.startMinute < 0 || period.endMinute > MinutesPerDay ||
        period.startMinute >= period.endMinute) {
      return fail(TariffErrorCode::InvalidPeriod,
                  where + ": period " + describePeriod(period) +
                      " must start before it ends, within 00:00-24:00");
    }
    if (!tariff.prices.at(indexOf(period.rate))) {
      return fail(TariffErrorCode::UnknownRate,
                  where + ": period " + describePeriod(period) + " uses rate '" +
                      std::string(toString(period.rate)) + "' which has no price");
    }
  }
  auto sorted = day.periods;
  std::ranges::sort(sorted, {}, &TouPeriod::startMinute);
  std::int32_t coveredUntil = 0;
  const TouPeriod* previous = nullptr;
  for (const auto& period : sorted) {
    if (period.startMinute < coveredUntil) {
      return fail(
          TariffErrorCode::OverlappingPeriods,
          where + ": period " + describePeriod(period) + " overlaps " + describePeriod(*previous));
    }
    if (period.startMinute > coveredUntil) {
      return fail(TariffErrorCode::GappedPeriods, where + ": " + formatMinuteOfDay(coveredUntil) +
                                                      "-" + formatMinuteOfDay(period.startMinute) +
                                                      " is not covered by any period");
    }
    coveredUntil = period.endMinute;
    previous = &period;
  }
  if (coveredUntil != MinutesPerDay) {
    return fail(TariffErrorCode::GappedPeriods, where + ": " + formatMinuteOfDay(coveredUntil) +
                                                    "-24:00 is not covered by any period");
  }
  return {};
}

bool seasonContains(const Season& season, std::chrono::month_day date) {
  if (season.first <= season.last) {
    return season.first <= date && date <= season.last;
  }
  return date >= season.first || date <= season.last;
}

std::expected<void, TariffError> validateSeasons(const Tariff& tariff) {
  if (tariff.seasons.empty() || tariff.seasons.size() > MaxSeasons) {
    return fail(TariffErrorCode::InvalidSeason, std::string("a time-of-use tariff needs 1 to ") +
                                                    std::to_string(MaxSeasons) + " seasons, has " +
                                                    std::to_string(tariff.seasons.size()));
  }
  for (std::size_t i = 0; i < tariff.seasons.size(); ++i) {
    const auto& season = tariff.seasons[i];
    const std::string where = std::string("season ") + std::to_string(i + 1);
    if (!season.first.ok() || !season.last.ok()) {
      return fail(TariffErrorCode::InvalidSeason, where + ": invalid first or last date");
    }
    if (auto ok = validateDay(season.workday, tariff, where + " workday"); !ok) {
      return ok;
    }
    if (season.weekend) {
      if (auto ok = validateDay(*season.weekend, tariff, where + " weekend"); !ok) {
        return ok;
      }
    }
    if (season.holiday) {
      if (auto ok = validateDay(*season.holiday, tariff, where + " holiday"); !ok) {
        return ok;
      }
    }
  }
  // Walk every calendar date of a leap year once: each must be in exactly one season.
  for (auto day = std::chrono::sys_days(std::chrono::year(2024) / 1 / 1);
       day <= std::chrono::sys_days(std::chrono::year(2024) / 12 / 31);
       day += std::chrono::days(1)) {
    const std::chrono::year_month_day ymd(day);
    const std::chrono::month_day date = ymd.month() / ymd.day();
    const auto count = std::ranges::count_if(
        tariff.seasons, [&](const Season& season) { return seasonContains(season, date); });
    if (count == 0) {
      return fail(TariffErrorCode::GappedSeasons, formatMonthDay(date) + " is in no season");
    }
    if (count > 1) {
      return fail(TariffErrorCode::OverlappingSeasons,
                  formatMonthDay(date) + " is in more than one season");
    }
  }
  return {};
}

std::expected<void, TariffError> validateTiering(const Tariff& tariff) {
  const auto& tiering = *tariff.tiering;
  if (tiering.tiers.empty() || tiering.tiers.size() > MaxTiers) {
    return fail(TariffErrorCode::InvalidTiers, std::string("tiering needs 1 to ") +
                                                   std::to_string(MaxTiers) + " tiers, has " +
                                                   std::to_string(tiering.tiers.size()));
  }
  if (tiering.tiers.front().from != Energy::zero()) {
    return fail(TariffErrorCode::InvalidTiers, "tier 1 must start from 0");
  }
  if (tiering.pricing == TierPricing::StepPrice && tariff.kind != TariffKind::Flat) {
    return fail(TariffErrorCode::InvalidTiers,
                "step prices replace the rate price and apply to flat tariffs only; use "
                "surcharges with time-of-use");
  }
  for (std::size_t i = 0; i < tiering.tiers.size(); ++i) {
    if (tiering.tiers[i].price.microYuan() < 0) {
      return fail(TariffErrorCode::NegativePrice,
                  std::string("tier ") + std::to_string(i + 1) + " has a negative price");
    }
    if (i > 0 && tiering.tiers[i].from <= tiering.tiers[i - 1].from) {
      return fail(TariffErrorCode::TiersNotIncreasing,
                  std::string("tier ") + std::to_string(i + 1) + " starts at " +
                      std::to_string(tiering.tiers[i].from.centiKwh()) +
                      " (0.01 units), not above tier " + std::to_string(i) + " at " +
                      std::to_string(tiering.tiers[i - 1].from.centiKwh()));
    }
  }
  return {};
}

}  // namespace

Tariff Tariff::flat(UnitPrice price) {
  Tariff tariff;
  tariff.kind = TariffKind::Flat;
  tariff.prices.at(indexOf(Rate::Flat)) = price;
  return tariff;
}

std::string formatMinuteOfDay(std::int32_t minute) {
  return twoDigits(static_cast<unsigned>(minute / 60)) + ":" +
         twoDigits(static_cast<unsigned>(minute % 60));
}

std::expected<void, TariffError> validateTariff(const Tariff& tariff) {
  for (const auto rate : AllRates) {
    const auto& price = tariff.prices.at(indexOf(rate));
    if (price && price->microYuan() < 0) {
      return fail(TariffErrorCode::NegativePrice,
                  "price of rate '" + std::string(toString(rate)) + "' is negative");
    }
  }
  const bool stepPrices = tariff.tiering && tariff.tiering->pricing == TierPricing::StepPrice;
  if (tariff.kind == TariffKind::Flat) {
    if (!tariff.seasons.empty()) {
      return fail(TariffErrorCode::InvalidSeason, "a flat tariff has no seasons");
    }
    if (!stepPrices && !tariff.prices.at(indexOf(Rate::Flat))) {
      return fail(TariffErrorCode::MissingPrice, "a flat tariff needs the price of rate 'flat'");
    }
  } else if (auto ok = validateSeasons(tariff); !ok) {
    return ok;
  }
  if (tariff.tiering) {
    return validateTiering(tariff);
  }
  return {};
}

}  // namespace prepaid::domain
