// Properties of rating: splitting an interval never changes what is charged, and the TOU split
// covers every second of an interval exactly once with the right rate.

#include <map>
#include <set>
#include <tuple>

#include "property.hpp"
#include "random_tariffs.hpp"
#include <gtest/gtest.h>

#include "prepaid/domain/rater.hpp"
#include "prepaid/domain/tariff_codec.hpp"

namespace prepaid::domain {
namespace {

using namespace std::chrono;
using testing::anyTariff;
using testing::checkProperty;

const SiteTimeZone Shanghai{};

// An instant on a whole local minute in 2024-2025.
Instant anyMinute() {
  return Shanghai.instantAt(year_month_day(sys_days(2024y / January / 1d)), 0s) +
         minutes(*rc::gen::inRange(0, 700 * 24 * 60));
}

TariffHistory anyHistory(Instant from, minutes span) {
  std::vector<TariffVersion> versions{{from - days(*rc::gen::inRange(0, 40)), anyTariff()}};
  const int later = *rc::gen::inRange(0, 3);
  std::set<int> offsets;
  for (int i = 0; i < later; ++i) {
    offsets.insert(*rc::gen::inRange(1, static_cast<int>(span.count()) + 1));
  }
  for (const auto offset : offsets) {
    versions.push_back({from + minutes(offset), anyTariff()});
  }
  auto history = TariffHistory::create(versions);
  RC_ASSERT(history.has_value());
  return *history;
}

// An independent, per-second statement of which rate is in force (the specification).
Rate referenceRate(const TariffHistory& history, Instant at) {
  const auto& tariff = history.versionAt(at)->tariff;
  if (tariff.kind == TariffKind::Flat) {
    return Rate::Flat;
  }
  const auto date = Shanghai.localDate(at);
  const auto secondOfDay = Shanghai.secondsOfDay(at).count();
  const month_day today = date.month() / date.day();
  const Season* season = nullptr;
  for (const auto& candidate : tariff.seasons) {
    const bool wraps = candidate.last < candidate.first;
    if ((!wraps && candidate.first <= today && today <= candidate.last) ||
        (wraps && (today >= candidate.first || today <= candidate.last))) {
      season = &candidate;
    }
  }
  const DaySchedule* schedule = &season->workday;
  switch (tariff.calendar.dayType(date)) {
    case DayType::Workday:
      break;
    case DayType::Weekend:
      schedule = season->weekend ? &*season->weekend : schedule;
      break;
    case DayType::Holiday:
      schedule = season->holiday   ? &*season->holiday
                 : season->weekend ? &*season->weekend
                                   : schedule;
      break;
  }
  for (const auto& period : schedule->periods) {
    if (period.startMinute * 60 <= secondOfDay && secondOfDay < period.endMinute * 60) {
      return period.rate;
    }
  }
  RC_FAIL("reference found no period");
}

TEST(RaterProperty, TouSplitCoversEverySecondExactlyOnce) {
  checkProperty([] {
    const Instant start = anyMinute() + seconds(*rc::gen::inRange(0, 60));
    const auto length = seconds(*rc::gen::inRange(0, 3 * 86400));
    const auto history = anyHistory(start, duration_cast<minutes>(length) + 1min);
    const Rater rater(history, Shanghai);
    const auto spans = rater.splitByRate(start, start + length);
    RC_ASSERT(spans.has_value());
    Instant covered = start;
    for (const auto& span : *spans) {
      RC_ASSERT(span.start == covered);  // no gap, no overlap
      RC_ASSERT(span.end > span.start);
      RC_ASSERT(&history.versions().at(span.version) == history.versionAt(span.start));
      covered = span.end;
    }
    RC_ASSERT(covered == start + length);
    // Every second has the reference rate: check span edges and random seconds.
    for (const auto& span : *spans) {
      RC_ASSERT(span.rate == referenceRate(history, span.start));
      RC_ASSERT(span.rate == referenceRate(history, span.end - 1s));
      const auto inside =
          span.start + seconds(*rc::gen::inRange<std::int64_t>(0, (span.end - span.start).count()));
      RC_ASSERT(span.rate == referenceRate(history, inside));
    }
  });
}

TEST(RaterProperty, TouSplitMatchesTheReferenceSecondBySecond) {
  checkProperty(
      [] {
        const Instant start = anyMinute() + seconds(*rc::gen::inRange(0, 60));
        const auto length = seconds(*rc::gen::inRange(0, 6 * 3600));
        const auto history = anyHistory(start, duration_cast<minutes>(length) + 1min);
        const Rater rater(history, Shanghai);
        const auto spans = rater.splitByRate(start, start + length);
        RC_ASSERT(spans.has_value());
        std::size_t index = 0;
        for (Instant second = start; second < start + length; second += 1s) {
          while ((*spans)[index].end <= second) {
            ++index;
          }
          RC_ASSERT((*spans)[index].start <= second);
          RC_ASSERT((*spans)[index].rate == referenceRate(history, second));
        }
      },
      60);
}

using LineKey = std::tuple<Rate, std::uint8_t, std::int64_t>;

void addLines(std::map<LineKey, std::int64_t>& totals, const std::vector<ChargeLine>& lines) {
  for (const auto& line : lines) {
    totals[{line.rate, line.tier, line.unitPrice.microYuan()}] += line.energy.centiKwh();
  }
}

TEST(RaterProperty, RandomSplitsChargeExactlyTheWhole) {
  // Constant power (a whole number of 0.01 kWh per minute) makes every time-proportional share
  // exact, so any split at whole minutes must post the same fen, lines and state as the whole.
  checkProperty([] {
    const Instant start = anyMinute();
    const auto length = minutes(*rc::gen::inRange(1, 3 * 24 * 60));
    const auto history = anyHistory(start, length);
    const Rater rater(history, Shanghai);
    const std::int64_t perMinute = *rc::gen::inRange(0, 60);
    MeterRatingState before;
    if (*rc::gen::arbitrary<bool>()) {
      const auto date = Shanghai.localDate(start);
      before.usageMonth = date.year() / date.month();
      before.monthUsage = Energy::fromCentiKwh(*rc::gen::inRange(0, 60'000));
      before.yearUsage =
          Energy::fromCentiKwh(before.monthUsage.centiKwh() + *rc::gen::inRange(0, 60'000));
      before.carry = *FenCarry::fromRemainder(*rc::gen::inRange<std::int64_t>(0, NanoYuanPerFen));
    }
    const auto energyOf = [&](minutes span) {
      return Energy::fromCentiKwh(span.count() * perMinute);
    };
    const auto whole = rater.rate({start, start + length, energyOf(length), std::nullopt}, before);
    RC_ASSERT(whole.has_value());

    std::set<int> cuts;
    const int pieces = *rc::gen::inRange(1, 12);
    for (int i = 1; i < pieces; ++i) {
      cuts.insert(*rc::gen::inRange(1, static_cast<int>(length.count()) + 1));
    }
    cuts.insert(static_cast<int>(length.count()));
    MeterRatingState state = before;
    std::int64_t postedFen = 0;
    std::int64_t amountNano = 0;
    std::map<LineKey, std::int64_t> pieceLines;
    int previous = 0;
    for (const auto cut : cuts) {
      const auto piece = rater.rate({start + minutes(previous), start + minutes(cut),
                                     energyOf(minutes(cut - previous)), std::nullopt},
                                    state);
      RC_ASSERT(piece.has_value());
      postedFen += piece->postedFen.fen();
      amountNano += piece->amount.nanoYuan();
      addLines(pieceLines, piece->lines);
      state = piece->after;
      previous = cut;
    }
    std::map<LineKey, std::int64_t> wholeLines;
    addLines(wholeLines, whole->lines);
    RC_ASSERT(postedFen == whole->postedFen.fen());
    RC_ASSERT(amountNano == whole->amount.nanoYuan());
    RC_ASSERT(pieceLines == wholeLines);
    if (perMinute > 0) {
      RC_ASSERT(state == whole->after);
    }
  });
}

TEST(RaterProperty, EnergyAndMoneyAreConserved) {
  // Whatever the energies and registers: lines add up to the total energy and the amount, and
  // the posted fen plus the carry change equal the amount exactly.
  checkProperty([] {
    const Instant start = anyMinute() + seconds(*rc::gen::inRange(0, 60));
    const auto length = seconds(*rc::gen::inRange(1, 2 * 86400));
    const auto history = anyHistory(start, duration_cast<minutes>(length) + 1min);
    const Rater rater(history, Shanghai);
    Consumption used{start, start + length, Energy::fromCentiKwh(*rc::gen::inRange(0, 500'000)),
                     std::nullopt};
    if (*rc::gen::arbitrary<bool>()) {
      std::array<Energy, RateCount> registers{};
      for (auto& value : registers) {
        value = Energy::fromCentiKwh(*rc::gen::inRange(0, 200'000));
      }
      used.perRate = registers;
    }
    const MeterRatingState before;
    const auto result = rater.rate(used, before);
    RC_ASSERT(result.has_value());
    std::int64_t energy = 0;
    std::int64_t amount = 0;
    for (const auto& line : result->lines) {
      RC_ASSERT(line.energy.centiKwh() > 0);
      RC_ASSERT(line.amount == *PreciseMoney::ofEnergy(line.energy.centiKwh(), line.unitPrice));
      energy += line.energy.centiKwh();
      amount += line.amount.nanoYuan();
    }
    RC_ASSERT(energy == used.total.centiKwh());
    RC_ASSERT(amount == result->amount.nanoYuan());
    RC_ASSERT(result->postedFen.fen() * NanoYuanPerFen + result->after.carry.remainderNanoYuan() ==
              amount + before.carry.remainderNanoYuan());
  });
}

TEST(TariffCodecProperty, RandomTariffsRoundTrip) {
  checkProperty([] {
    const auto tariff = testing::anyTariff();
    RC_ASSERT(validateTariff(tariff).has_value());
    const auto text = encodeTariff(tariff);
    const auto decoded = decodeTariff(text);
    RC_ASSERT(decoded.has_value());
    RC_ASSERT(*decoded == tariff);
  });
}

}  // namespace
}  // namespace prepaid::domain
