#include "prepaid/domain/rater.hpp"

#include <algorithm>
#include <limits>

#include "apportion.hpp"
#include "small_buffer.hpp"

namespace prepaid::domain {
namespace {

constexpr std::int64_t floorDiv(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// A day schedule sorted by start: period i covers [endSec[i-1] (0 for i = 0), endSec[i]).
struct CompiledDay {
  std::size_t count = 0;
  std::array<std::int32_t, MaxDailyPeriods> endSec{};
  std::array<Rate, MaxDailyPeriods> rates{};
};

CompiledDay compileDay(const DaySchedule& schedule) {
  auto periods = schedule.periods;
  std::ranges::sort(periods, {}, &TouPeriod::startMinute);
  CompiledDay day;
  day.count = std::min(periods.size(), MaxDailyPeriods);
  for (std::size_t i = 0; i < day.count; ++i) {
    day.endSec.at(i) = periods[i].endMinute * 60;
    day.rates.at(i) = periods[i].rate;
  }
  return day;
}

std::size_t monthDayIndex(unsigned month, unsigned day) {
  return month * 32 + day;
}

RatingError error(RatingErrorCode code, std::string message) {
  return RatingError{code, std::move(message)};
}

std::unexpected<RatingError> overflow() {
  return std::unexpected(
      error(RatingErrorCode::Overflow, "amount does not fit in int64 nano-yuan"));
}

std::int32_t yearMonthIndex(std::chrono::year_month month) {
  return static_cast<int>(month.year()) * 12 +
         static_cast<std::int32_t>(static_cast<unsigned>(month.month()) - 1);
}

std::chrono::year_month fromYearMonthIndex(std::int32_t index) {
  const auto year = static_cast<std::int32_t>(floorDiv(index, 12));
  return std::chrono::year(year) / std::chrono::month(static_cast<unsigned>(index - year * 12 + 1));
}

}  // namespace

struct Rater::Compiled {
  std::int64_t effectiveFromSec = 0;
  bool timeOfUse = false;
  std::array<std::int64_t, RateCount> priceMicro{};
  std::array<bool, RateCount> priced{};
  std::array<std::uint8_t, 13 * 32> seasonOf{};
  std::array<std::array<CompiledDay, 3>, MaxSeasons> days{};  // [season][DayType]
  bool tiered = false;
  TierBasis basis = TierBasis::Monthly;
  TierPricing pricing = TierPricing::Surcharge;
  std::size_t tierCount = 0;
  std::array<std::int64_t, MaxTiers> tierFrom{};
  std::array<std::int64_t, MaxTiers> tierPrice{};
};

struct Rater::Segment {
  std::int64_t startSec;
  std::int64_t endSec;
  std::uint32_t version;
  Rate rate;
  std::int32_t yearMonth;  // local year * 12 + month - 1
};

Rater::Rater(TariffHistory history, SiteTimeZone zone)
    : m_history(std::move(history)), m_zone(zone) {
  for (const auto& version : m_history.versions()) {
    const auto& tariff = version.tariff;
    Compiled compiled;
    compiled.effectiveFromSec = version.effectiveFrom.time_since_epoch().count();
    compiled.timeOfUse = tariff.kind == TariffKind::TimeOfUse;
    for (const auto rate : AllRates) {
      if (const auto& price = tariff.prices.at(indexOf(rate))) {
        compiled.priceMicro.at(indexOf(rate)) = price->microYuan();
        compiled.priced.at(indexOf(rate)) = true;
      }
    }
    for (std::size_t s = 0; s < tariff.seasons.size() && s < MaxSeasons; ++s) {
      const auto& season = tariff.seasons[s];
      auto& days = compiled.days.at(s);
      days.at(static_cast<std::size_t>(DayType::Workday)) = compileDay(season.workday);
      const auto weekend =
          season.weekend ? compileDay(*season.weekend) : compileDay(season.workday);
      days.at(static_cast<std::size_t>(DayType::Weekend)) = weekend;
      days.at(static_cast<std::size_t>(DayType::Holiday)) =
          season.holiday ? compileDay(*season.holiday) : weekend;
      // Mark the season's dates (a leap year, so 02-29 is included).
      for (auto day = std::chrono::sys_days(std::chrono::year(2024) / 1 / 1);
           day <= std::chrono::sys_days(std::chrono::year(2024) / 12 / 31);
           day += std::chrono::days(1)) {
        const std::chrono::year_month_day ymd(day);
        const std::chrono::month_day date = ymd.month() / ymd.day();
        const bool inSeason = season.first <= season.last
                                  ? (season.first <= date && date <= season.last)
                                  : (date >= season.first || date <= season.last);
        if (inSeason) {
          compiled.seasonOf.at(
              monthDayIndex(static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()))) =
              static_cast<std::uint8_t>(s);
        }
      }
    }
    if (tariff.tiering) {
      compiled.tiered = true;
      compiled.basis = tariff.tiering->basis;
      compiled.pricing = tariff.tiering->pricing;
      compiled.tierCount = std::min(tariff.tiering->tiers.size(), MaxTiers);
      for (std::size_t i = 0; i < compiled.tierCount; ++i) {
        compiled.tierFrom.at(i) = tariff.tiering->tiers[i].from.centiKwh();
        compiled.tierPrice.at(i) = tariff.tiering->tiers[i].price.microYuan();
      }
    }
    m_compiled.push_back(compiled);
  }
}

Rater::~Rater() = default;
Rater::Rater(const Rater&) = default;
Rater::Rater(Rater&&) noexcept = default;
Rater& Rater::operator=(const Rater&) = default;
Rater& Rater::operator=(Rater&&) noexcept = default;

template <typename Sink>
std::expected<void, RatingError> Rater::segments(Instant start, Instant end, Sink&& sink) const {
  const std::int64_t startSec = start.time_since_epoch().count();
  const std::int64_t endSec = end.time_since_epoch().count();
  const auto after =
      std::ranges::upper_bound(m_compiled, startSec, {}, &Compiled::effectiveFromSec);
  if (after == m_compiled.begin()) {
    return std::unexpected(error(RatingErrorCode::NoTariffInEffect,
                                 "the interval starts before the first tariff version"));
  }
  auto versionIndex = static_cast<std::size_t>(after - m_compiled.begin()) - 1;
  const std::int64_t offsetSec = static_cast<std::int64_t>(m_zone.utcOffset.count()) * 60;
  std::int64_t cachedDay = std::numeric_limits<std::int64_t>::min();
  std::size_t cachedVersion = m_compiled.size();
  const CompiledDay* schedule = nullptr;
  std::int32_t yearMonth = 0;
  std::int64_t t = startSec;
  while (t < endSec) {
    const Compiled& version = m_compiled[versionIndex];
    const std::int64_t nextVersionSec = versionIndex + 1 < m_compiled.size()
                                            ? m_compiled[versionIndex + 1].effectiveFromSec
                                            : std::numeric_limits<std::int64_t>::max();
    const std::int64_t local = t + offsetSec;
    const std::int64_t dayIndex = floorDiv(local, SecondsPerDay);
    const std::int64_t secondOfDay = local - dayIndex * SecondsPerDay;
    const std::int64_t dayStartSec = dayIndex * SecondsPerDay - offsetSec;
    if (dayIndex != cachedDay || versionIndex != cachedVersion) {
      const std::chrono::sys_days day{std::chrono::days(dayIndex)};
      const std::chrono::year_month_day date(day);
      yearMonth = yearMonthIndex(date.year() / date.month());
      if (version.timeOfUse) {
        const auto season = version.seasonOf.at(
            monthDayIndex(static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day())));
        const auto type = m_history.versions()[versionIndex].tariff.calendar.dayType(day);
        schedule = &version.days.at(season).at(static_cast<std::size_t>(type));
      }
      cachedDay = dayIndex;
      cachedVersion = versionIndex;
    }
    std::int64_t segmentEnd = std::min({endSec, nextVersionSec, dayStartSec + SecondsPerDay});
    Rate rate = Rate::Flat;
    if (version.timeOfUse) {
      std::size_t period = 0;
      while (period + 1 < schedule->count && schedule->endSec[period] <= secondOfDay) {
        ++period;
      }
      rate = schedule->rates[period];
      segmentEnd = std::min(segmentEnd, dayStartSec + schedule->endSec[period]);
    }
    sink(Segment{t, segmentEnd, static_cast<std::uint32_t>(versionIndex), rate, yearMonth});
    t = segmentEnd;
    if (t >= nextVersionSec) {
      ++versionIndex;
    }
  }
  return {};
}

std::expected<RatingResult, RatingError> Rater::rate(const Consumption& consumption,
                                                     const MeterRatingState& before) const {
  if (consumption.end < consumption.start) {
    return std::unexpected(
        error(RatingErrorCode::EndBeforeStart, "interval ends before it starts"));
  }
  if (consumption.end - consumption.start > std::chrono::days(MaxRatingIntervalDays)) {
    return std::unexpected(
        error(RatingErrorCode::IntervalTooLong,
              "interval longer than " + std::to_string(MaxRatingIntervalDays) + " days"));
  }
  const std::int64_t total = consumption.total.centiKwh();
  std::array<std::int64_t, RateCount> registers{};
  std::int64_t registerSum = 0;
  if (consumption.perRate) {
    for (const auto rate : AllRates) {
      registers.at(indexOf(rate)) = consumption.perRate->at(indexOf(rate)).centiKwh();
      if (registers.at(indexOf(rate)) < 0) {
        return std::unexpected(error(RatingErrorCode::NegativeEnergy, "negative register delta"));
      }
      if (registers.at(indexOf(rate)) >= (std::int64_t{1} << 60)) {
        return overflow();
      }
      registerSum += registers.at(indexOf(rate));
    }
  }
  if (total < 0) {
    return std::unexpected(error(RatingErrorCode::NegativeEnergy, "negative consumption"));
  }
  if (before.monthUsage < Energy::zero() || before.yearUsage < Energy::zero()) {
    // A corrupt persisted state must not reach the tier arithmetic.
    return std::unexpected(
        error(RatingErrorCode::NegativeEnergy, "negative cumulative usage in the meter state"));
  }
  RatingResult result;
  result.after = before;
  result.energy = consumption.total;
  if (consumption.end == consumption.start) {
    if (total > 0) {
      return std::unexpected(
          error(RatingErrorCode::EnergyWithoutTime, "energy consumed in a zero-length interval"));
    }
    return result;
  }

  detail::SmallBuffer<Segment, 16> segments;
  if (auto ok =
          this->segments(consumption.start, consumption.end,
                         [&segments](const Segment& segment) { segments.push_back(segment); });
      !ok) {
    return std::unexpected(ok.error());
  }
  if (total == 0) {
    return result;
  }

  // Attribute the energy to (segment, charged rate).
  const std::size_t count = segments.size();
  detail::SmallBuffer<std::array<std::int64_t, RateCount>, 16> energy(count);
  detail::SmallBuffer<std::int64_t, 16> weights(count);
  detail::SmallBuffer<std::int64_t, 16> parts(count);
  const auto span = [count](auto& buffer) { return std::span(buffer.data(), count); };
  bool anyTimeOfUse = false;
  for (std::size_t i = 0; i < count; ++i) {
    weights[i] = segments[i].endSec - segments[i].startSec;
    anyTimeOfUse = anyTimeOfUse || m_compiled[segments[i].version].timeOfUse;
  }
  if (consumption.perRate && anyTimeOfUse && registerSum > 0) {
    result.split = EnergySplit::Registers;
    std::array<std::int64_t, RateCount> rateTotals{};
    detail::apportionInto(total, registers, rateTotals);
    for (const auto registerRate : AllRates) {
      const auto rateTotal = rateTotals.at(indexOf(registerRate));
      if (rateTotal == 0) {
        continue;
      }
      std::int64_t matching = 0;
      for (std::size_t i = 0; i < count; ++i) {
        const bool tou = m_compiled[segments[i].version].timeOfUse;
        weights[i] = (!tou || segments[i].rate == registerRate)
                         ? segments[i].endSec - segments[i].startSec
                         : 0;
        matching += weights[i];
      }
      if (matching == 0) {
        // The meter's clock or schedule disagrees with ours: spread this rate over the interval.
        for (std::size_t i = 0; i < count; ++i) {
          weights[i] = segments[i].endSec - segments[i].startSec;
        }
      }
      detail::apportionInto(rateTotal, span(weights), span(parts));
      for (std::size_t i = 0; i < count; ++i) {
        const Compiled& version = m_compiled[segments[i].version];
        Rate charged = Rate::Flat;
        if (version.timeOfUse) {
          charged = (segments[i].rate == registerRate || version.priced.at(indexOf(registerRate)))
                        ? registerRate
                        : segments[i].rate;
        }
        energy[i].at(indexOf(charged)) += parts[i];
      }
    }
  } else {
    result.split = EnergySplit::TimeProportional;
    detail::apportionInto(total, span(weights), span(parts));
    for (std::size_t i = 0; i < count; ++i) {
      energy[i].at(indexOf(segments[i].rate)) = parts[i];
    }
  }

  // Price the energy in time order, crossing tiers exactly.
  detail::SmallBuffer<ChargeLine, 8> lines;
  PreciseMoney amount = PreciseMoney::zero();
  MeterRatingState& state = result.after;
  const auto addLine = [&](Rate rate, std::size_t tier, std::int64_t centi,
                           std::int64_t priceMicro) -> bool {
    const auto price = UnitPrice::fromMicroYuan(priceMicro);
    const auto lineAmount = PreciseMoney::ofEnergy(centi, price);
    if (!lineAmount) {
      return false;
    }
    const auto sum = amount.plus(*lineAmount);
    if (!sum) {
      return false;
    }
    amount = *sum;
    for (auto& line : lines) {
      if (line.rate == rate && line.tier == tier && line.unitPrice == price) {
        line.energy = Energy::fromCentiKwh(line.energy.centiKwh() + centi);
        line.amount = PreciseMoney::fromNanoYuan(line.amount.nanoYuan() + lineAmount->nanoYuan());
        return true;
      }
    }
    lines.push_back(ChargeLine{rate, static_cast<std::uint8_t>(tier), Energy::fromCentiKwh(centi),
                               price, *lineAmount});
    return true;
  };
  std::int64_t monthUsage = state.monthUsage.centiKwh();
  std::int64_t yearUsage = state.yearUsage.centiKwh();
  std::int32_t stateMonth = state.usageMonth ? yearMonthIndex(*state.usageMonth) : 0;
  bool haveMonth = state.usageMonth.has_value();
  for (std::size_t i = 0; i < count; ++i) {
    const Segment& segment = segments[i];
    if (haveMonth && segment.yearMonth != stateMonth) {
      if (segment.yearMonth < stateMonth) {
        return std::unexpected(error(RatingErrorCode::OutOfOrder,
                                     "interval is in a month before the meter's last rated month"));
      }
      if (floorDiv(segment.yearMonth, 12) != floorDiv(stateMonth, 12)) {
        yearUsage = 0;
      }
      monthUsage = 0;
    }
    stateMonth = segment.yearMonth;
    haveMonth = true;
    const Compiled& version = m_compiled[segment.version];
    for (const auto rate : AllRates) {
      const std::int64_t centi = energy[i].at(indexOf(rate));
      if (centi == 0) {
        continue;
      }
      const std::int64_t base = version.priceMicro.at(indexOf(rate));
      if (!version.tiered) {
        if (!addLine(rate, 0, centi, base)) {
          return overflow();
        }
      } else {
        std::int64_t cumulative = version.basis == TierBasis::Monthly ? monthUsage : yearUsage;
        std::size_t tier = version.tierCount - 1;
        while (tier > 0 && version.tierFrom.at(tier) > cumulative) {
          --tier;
        }
        std::int64_t remaining = centi;
        while (remaining > 0) {
          const std::int64_t room =
              tier + 1 < version.tierCount ? version.tierFrom.at(tier + 1) - cumulative : remaining;
          const std::int64_t piece = std::min(remaining, room);
          std::int64_t price = version.tierPrice.at(tier);
          if (version.pricing == TierPricing::Surcharge &&
              __builtin_add_overflow(base, version.tierPrice.at(tier), &price)) {
            return overflow();
          }
          if (!addLine(rate, tier, piece, price)) {
            return overflow();
          }
          remaining -= piece;
          cumulative += piece;
          if (piece == room && tier + 1 < version.tierCount) {
            ++tier;
          }
        }
      }
      if (__builtin_add_overflow(monthUsage, centi, &monthUsage) ||
          __builtin_add_overflow(yearUsage, centi, &yearUsage)) {
        return overflow();
      }
    }
  }
  state.usageMonth = fromYearMonthIndex(stateMonth);
  state.monthUsage = Energy::fromCentiKwh(monthUsage);
  state.yearUsage = Energy::fromCentiKwh(yearUsage);
  const auto posted = state.carry.post(amount);
  if (!posted) {
    return overflow();
  }
  result.postedFen = *posted;
  result.amount = amount;
  result.lines.assign(lines.begin(), lines.end());
  return result;
}

std::expected<RatingResult, RatingError> Rater::rateReadings(const MeterReading& previous,
                                                             const MeterReading& current,
                                                             const MeterRatingState& before,
                                                             const RegisterLimits& limits) const {
  const auto delta = readingDelta(previous, current, limits);
  if (!delta) {
    return std::unexpected(error(RatingErrorCode::RegisterAnomaly, delta.error().describe()));
  }
  if (delta->continuity == Continuity::NewBaseline) {
    RatingResult result;
    result.after = before;
    return result;
  }
  return rate(delta->consumption, before);
}

std::expected<std::vector<RateSpan>, RatingError> Rater::splitByRate(Instant start,
                                                                     Instant end) const {
  if (end < start) {
    return std::unexpected(
        error(RatingErrorCode::EndBeforeStart, "interval ends before it starts"));
  }
  if (end - start > std::chrono::days(MaxRatingIntervalDays)) {
    return std::unexpected(
        error(RatingErrorCode::IntervalTooLong,
              "interval longer than " + std::to_string(MaxRatingIntervalDays) + " days"));
  }
  std::vector<RateSpan> spans;
  auto ok = segments(start, end, [&spans](const Segment& segment) {
    const Instant segmentStart{std::chrono::seconds(segment.startSec)};
    const Instant segmentEnd{std::chrono::seconds(segment.endSec)};
    if (!spans.empty() && spans.back().rate == segment.rate &&
        spans.back().version == segment.version && spans.back().end == segmentStart) {
      spans.back().end = segmentEnd;
    } else {
      spans.push_back(RateSpan{segmentStart, segmentEnd, segment.rate, segment.version});
    }
  });
  if (!ok) {
    return std::unexpected(ok.error());
  }
  return spans;
}

std::expected<std::array<std::optional<UnitPrice>, RateCount>, RatingError> Rater::unitPricesAt(
    Instant at, const MeterRatingState& state) const {
  const auto after = std::ranges::upper_bound(m_compiled, at.time_since_epoch().count(), {},
                                              &Compiled::effectiveFromSec);
  if (after == m_compiled.begin()) {
    return std::unexpected(
        error(RatingErrorCode::NoTariffInEffect, "no tariff version in effect at that time"));
  }
  const Compiled& version = *std::prev(after);
  const auto date = m_zone.localDate(at);
  const std::int32_t month = yearMonthIndex(date.year() / date.month());
  std::int64_t monthUsage = 0;
  std::int64_t yearUsage = 0;
  if (state.usageMonth) {
    const auto stateMonth = yearMonthIndex(*state.usageMonth);
    if (floorDiv(stateMonth, 12) == floorDiv(month, 12) && stateMonth <= month) {
      yearUsage = state.yearUsage.centiKwh();
      monthUsage = stateMonth == month ? state.monthUsage.centiKwh() : 0;
    }
  }
  std::array<std::optional<UnitPrice>, RateCount> prices{};
  for (const auto rate : AllRates) {
    const bool applies = version.timeOfUse ? version.priced.at(indexOf(rate)) : rate == Rate::Flat;
    if (!applies) {
      continue;
    }
    std::int64_t price = version.priceMicro.at(indexOf(rate));
    if (version.tiered) {
      const std::int64_t cumulative = version.basis == TierBasis::Monthly ? monthUsage : yearUsage;
      std::size_t tier = version.tierCount - 1;
      while (tier > 0 && version.tierFrom.at(tier) > cumulative) {
        --tier;
      }
      if (version.pricing == TierPricing::StepPrice) {
        price = version.tierPrice.at(tier);
      } else if (__builtin_add_overflow(price, version.tierPrice.at(tier), &price)) {
        return overflow();
      }
    }
    prices.at(indexOf(rate)) = UnitPrice::fromMicroYuan(price);
  }
  return prices;
}

}  // namespace prepaid::domain
