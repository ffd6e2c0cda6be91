#pragma once

// What every billing operation loads about one meter inside its write transaction, and the
// helpers that map store errors into BillingError.

#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "prepaid/billing/billing_error.hpp"
#include "prepaid/billing/billing_service.hpp"
#include "prepaid/store/transaction.hpp"

namespace prepaid::backend::billing::detail {

/// A store result as a billing result (NotFound -> `notFound`).
template <typename T>
[[nodiscard]] std::expected<T, BillingError> lift(
    std::expected<T, store::StoreError> result, std::string_view context,
    BillingErrorCode notFound = BillingErrorCode::Storage) {
  if (!result) {
    return std::unexpected(fromStoreError(result.error(), context, notFound));
  }
  if constexpr (std::is_void_v<T>) {
    return {};
  } else {
    return std::move(*result);
  }
}

struct SiteContext {
  store::Settings settings;
  domain::SiteTimeZone zone;
};

[[nodiscard]] std::expected<SiteContext, BillingError> loadSite(store::WriteTransaction& tx);

struct MeterContext {
  store::Meter meter;
  std::optional<store::Account> account;  // the open account the meter is on
  std::int64_t balanceFen = 0;            // the ledger balance (sum of entries)
  store::MeterBillingState state;         // defaults when billing never saw the meter

  /// On an open account, status Opened, not replaced: readings are billed, alarms and trips apply.
  [[nodiscard]] bool billed() const {
    return account.has_value() && meter.status == store::MeterStatus::Opened &&
           !meter.replacedBy.has_value();
  }
  [[nodiscard]] bool meterSide() const {
    return meter.billingMode == domain::BillingMode::MeterSide;
  }
};

/// Loads a meter, its open account, balance and billing state. UnknownMeter when absent.
[[nodiscard]] std::expected<MeterContext, BillingError> loadMeter(store::WriteTransaction& tx,
                                                                  store::MeterId id);

/// Re-reads the ledger balance after a posting.
[[nodiscard]] std::expected<void, BillingError> refreshBalance(store::WriteTransaction& tx,
                                                               MeterContext& context);

/// "charge:<meter>:<epoch seconds of the reading>".
[[nodiscard]] std::string chargeKey(store::MeterId meter, domain::Instant readAt);

/// Seconds since the epoch, for keys and messages.
[[nodiscard]] std::int64_t epochSeconds(domain::Instant at);

}  // namespace prepaid::backend::billing::detail
