#include "meter_context.hpp"

namespace prepaid::backend::billing::detail {

std::expected<SiteContext, BillingError> loadSite(store::WriteTransaction& tx) {
  auto settings = lift(tx.site().settings(), "site settings");
  if (!settings) {
    return std::unexpected(settings.error());
  }
  auto site = lift(tx.site().site(), "site");
  if (!site) {
    return std::unexpected(site.error());
  }
  return SiteContext{std::move(*settings), site->timeZone};
}

std::expected<MeterContext, BillingError> loadMeter(store::WriteTransaction& tx,
                                                    store::MeterId id) {
  MeterContext context;
  const std::string what = "meter " + std::to_string(id);
  auto meter = lift(tx.meters().meter(id), what, BillingErrorCode::UnknownMeter);
  if (!meter) {
    return std::unexpected(meter.error());
  }
  context.meter = std::move(*meter);
  auto account = lift(tx.accounts().openAccountOfMeter(id), what + " account");
  if (!account) {
    return std::unexpected(account.error());
  }
  context.account = *account;
  auto state = lift(tx.billingState().state(id), what + " billing state");
  if (!state) {
    return std::unexpected(state.error());
  }
  if (*state) {
    context.state = std::move(**state);
  } else {
    context.state.meterId = id;
  }
  if (auto refreshed = refreshBalance(tx, context); !refreshed) {
    return std::unexpected(refreshed.error());
  }
  return context;
}

std::expected<void, BillingError> refreshBalance(store::WriteTransaction& tx,
                                                 MeterContext& context) {
  auto balance = lift(tx.ledger().balanceFen(context.meter.id),
                      "meter " + std::to_string(context.meter.id) + " balance");
  if (!balance) {
    return std::unexpected(balance.error());
  }
  context.balanceFen = *balance;
  return {};
}

std::int64_t epochSeconds(domain::Instant at) {
  return at.time_since_epoch().count();
}

std::string chargeKey(store::MeterId meter, domain::Instant readAt) {
  return "charge:" + std::to_string(meter) + ":" + std::to_string(epochSeconds(readAt));
}

}  // namespace prepaid::backend::billing::detail
