#pragma once

// Per-meter views computed from one read snapshot: balance, tenant status, staff colour, relay,
// last reading, today's energy, days left, usage series from roll-ups. Shared by the kiosk and
// staff routes so both show the same numbers.

#include <expected>
#include <string>
#include <string_view>

#include "server_core.hpp"

#include "prepaid/api/wire_types.hpp"
#include "prepaid/store/transaction.hpp"

namespace prepaid::backend::http {

struct MeterFacts {
  store::Meter meter;
  std::int64_t balanceFen = 0;
  api::MeterStatusCode status = api::MeterStatusCode::Normal;
  api::StatusColour colour = api::StatusColour::NotOpened;
  std::optional<store::Reading> latest;
  std::int64_t todayEnergyCentiKwh = 0;
  api::DaysLeftState daysLeftState = api::DaysLeftState::NotEnoughHistory;
  std::optional<std::int64_t> daysLeft;
};

enum class WithDaysLeft {
  No,
  Yes,
};

/// Everything the views show about one meter.
[[nodiscard]] std::expected<MeterFacts, ApiError> meterFacts(
    const store::ReadTransaction& tx, const store::Meter& meter, const store::Settings& settings,
    const domain::SiteTimeZone& zone, domain::Instant now, WithDaysLeft daysLeft);

/// The kiosk view of one meter (personal fields only when `personal`).
[[nodiscard]] api::MeterView meterView(const MeterFacts& facts, const store::Settings& settings,
                                       const domain::SiteTimeZone& zone, bool personal);

/// Usage of a meter: "hour" (today by hour), "day" (last 30 days), "month" (last 12 months).
[[nodiscard]] std::expected<api::UsageSeries, ApiError> usageSeries(
    const store::ReadTransaction& tx, store::MeterId meter, const std::string& granularity,
    const domain::SiteTimeZone& zone, domain::Instant now);

/// Local midnight of the day containing `at`.
[[nodiscard]] domain::Instant startOfLocalDay(const domain::SiteTimeZone& zone, domain::Instant at);

}  // namespace prepaid::backend::http

namespace prepaid::backend::http {

/// Receipt data of a ledger entry (recharge, refund or correction), with the balance right after
/// it. `operatorName`/payment method come from the entry's source and note.
[[nodiscard]] std::expected<api::Receipt, ApiError> receiptOf(const store::ReadTransaction& tx,
                                                              store::LedgerEntryId entryId,
                                                              domain::Instant now);

/// Whether a ledger entry's source is an online payment rather than a counter sale: payments post
/// "pay:<provider>" (older rows: "pay"), kiosk channels "kiosk...". Staff sales carry the operator.
[[nodiscard]] bool isOnlinePaymentSource(std::string_view source);

/// The ledger note of a sale: "method=<m>" and the optional free text.
[[nodiscard]] std::string saleNote(const std::string& method, const std::string& note);

}  // namespace prepaid::backend::http
