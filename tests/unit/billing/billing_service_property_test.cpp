// Property test (fixed seed): random sequences of sales, replays, refunds, corrections and
// readings keep every balance equal to the sum of its entries (Store::verifyLedger) and equal to
// a model built only from what the service reported.

#include <map>
#include <random>

#include "billing_fixture.hpp"

namespace prepaid::backend::billing::testing {
namespace {

class PropertyTest : public BillingTest {};

TEST_F(PropertyTest, RandomOperationsKeepBalanceEqualToTheSumOfEntries) {
  std::mt19937_64 rng(20241121);
  const auto pick = [&](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };
  updateSettings([](store::Settings& s) { s.hoardingCapFen = 30'000; });
  std::vector<store::MeterId> meters;
  std::map<store::MeterId, std::int64_t> model;
  std::map<store::MeterId, std::int64_t> registers;
  for (int i = 0; i < 3; ++i) {
    const auto m = addMeter(MeterSetup().withTrip(i == 0 ? domain::TripPolicyKind::Immediate
                                                         : domain::TripPolicyKind::Never));
    meters.push_back(m);
    model[m] = 0;
    registers[m] = pick(0, 1'000'000);
    process({reading(m, now, registers[m])});
  }
  struct Sale {
    store::MeterId meter;
    std::int64_t amountFen;
    std::string key;
  };
  std::vector<Sale> sales;
  std::vector<store::LedgerEntryId> posted;
  std::int64_t accepted = 0;
  std::int64_t refused = 0;
  for (int step = 0; step < 400; ++step) {
    now += std::chrono::seconds(pick(1, 900));
    const auto m = meters[static_cast<std::size_t>(pick(0, 2))];
    const std::string key = "k" + std::to_string(step);
    std::expected<Receipt, BillingError> result = std::unexpected(BillingError{});
    switch (pick(0, 5)) {
      case 0:
      case 1: {
        const auto fen = pick(-10, 8'000);
        result = trySell(m, fen, key);
        if (result && result->replay == Replay::New) {
          sales.push_back({m, fen, key});
        }
        break;
      }
      case 2: {
        if (sales.empty()) {
          continue;
        }
        const auto& sale =
            sales[static_cast<std::size_t>(pick(0, static_cast<std::int64_t>(sales.size()) - 1))];
        result = trySell(sale.meter, sale.amountFen, sale.key);
        EXPECT_TRUE(result) << result.error().message;
        EXPECT_EQ(result->replay, Replay::Replayed);
        break;
      }
      case 3:
        result = tryRefund(m, pick(1, std::max<std::int64_t>(model[m] + 200, 1)), key);
        break;
      case 4: {
        if (posted.empty()) {
          continue;
        }
        result = tryCorrect(
            posted[static_cast<std::size_t>(pick(0, static_cast<std::int64_t>(posted.size()) - 1))],
            key);
        break;
      }
      default: {
        registers[m] += pick(0, 3'000);
        std::vector<store::Reading> batch = {reading(m, now, registers[m])};
        if (pick(0, 3) == 0) {
          batch.push_back(batch.front());  // the same reading twice in one batch
        }
        const auto summary = process(batch);
        model[m] -= summary.chargedFen;
        if (summary.readings.front().chargeEntryId) {
          posted.push_back(*summary.readings.front().chargeEntryId);
        }
        continue;
      }
    }
    if (result) {
      ++accepted;
      if (result->replay == Replay::New) {
        model[result->meterId] += result->amountFen;
        posted.push_back(result->entryId);
      }
      EXPECT_EQ(result->balanceAfterFen,
                result->replay == Replay::New ? model[result->meterId] : result->balanceAfterFen);
    } else {
      ++refused;
    }
    if (step % 50 == 0) {
      expectLedgerConsistent();
    }
    for (const auto meter : meters) {
      ASSERT_EQ(balance(meter), model[meter]) << "step " << step;
    }
  }
  expectLedgerConsistent();
  for (const auto meter : meters) {
    std::int64_t sum = 0;
    for (const auto& e : entries(meter)) {
      sum += e.amountFen;
    }
    EXPECT_EQ(sum, model[meter]);
  }
  // The sequence exercised both outcomes.
  EXPECT_GT(accepted, 50);
  EXPECT_GT(refused, 10);
}

}  // namespace
}  // namespace prepaid::backend::billing::testing
