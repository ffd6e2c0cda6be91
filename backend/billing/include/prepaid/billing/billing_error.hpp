#pragma once

// The one error type of prepaid::billing. Store and domain errors are mapped onto these codes at
// the boundary (see billing_error.cpp); the message keeps the original detail.

#include <string>
#include <string_view>

#include "prepaid/store/store_error.hpp"

namespace prepaid::backend::billing {

enum class BillingErrorCode {
  UnknownMeter,           // no meter with that id
  UnknownEntry,           // no ledger entry with that id
  UnknownTariff,          // no tariff with that id
  AccountNotOpen,         // the meter is not on an open account (未开户)
  MeterClosed,            // the meter's account was closed (销户) or the meter was replaced
  SalesBlocked,           // sales on this meter are blocked (e.g. purchase-count mismatch)
  AboveHoardingCap,       // the recharge would lift the balance above the cap (囤积金额上限)
  NonPositiveAmount,      // an amount <= 0 where a positive amount is required
  RefundAboveBalance,     // a refund larger than the balance
  NotSupportedMeterSide,  // the operation cannot be carried out on a meter-side meter (no refund
                          // in the meter protocol; a delivered recharge cannot be taken back)
  NotCorrectable,         // only recharges and refunds can be corrected (not corrections)
  AlreadyCorrected,       // an entry is corrected at most once
  LedgerNotEmpty,         // an opening balance for a meter that already has ledger entries
  SettlementBlocked,      // a transfer/close cannot settle now: the old meter is in arrears, or a
                          // recharge was sent to the meter and is not confirmed yet
  IdempotencyConflict,    // the key was used before for a different request
  EmptyIdempotencyKey,    // every money-moving request needs a key
  MissingSource,          // every money-moving request names its operator or channel
  InvalidTariff,          // a tariff that the domain rules refuse
  PriceChangeInPast,      // a new tariff version must not take effect before now
  InvalidConfiguration,   // thresholds / trip policy of a meter that the domain rules refuse
  RatingFailed,           // the domain Rater refused an interval (message says why)
  Overflow,               // an amount does not fit in int64 fen
  Busy,                   // the database stayed locked (retry later)
  Storage,                // any other store failure (message has the store's code and text)
};

/// "unknown_meter", "sales_blocked", … (stable, for logs and for API error codes).
[[nodiscard]] std::string_view toString(BillingErrorCode code);

struct BillingError {
  BillingErrorCode code = BillingErrorCode::Storage;
  std::string message;  // one line, English, names the meter/entry where known
};

/// Maps a store error: NotFound -> `notFound`, IdempotencyConflict, Busy, anything else ->
/// Storage; the message is prefixed with `context` and keeps the store's code name.
[[nodiscard]] BillingError fromStoreError(const store::StoreError& error, std::string_view context,
                                          BillingErrorCode notFound = BillingErrorCode::Storage);

}  // namespace prepaid::backend::billing
