#pragma once

// Ledger rules (DOMAIN.md "Money rules"): every change of a meter account's balance is an
// append-only entry; the balance is the sum of the entries; a correction reverses one earlier entry
// with a new entry; every entry carries the idempotency key of the request that made it.

#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "prepaid/domain/money.hpp"
#include "prepaid/domain/time.hpp"

namespace prepaid::domain {

/// What a ledger entry does to a balance (DOMAIN.md "Money rules").
enum class EntryKind {
  Recharge,         // 售电/充值: credit from a sale or payment
  Refund,           // 退电: money paid back to the tenant (debit)
  Correction,       // 冲正: exactly reverses one earlier recharge/refund entry
  Charge,           // 用电扣费: energy charge (debit)
  Allocation,       // 公摊: share of a public-area meter (debit)
  TransferIn,       // 老表金额转入: balance carried from a replaced meter (credit)
  TransferOut,      // balance carried out of a replaced meter (debit)
  CloseSettlement,  // 销户结算: settles the account to zero on close
};

/// The stable lower_snake_case name ("recharge", "transfer_in", ...), used in storage and on the
/// wire.
[[nodiscard]] constexpr std::string_view toString(EntryKind kind) {
  switch (kind) {
    case EntryKind::Recharge:
      return "recharge";
    case EntryKind::Refund:
      return "refund";
    case EntryKind::Correction:
      return "correction";
    case EntryKind::Charge:
      return "charge";
    case EntryKind::Allocation:
      return "allocation";
    case EntryKind::TransferIn:
      return "transfer_in";
    case EntryKind::TransferOut:
      return "transfer_out";
    case EntryKind::CloseSettlement:
      return "close_settlement";
  }
  return "unknown";
}

/// Parses a name produced by toString(EntryKind); nullopt for anything else (case-sensitive).
[[nodiscard]] constexpr std::optional<EntryKind> parseEntryKind(std::string_view name) {
  for (const auto kind : {EntryKind::Recharge, EntryKind::Refund, EntryKind::Correction,
                          EntryKind::Charge, EntryKind::Allocation, EntryKind::TransferIn,
                          EntryKind::TransferOut, EntryKind::CloseSettlement}) {
    if (toString(kind) == name) {
      return kind;
    }
  }
  return std::nullopt;
}

/// One entry of one account's ledger.
struct LedgerEntry {
  std::int64_t sequence = 0;  // 1-based position in the account's ledger
  EntryKind kind = EntryKind::Recharge;
  Money amount;                // signed change of the balance: credit > 0, debit < 0
  std::string idempotencyKey;  // unique within the account
  Instant at;
  std::optional<std::int64_t> corrects;  // Correction: the sequence it reverses
  std::optional<std::int64_t>
      purchaseCount;  // Recharge: the purchase count (购电次数) of this sale
  bool operator==(const LedgerEntry&) const = default;
};

enum class LedgerErrorCode {
  EmptyIdempotencyKey,         // every request needs a key
  IdempotencyConflict,         // the key was used for a different request
  NonPositiveAmount,           // recharge/refund/charge/allocation amounts must be > 0
  ZeroTransfer,                // a transfer in of 0
  RefundAboveBalance,          // refund larger than the balance
  AboveHoardingCap,            // recharge would lift the balance above the cap (囤积金额上限)
  AccountClosed,               // the account was settled or transferred out
  PurchaseCountOutOfSequence,  // a recharge's purchase count is not the last one + 1
  UnknownEntry,                // correction of a sequence that does not exist
  NotCorrectable,              // corrections, transfers and settlements cannot be corrected
  AlreadyCorrected,            // an entry is corrected at most once
  Overflow,                    // the balance would not fit in int64 fen
  InconsistentEntry,           // replay(): a stored entry is not what the rules produce
};

struct LedgerError {
  LedgerErrorCode code = LedgerErrorCode::Overflow;
  std::string message;
};

/// Limits of one account.
struct AccountLimits {
  std::optional<Money> hoardingCap;  // highest balance a recharge may reach; none = no cap
};

enum class Posting {
  New,       // the entry was appended now
  Replayed,  // the key was seen before; this is the entry it made then (nothing appended)
};

struct Posted {
  LedgerEntry entry;
  Posting posting = Posting::New;
};

/// One meter account's ledger and its rules. Operations validate, append and return the entry
/// (the caller persists it); a repeated idempotency key with the same request returns the first
/// entry as Replayed, with a different request IdempotencyConflict. Not thread-safe.
class Ledger {
 public:
  /// An empty open account whose meter's purchase count is `purchaseCount` (0 for a new meter).
  explicit Ledger(AccountLimits limits = {}, std::int64_t purchaseCount = 0);

  /// Rebuilds an account from stored entries, re-checking every rule; InconsistentEntry (naming
  /// the sequence) if an entry is not what the rules would have produced.
  [[nodiscard]] static std::expected<Ledger, LedgerError> replay(
      std::span<const LedgerEntry> entries, AccountLimits limits = {},
      std::int64_t initialPurchaseCount = 0);

  /// 售电: credits amount > 0. `purchaseCount` must be purchaseCount() + 1. Errors:
  /// NonPositiveAmount, AboveHoardingCap, PurchaseCountOutOfSequence, AccountClosed.
  [[nodiscard]] std::expected<Posted, LedgerError> recharge(Money amount,
                                                            std::int64_t purchaseCount,
                                                            std::string idempotencyKey, Instant at);
  /// 退电: debits amount > 0, at most the balance. Errors: NonPositiveAmount, RefundAboveBalance.
  [[nodiscard]] std::expected<Posted, LedgerError> refund(Money amount, std::string idempotencyKey,
                                                          Instant at);
  /// 冲正: appends the exact negation of entry `sequence` (a recharge, refund, charge or
  /// allocation not corrected before). The purchase count is not rolled back. Errors:
  /// UnknownEntry, NotCorrectable, AlreadyCorrected.
  [[nodiscard]] std::expected<Posted, LedgerError> correct(std::int64_t sequence,
                                                           std::string idempotencyKey, Instant at);
  /// 用电扣费: debits amount > 0; the balance may go negative (arrears).
  [[nodiscard]] std::expected<Posted, LedgerError> charge(Money amount, std::string idempotencyKey,
                                                          Instant at);
  /// 公摊: debits amount > 0; the balance may go negative.
  [[nodiscard]] std::expected<Posted, LedgerError> allocate(Money amount,
                                                            std::string idempotencyKey, Instant at);
  /// 老表金额转入: credits (or, for an old meter in arrears, debits) a replaced meter's balance;
  /// not subject to the hoarding cap. Error ZeroTransfer.
  [[nodiscard]] std::expected<Posted, LedgerError> transferIn(Money amount,
                                                              std::string idempotencyKey,
                                                              Instant at);
  /// Moves the whole balance out of a replaced meter's account and closes it.
  [[nodiscard]] std::expected<Posted, LedgerError> transferOut(std::string idempotencyKey,
                                                               Instant at);
  /// 销户结算: settles the balance to zero (money back, or arrears collected) and closes.
  [[nodiscard]] std::expected<Posted, LedgerError> closeSettlement(std::string idempotencyKey,
                                                                   Instant at);

  /// The sum of all entries.
  [[nodiscard]] Money balance() const { return m_balance; }
  [[nodiscard]] bool isClosed() const { return m_closed; }
  /// The purchase count of the last recharge (or the initial count).
  [[nodiscard]] std::int64_t purchaseCount() const { return m_purchaseCount; }
  [[nodiscard]] std::span<const LedgerEntry> entries() const { return m_entries; }
  /// The entry made with `idempotencyKey`, or nullptr.
  [[nodiscard]] const LedgerEntry* findByKey(std::string_view idempotencyKey) const;

 private:
  struct Request;
  std::expected<Posted, LedgerError> post(const Request& request);

  AccountLimits m_limits;
  std::vector<LedgerEntry> m_entries;
  std::unordered_map<std::string, std::size_t> m_byKey;
  std::vector<bool> m_corrected;  // by sequence - 1
  Money m_balance;
  std::int64_t m_purchaseCount = 0;
  bool m_closed = false;
};

}  // namespace prepaid::domain
