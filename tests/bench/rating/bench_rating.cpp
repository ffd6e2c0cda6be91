// bench-rating: how many meter intervals per second the Rater prices, for flat, time-of-use and
// time-of-use + tiered tariffs, against a baseline that only sums the same energies. Prints
// intervals/s for each and the ratio to the baseline measured in the same run.
//
// The intervals are a month of consecutive 15-minute readings of one meter (2,976 intervals,
// energies 0-2.00 kWh, about one in eight crossing a TOU period boundary), rated in order with the
// meter state carried from one to the next, as the billing service does. Goal: TOU + tiered
// >= 2,000,000 intervals/s on one core.

#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "prepaid/domain/rater.hpp"

namespace {

using namespace prepaid::domain;
using namespace std::chrono;

const SiteTimeZone Zone{};

Tariff touTariff() {
  Tariff tariff;
  tariff.kind = TariffKind::TimeOfUse;
  tariff.prices = {UnitPrice::fromMicroYuan(1'500'000), UnitPrice::fromMicroYuan(1'100'000),
                   UnitPrice::fromMicroYuan(700'000), UnitPrice::fromMicroYuan(300'000)};
  Season summer;
  summer.first = July / 1;
  summer.last = September / 30;
  summer.workday.periods = {{0, 480, Rate::Valley},   {480, 660, Rate::Peak},
                            {660, 780, Rate::Sharp},  {780, 900, Rate::Peak},
                            {900, 1080, Rate::Flat},  {1080, 1260, Rate::Peak},
                            {1260, 1320, Rate::Flat}, {1320, 1440, Rate::Valley}};
  summer.weekend = DaySchedule{{{0, 480, Rate::Valley}, {480, 1440, Rate::Flat}}};
  Season rest;
  rest.first = October / 1;
  rest.last = June / 30;
  rest.workday.periods = {{0, 480, Rate::Valley},   {480, 660, Rate::Peak},
                          {660, 1080, Rate::Flat},  {1080, 1260, Rate::Peak},
                          {1260, 1320, Rate::Flat}, {1320, 1440, Rate::Valley}};
  rest.weekend = summer.weekend;
  tariff.seasons = {summer, rest};
  tariff.calendar =
      HolidayCalendar({2024y / October / 1d, 2024y / October / 2d, 2024y / October / 3d},
                      {2024y / September / 29d});
  return tariff;
}

Tariff touTieredTariff() {
  Tariff tariff = touTariff();
  tariff.tiering = Tiering{TierBasis::Monthly,
                           TierPricing::Surcharge,
                           {{Energy::zero(), UnitPrice::fromMicroYuan(0)},
                            {Energy::fromCentiKwh(20'000), UnitPrice::fromMicroYuan(50'000)},
                            {Energy::fromCentiKwh(40'000), UnitPrice::fromMicroYuan(300'000)}}};
  return tariff;
}

Rater raterFor(Tariff tariff) {
  // Two versions, the second from mid-month, so version lookup is part of the work.
  auto cheaper = tariff;
  for (auto& price : cheaper.prices) {
    if (price) {
      price = UnitPrice::fromMicroYuan(price->microYuan() - 10'000);
    }
  }
  auto history = TariffHistory::create(
      {TariffVersion{Zone.instantAt(2024y / January / 1d, 0s), std::move(cheaper)},
       TariffVersion{Zone.instantAt(2024y / September / 15d, 0s), std::move(tariff)}});
  return Rater(std::move(*history), Zone);
}

// A month of 15-minute intervals starting 2024-09-01 00:00 local.
const std::vector<Consumption>& intervals() {
  static const std::vector<Consumption> all = [] {
    std::mt19937_64 random(20240901);
    std::uniform_int_distribution<std::int64_t> energy(0, 200);
    std::vector<Consumption> out;
    Instant start = Zone.instantAt(2024y / September / 1d, 0s);
    const Instant end = Zone.instantAt(2024y / October / 1d, 0s);
    for (; start < end; start += 15min) {
      Consumption used{start, start + 15min, Energy::fromCentiKwh(energy(random)), std::nullopt};
      // Register deltas: most of it on the rate the schedule says, some noise on another.
      const auto total = used.total.centiKwh();
      used.perRate = std::array<Energy, RateCount>{
          Energy::zero(), Energy::fromCentiKwh(total / 4), Energy::fromCentiKwh(total / 2),
          Energy::fromCentiKwh(total - total / 4 - total / 2)};
      out.push_back(used);
    }
    return out;
  }();
  return all;
}

void rateAll(benchmark::State& state, const Rater& rater, bool useRegisters) {
  const auto& all = intervals();
  std::vector<Consumption> input = all;
  if (!useRegisters) {
    for (auto& used : input) {
      used.perRate.reset();
    }
  }
  MeterRatingState meter;
  std::size_t index = 0;
  std::int64_t postedFen = 0;
  for (auto _ : state) {
    auto result = rater.rate(input[index], meter);
    if (!result) {
      state.SkipWithError(result.error().message.c_str());
      break;
    }
    postedFen += result->postedFen.fen();
    meter = result->after;
    if (++index == input.size()) {
      index = 0;
      meter = {};  // start the month again
    }
  }
  benchmark::DoNotOptimize(postedFen);
  state.counters["intervals/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void Baseline(benchmark::State& state) {
  // The same loop over the same data with no tariff: what moving the energies costs.
  const auto& input = intervals();
  std::size_t index = 0;
  std::int64_t sum = 0;
  for (auto _ : state) {
    sum += input[index].total.centiKwh();
    benchmark::DoNotOptimize(sum);
    if (++index == input.size()) {
      index = 0;
    }
  }
  state.counters["intervals/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void Flat(benchmark::State& state) {
  static const Rater rater = raterFor(Tariff::flat(UnitPrice::fromMicroYuan(853'200)));
  rateAll(state, rater, false);
}

void Tou(benchmark::State& state) {
  static const Rater rater = raterFor(touTariff());
  rateAll(state, rater, false);
}

void TouTiered(benchmark::State& state) {
  static const Rater rater = raterFor(touTieredTariff());
  rateAll(state, rater, false);
}

void TouTieredRegisters(benchmark::State& state) {
  static const Rater rater = raterFor(touTieredTariff());
  rateAll(state, rater, true);
}

BENCHMARK(Baseline);
BENCHMARK(Flat);
BENCHMARK(Tou);
BENCHMARK(TouTiered);
BENCHMARK(TouTieredRegisters);

// Keeps the console output and remembers each benchmark's rate for the summary.
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& run : runs) {
      const auto counter = run.counters.find("intervals/s");
      if (counter != run.counters.end() && !run.error_occurred) {
        m_rates[run.benchmark_name()] = counter->second.value;
      }
    }
  }
  [[nodiscard]] const std::map<std::string, double>& rates() const { return m_rates; }

 private:
  std::map<std::string, double> m_rates;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  const auto& rates = reporter.rates();
  const auto baseline = rates.find("Baseline");
  std::printf("\n%-20s %16s %18s\n", "rating", "intervals/s", "ratio to baseline");
  for (const auto& [name, rate] : rates) {
    const double ratio =
        baseline != rates.end() && baseline->second > 0 ? rate / baseline->second : 0.0;
    std::printf("%-20s %16.0f %18.4f\n", name.c_str(), rate, ratio);
  }
  const auto touTiered = rates.find("TouTiered");
  if (touTiered != rates.end()) {
    std::printf("goal TOU+tiered >= 2,000,000 intervals/s: %s\n",
                touTiered->second >= 2'000'000 ? "met" : "not met in this run");
  }
  return 0;
}
