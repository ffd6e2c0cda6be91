// Properties of the ledger: replaying entries reproduces balances; corrections restore balances.

#include "property.hpp"
#include <gtest/gtest.h>

#include "prepaid/domain/ledger.hpp"

namespace prepaid::domain {
namespace {

using namespace std::chrono_literals;
using testing::checkProperty;

const Instant T0{1'700'000'000s};

Money anyAmount() {
  return Money::fromFen(*rc::gen::inRange<std::int64_t>(-5, 50'000));
}

// Applies one random operation (valid or not; keys drawn from a small pool so retries and
// conflicts happen). Returns whether an entry was appended.
bool randomOperation(Ledger& ledger, int step) {
  const auto key = "k" + std::to_string(*rc::gen::inRange(0, 40));
  const Instant at = T0 + std::chrono::minutes(step);
  const auto size = ledger.entries().size();
  switch (*rc::gen::inRange(0, 9)) {
    case 0:
    case 1: {
      const auto count = ledger.purchaseCount() + (*rc::gen::inRange(0, 8) == 0 ? 2 : 1);
      (void)ledger.recharge(anyAmount(), count, key, at);
      break;
    }
    case 2:
      (void)ledger.refund(anyAmount(), key, at);
      break;
    case 3:
    case 4:
      (void)ledger.charge(anyAmount(), key, at);
      break;
    case 5:
      (void)ledger.allocate(anyAmount(), key, at);
      break;
    case 6:
      (void)ledger.correct(*rc::gen::inRange<std::int64_t>(0, static_cast<std::int64_t>(size) + 2),
                           key, at);
      break;
    case 7:
      (void)ledger.transferIn(anyAmount(), key, at);
      break;
    default:
      if (*rc::gen::inRange(0, 10) == 0) {
        (void)ledger.closeSettlement(key, at);
      }
      break;
  }
  return ledger.entries().size() > size;
}

std::int64_t sumOf(std::span<const LedgerEntry> entries) {
  std::int64_t sum = 0;
  for (const auto& entry : entries) {
    sum += entry.amount.fen();
  }
  return sum;
}

TEST(LedgerProperty, ReplayingEntriesReproducesBalances) {
  checkProperty([] {
    const AccountLimits limits{*rc::gen::arbitrary<bool>()
                                   ? std::optional(Money::fromFen(*rc::gen::inRange(0, 200'000)))
                                   : std::nullopt};
    const std::int64_t initialCount = *rc::gen::inRange(0, 100);
    Ledger ledger(limits, initialCount);
    const int steps = *rc::gen::inRange(0, 80);
    for (int step = 0; step < steps; ++step) {
      randomOperation(ledger, step);
      RC_ASSERT(sumOf(ledger.entries()) == ledger.balance().fen());
      // Every prefix replays to the balance it had.
      const auto replayed = Ledger::replay(ledger.entries(), limits, initialCount);
      RC_ASSERT(replayed.has_value());
      RC_ASSERT(replayed->balance() == ledger.balance());
      RC_ASSERT(replayed->purchaseCount() == ledger.purchaseCount());
      RC_ASSERT(replayed->isClosed() == ledger.isClosed());
      RC_ASSERT(std::ranges::equal(replayed->entries(), ledger.entries()));
    }
    if (!ledger.isClosed()) {
      RC_ASSERT(ledger.balance() >= Money::zero() || !ledger.entries().empty());
    }
  });
}

TEST(LedgerProperty, CorrectionsRestoreThePreEntryBalance) {
  checkProperty([] {
    Ledger ledger;
    const int steps = *rc::gen::inRange(0, 40);
    for (int step = 0; step < steps; ++step) {
      const auto before = ledger.balance();
      if (randomOperation(ledger, step) && !ledger.isClosed()) {
        const auto& entry = ledger.entries().back();
        const bool correctable = entry.kind != EntryKind::Correction &&
                                 entry.kind != EntryKind::TransferIn &&
                                 entry.kind != EntryKind::CloseSettlement;
        if (correctable && *rc::gen::inRange(0, 3) == 0) {
          const auto corrected = ledger.correct(entry.sequence, "fix-" + std::to_string(step), T0);
          RC_ASSERT(corrected.has_value());
          RC_ASSERT(ledger.balance() == before);
        }
      }
    }
    // Correcting any earlier uncorrected entry removes exactly its amount.
    if (!ledger.isClosed()) {
      for (const auto& entry :
           std::vector<LedgerEntry>(ledger.entries().begin(), ledger.entries().end())) {
        const auto before = ledger.balance();
        const auto corrected = ledger.correct(entry.sequence, "late-" + entry.idempotencyKey, T0);
        if (corrected && corrected->posting == Posting::New) {
          RC_ASSERT(ledger.balance().fen() == before.fen() - entry.amount.fen());
        }
      }
    }
  });
}

}  // namespace
}  // namespace prepaid::domain
