#include "prepaid/billing/billing_error.hpp"

#include <string>

namespace prepaid::backend::billing {

std::string_view toString(BillingErrorCode code) {
  switch (code) {
    case BillingErrorCode::UnknownMeter:
      return "unknown_meter";
    case BillingErrorCode::UnknownEntry:
      return "unknown_entry";
    case BillingErrorCode::UnknownTariff:
      return "unknown_tariff";
    case BillingErrorCode::AccountNotOpen:
      return "account_not_open";
    case BillingErrorCode::MeterClosed:
      return "meter_closed";
    case BillingErrorCode::SalesBlocked:
      return "sales_blocked";
    case BillingErrorCode::AboveHoardingCap:
      return "above_hoarding_cap";
    case BillingErrorCode::NonPositiveAmount:
      return "non_positive_amount";
    case BillingErrorCode::RefundAboveBalance:
      return "refund_above_balance";
    case BillingErrorCode::NotSupportedMeterSide:
      return "not_supported_meter_side";
    case BillingErrorCode::NotCorrectable:
      return "not_correctable";
    case BillingErrorCode::AlreadyCorrected:
      return "already_corrected";
    case BillingErrorCode::LedgerNotEmpty:
      return "ledger_not_empty";
    case BillingErrorCode::SettlementBlocked:
      return "settlement_blocked";
    case BillingErrorCode::IdempotencyConflict:
      return "idempotency_conflict";
    case BillingErrorCode::EmptyIdempotencyKey:
      return "empty_idempotency_key";
    case BillingErrorCode::MissingSource:
      return "missing_source";
    case BillingErrorCode::InvalidTariff:
      return "invalid_tariff";
    case BillingErrorCode::PriceChangeInPast:
      return "price_change_in_past";
    case BillingErrorCode::InvalidConfiguration:
      return "invalid_configuration";
    case BillingErrorCode::RatingFailed:
      return "rating_failed";
    case BillingErrorCode::Overflow:
      return "overflow";
    case BillingErrorCode::Busy:
      return "busy";
    case BillingErrorCode::Storage:
      return "storage";
  }
  return "unknown";
}

BillingError fromStoreError(const store::StoreError& error, std::string_view context,
                            BillingErrorCode notFound) {
  BillingErrorCode code = BillingErrorCode::Storage;
  switch (error.code) {
    case store::StoreErrorCode::NotFound:
      code = notFound;
      break;
    case store::StoreErrorCode::IdempotencyConflict:
      code = BillingErrorCode::IdempotencyConflict;
      break;
    case store::StoreErrorCode::Busy:
      code = BillingErrorCode::Busy;
      break;
    default:
      break;
  }
  return BillingError{code, std::string(context) + ": " + std::string(store::toString(error.code)) +
                                ": " + error.message};
}

}  // namespace prepaid::backend::billing
