#include "prepaid/domain/ledger.hpp"

#include <limits>

namespace prepaid::domain {
namespace {

std::unexpected<LedgerError> fail(LedgerErrorCode code, std::string message) {
  return std::unexpected(LedgerError{code, std::move(message)});
}

bool correctable(EntryKind kind) {
  return kind == EntryKind::Recharge || kind == EntryKind::Refund || kind == EntryKind::Charge ||
         kind == EntryKind::Allocation;
}

}  // namespace

// What a caller asked for; the entry is derived from it, and a replayed key is compared to it.
struct Ledger::Request {
  EntryKind kind;
  std::optional<Money> amount;  // as given by the caller (magnitude, or signed for transfers)
  std::string key;
  Instant at;
  std::optional<std::int64_t> corrects;
  std::optional<std::int64_t> purchaseCount;
};

Ledger::Ledger(AccountLimits limits, std::int64_t purchaseCount)
    : m_limits(limits), m_purchaseCount(purchaseCount) {}

const LedgerEntry* Ledger::findByKey(std::string_view idempotencyKey) const {
  const auto found = m_byKey.find(std::string(idempotencyKey));
  return found == m_byKey.end() ? nullptr : &m_entries[found->second];
}

std::expected<Posted, LedgerError> Ledger::post(const Request& request) {
  if (request.key.empty()) {
    return fail(LedgerErrorCode::EmptyIdempotencyKey, "an idempotency key is required");
  }
  if (const auto* existing = findByKey(request.key)) {
    // The same request again (a duplicate notification, a retry after a lost reply) gets the
    // first answer; the key reused for something else is refused.
    const bool sameKind = existing->kind == request.kind;
    bool sameRequest = sameKind && existing->corrects == request.corrects &&
                       existing->purchaseCount == request.purchaseCount;
    if (sameRequest && request.amount) {
      const bool debit = request.kind == EntryKind::Refund || request.kind == EntryKind::Charge ||
                         request.kind == EntryKind::Allocation;
      sameRequest = (debit ? existing->amount.negated() : existing->amount) == *request.amount;
    }
    if (!sameRequest) {
      return fail(LedgerErrorCode::IdempotencyConflict,
                  "idempotency key '" + request.key + "' was already used for entry " +
                      std::to_string(existing->sequence) + " (" +
                      std::string(toString(existing->kind)) + ") with different content");
    }
    return Posted{*existing, Posting::Replayed};
  }
  if (m_closed) {
    return fail(LedgerErrorCode::AccountClosed, "the account is closed");
  }

  LedgerEntry entry;
  entry.sequence = static_cast<std::int64_t>(m_entries.size()) + 1;
  entry.kind = request.kind;
  entry.idempotencyKey = request.key;
  entry.at = request.at;
  entry.corrects = request.corrects;
  entry.purchaseCount = request.purchaseCount;
  const auto requirePositive = [&]() -> std::expected<void, LedgerError> {
    if (!request.amount || *request.amount <= Money::zero()) {
      return fail(LedgerErrorCode::NonPositiveAmount,
                  std::string(toString(request.kind)) + " amount must be above zero");
    }
    return {};
  };
  switch (request.kind) {
    case EntryKind::Recharge: {
      if (auto ok = requirePositive(); !ok) {
        return std::unexpected(ok.error());
      }
      if (request.purchaseCount != m_purchaseCount + 1) {
        return fail(LedgerErrorCode::PurchaseCountOutOfSequence,
                    "purchase count " + std::to_string(request.purchaseCount.value_or(0)) +
                        " out of sequence: expected " + std::to_string(m_purchaseCount + 1));
      }
      entry.amount = *request.amount;
      break;
    }
    case EntryKind::Refund: {
      if (auto ok = requirePositive(); !ok) {
        return std::unexpected(ok.error());
      }
      if (*request.amount > m_balance) {
        return fail(LedgerErrorCode::RefundAboveBalance,
                    "refund of " + formatYuan(*request.amount) + " yuan is above the balance of " +
                        formatYuan(m_balance) + " yuan");
      }
      entry.amount = Money::fromFen(-request.amount->fen());
      break;
    }
    case EntryKind::Charge:
    case EntryKind::Allocation: {
      if (auto ok = requirePositive(); !ok) {
        return std::unexpected(ok.error());
      }
      entry.amount = Money::fromFen(-request.amount->fen());
      break;
    }
    case EntryKind::Correction: {
      const auto target = request.corrects.value_or(0);
      if (target < 1 || target > static_cast<std::int64_t>(m_entries.size())) {
        return fail(LedgerErrorCode::UnknownEntry,
                    "entry " + std::to_string(target) + " does not exist");
      }
      const auto& original = m_entries[static_cast<std::size_t>(target - 1)];
      if (!correctable(original.kind)) {
        return fail(LedgerErrorCode::NotCorrectable, "entry " + std::to_string(target) + " is a " +
                                                         std::string(toString(original.kind)) +
                                                         ", which cannot be corrected");
      }
      if (m_corrected[static_cast<std::size_t>(target - 1)]) {
        return fail(LedgerErrorCode::AlreadyCorrected,
                    "entry " + std::to_string(target) + " was already corrected");
      }
      const auto negated = original.amount.negated();
      if (!negated) {
        return fail(LedgerErrorCode::Overflow, "correction amount overflows");
      }
      entry.amount = *negated;
      break;
    }
    case EntryKind::TransferIn: {
      if (!request.amount || *request.amount == Money::zero()) {
        return fail(LedgerErrorCode::ZeroTransfer, "a transfer in needs a non-zero amount");
      }
      entry.amount = *request.amount;
      break;
    }
    case EntryKind::TransferOut:
    case EntryKind::CloseSettlement: {
      const auto negated = m_balance.negated();
      if (!negated) {
        return fail(LedgerErrorCode::Overflow, "settlement amount overflows");
      }
      entry.amount = *negated;
      break;
    }
  }
  const auto newBalance = m_balance.plus(entry.amount);
  if (!newBalance) {
    return fail(LedgerErrorCode::Overflow, "the balance would overflow");
  }
  if (request.kind == EntryKind::Recharge && m_limits.hoardingCap &&
      *newBalance > *m_limits.hoardingCap) {
    return fail(LedgerErrorCode::AboveHoardingCap,
                "recharge would raise the balance to " + formatYuan(*newBalance) +
                    " yuan, above the cap of " + formatYuan(*m_limits.hoardingCap) + " yuan");
  }

  // Every check passed: apply.
  m_balance = *newBalance;
  if (request.kind == EntryKind::Recharge) {
    m_purchaseCount = *request.purchaseCount;
  }
  if (request.kind == EntryKind::Correction) {
    m_corrected[static_cast<std::size_t>(*request.corrects - 1)] = true;
  }
  if (request.kind == EntryKind::TransferOut || request.kind == EntryKind::CloseSettlement) {
    m_closed = true;
  }
  m_corrected.push_back(false);
  m_byKey.emplace(entry.idempotencyKey, m_entries.size());
  m_entries.push_back(entry);
  return Posted{std::move(entry), Posting::New};
}

std::expected<Posted, LedgerError> Ledger::recharge(Money amount, std::int64_t purchaseCount,
                                                    std::string idempotencyKey, Instant at) {
  return post(
      {EntryKind::Recharge, amount, std::move(idempotencyKey), at, std::nullopt, purchaseCount});
}

std::expected<Posted, LedgerError> Ledger::refund(Money amount, std::string idempotencyKey,
                                                  Instant at) {
  return post(
      {EntryKind::Refund, amount, std::move(idempotencyKey), at, std::nullopt, std::nullopt});
}

std::expected<Posted, LedgerError> Ledger::correct(std::int64_t sequence,
                                                   std::string idempotencyKey, Instant at) {
  return post(
      {EntryKind::Correction, std::nullopt, std::move(idempotencyKey), at, sequence, std::nullopt});
}

std::expected<Posted, LedgerError> Ledger::charge(Money amount, std::string idempotencyKey,
                                                  Instant at) {
  return post(
      {EntryKind::Charge, amount, std::move(idempotencyKey), at, std::nullopt, std::nullopt});
}

std::expected<Posted, LedgerError> Ledger::allocate(Money amount, std::string idempotencyKey,
                                                    Instant at) {
  return post(
      {EntryKind::Allocation, amount, std::move(idempotencyKey), at, std::nullopt, std::nullopt});
}

std::expected<Posted, LedgerError> Ledger::transferIn(Money amount, std::string idempotencyKey,
                                                      Instant at) {
  return post(
      {EntryKind::TransferIn, amount, std::move(idempotencyKey), at, std::nullopt, std::nullopt});
}

std::expected<Posted, LedgerError> Ledger::transferOut(std::string idempotencyKey, Instant at) {
  return post({EntryKind::TransferOut, std::nullopt, std::move(idempotencyKey), at, std::nullopt,
               std::nullopt});
}

std::expected<Posted, LedgerError> Ledger::closeSettlement(std::string idempotencyKey, Instant at) {
  return post({EntryKind::CloseSettlement, std::nullopt, std::move(idempotencyKey), at,
               std::nullopt, std::nullopt});
}

std::expected<Ledger, LedgerError> Ledger::replay(std::span<const LedgerEntry> entries,
                                                  AccountLimits limits,
                                                  std::int64_t initialPurchaseCount) {
  Ledger ledger(limits, initialPurchaseCount);
  for (const auto& stored : entries) {
    const auto where = "entry " + std::to_string(stored.sequence) + ": ";
    if (ledger.findByKey(stored.idempotencyKey) != nullptr) {
      return fail(LedgerErrorCode::InconsistentEntry,
                  where + "repeats idempotency key '" + stored.idempotencyKey + "'");
    }
    Request request{stored.kind, std::nullopt,    stored.idempotencyKey,
                    stored.at,   stored.corrects, stored.purchaseCount};
    switch (stored.kind) {
      case EntryKind::Recharge:
      case EntryKind::TransferIn:
        request.amount = stored.amount;
        break;
      case EntryKind::Refund:
      case EntryKind::Charge:
      case EntryKind::Allocation:
        request.amount = Money::fromFen(
            stored.amount.fen() == std::numeric_limits<std::int64_t>::min() ? 0
                                                                            : -stored.amount.fen());
        break;
      case EntryKind::Correction:
      case EntryKind::TransferOut:
      case EntryKind::CloseSettlement:
        break;
    }
    auto posted = ledger.post(request);
    if (!posted) {
      return fail(LedgerErrorCode::InconsistentEntry, where + posted.error().message);
    }
    if (posted->entry != stored) {
      return fail(LedgerErrorCode::InconsistentEntry,
                  where + "stored " + std::string(toString(stored.kind)) + " of " +
                      formatYuan(stored.amount) + " yuan (sequence " +
                      std::to_string(stored.sequence) + ") differs from the rules' " +
                      formatYuan(posted->entry.amount) + " yuan (sequence " +
                      std::to_string(posted->entry.sequence) + ")");
    }
  }
  return ledger;
}

}  // namespace prepaid::domain
