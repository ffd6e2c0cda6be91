#pragma once

// Ledger rules: entry kinds and (below) the checks every balance-changing entry must pass.

#include <optional>
#include <string_view>

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

}  // namespace prepaid::domain
