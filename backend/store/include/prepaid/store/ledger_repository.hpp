#pragma once

// The ledger (账): append-only money entries per meter, and the per-meter balance cache.
// UPDATE and DELETE on ledger entries are rejected by database triggers; a mistake is fixed with a
// new Correction entry pointing at the one it reverses.

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "prepaid/domain/ledger.hpp"
#include "prepaid/domain/time.hpp"
#include "prepaid/store/ids.hpp"
#include "prepaid/store/store_error.hpp"

namespace prepaid::store {

struct LedgerEntry {
  LedgerEntryId id = 0;
  MeterId meterId = 0;
  std::optional<AccountId> accountId;
  domain::EntryKind kind = domain::EntryKind::Recharge;
  std::int64_t amountFen = 0;  // signed: credits > 0, debits < 0
  std::string idempotencyKey;  // unique over the whole ledger, chosen by the caller
  std::optional<LedgerEntryId> referencedEntryId;  // the entry a Correction reverses
  std::optional<std::int64_t> purchaseCount;       // a recharge's purchase count
  std::string source;                              // operator name or service ("billing", "pay")
  std::string note;
  std::optional<domain::Instant> usageAt;  // Charge/Allocation: end of the billed interval
  domain::Instant createdAt{};
};

enum class AppendOutcome {
  Appended,  // a new entry was written
  Replayed,  // the key existed with the same meter, kind and amount: that entry is returned
};

struct AppendResult {
  LedgerEntry entry;
  AppendOutcome outcome = AppendOutcome::Appended;
};

struct BalanceCheck {
  MeterId meterId = 0;
  std::int64_t cachedFen = 0;  // meter_balances (0 when no row)
  std::int64_t sumFen = 0;     // SUM(amount_fen) of the ledger
  std::int64_t cachedEntryCount = 0;
  std::int64_t entryCount = 0;
  [[nodiscard]] bool consistent() const {
    return cachedFen == sumFen && cachedEntryCount == entryCount;
  }
};

struct LedgerVerification {
  std::int64_t metersChecked = 0;
  std::int64_t entriesChecked = 0;
  std::vector<BalanceCheck> mismatches;  // empty when every cache equals its sum
  [[nodiscard]] bool ok() const { return mismatches.empty(); }
};

class LedgerRepository {
 public:
  virtual ~LedgerRepository() = default;

  /// Appends an entry (entry.id ignored) and updates the meter's balance cache and, for
  /// Charge/Allocation, the roll-ups of the period of usageAt (createdAt when unset).
  /// Idempotency: if the key exists with the same meter, kind and amount, nothing is written
  /// and the existing entry is returned with AppendOutcome::Replayed; with different values it
  /// is IdempotencyConflict. InvalidArgument: empty key/source, a Correction without a
  /// referenced entry or whose amount is not the exact negation of it, amount sign wrong for
  /// the kind (Recharge/TransferIn > 0; Refund < 0; Charge/Allocation/TransferOut <= 0), or a
  /// balance overflow. Money-moving: call inside Store::write with Durability::Full.
  [[nodiscard]] virtual std::expected<AppendResult, StoreError> append(
      const LedgerEntry& entry) = 0;

  /// One entry; NotFound when absent.
  [[nodiscard]] virtual std::expected<LedgerEntry, StoreError> entry(LedgerEntryId id) const = 0;
  /// The entry with this idempotency key, or nullopt.
  [[nodiscard]] virtual std::expected<std::optional<LedgerEntry>, StoreError> entryByKey(
      const std::string& idempotencyKey) const = 0;
  /// Entries of a meter with from <= createdAt < to, oldest first, at most `limit`.
  [[nodiscard]] virtual std::expected<std::vector<LedgerEntry>, StoreError> entries(
      MeterId meter, domain::Instant from, domain::Instant to, std::int64_t limit) const = 0;
  /// Corrections that reference an entry (to refuse a second correction of it).
  [[nodiscard]] virtual std::expected<std::vector<LedgerEntry>, StoreError> correctionsOf(
      LedgerEntryId id) const = 0;

  /// The balance of a meter right after entry `id` (sum of its entries with id <= `id`), for
  /// receipts of replayed requests. NotFound when the entry is not the meter's.
  [[nodiscard]] virtual std::expected<std::int64_t, StoreError> balanceThroughEntryFen(
      MeterId meter, LedgerEntryId id) const = 0;
  /// The cached balance of a meter in fen (0 for a meter without entries).
  [[nodiscard]] virtual std::expected<std::int64_t, StoreError> balanceFen(MeterId meter) const = 0;
  /// Compares a meter's cached balance and entry count with the sum over its entries.
  [[nodiscard]] virtual std::expected<BalanceCheck, StoreError> checkBalance(
      MeterId meter) const = 0;
  /// Checks every meter (those with entries and those with a cache row).
  [[nodiscard]] virtual std::expected<LedgerVerification, StoreError> verifyAll() const = 0;
};

}  // namespace prepaid::store
