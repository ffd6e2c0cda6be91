#pragma once

// The trip policy of server-side meters turned into queued commands: Trip on arrears (by the
// meter's policy), Close after a recharge once the balance is above the close-allowed amount,
// keep power overriding both. Never a duplicate: no Trip while one is unfinished or the relay is
// already open, no Close while one is unfinished; a queued Trip of billing's is cancelled when
// the balance recovers before it was sent.

#include <expected>
#include <optional>
#include <vector>

#include "meter_context.hpp"

#include "prepaid/domain/relay_state.hpp"

namespace prepaid::backend::billing::detail {

/// Payload of the Trip/Close commands billing enqueues (so they can be told from staff commands).
inline constexpr std::string_view TripPayload = "billing:arrears";
inline constexpr std::string_view ClosePayload = "billing:reclose";

struct ControlEffects {
  std::vector<store::CommandId> queued;
  std::optional<store::CommandId> closeQueued;
  std::string problem;  // configuration problem that skipped the policy (empty: none)
};

/// Updates arrearsSince from the current balance (every billing mode).
void trackArrears(MeterContext& context, domain::Instant at);

/// Applies the trip policy of a billed server-side meter (no-op otherwise) at `now`. `relay` is
/// the relay state last reported by the meter, when known. Commands are created at `createdAt`.
[[nodiscard]] std::expected<void, BillingError> applyTripPolicy(
    store::WriteTransaction& tx, MeterContext& context, const SiteContext& site,
    const BillingOptions& options, std::optional<domain::RelayState> relay, domain::Instant now,
    domain::Instant createdAt, ControlEffects& effects);

}  // namespace prepaid::backend::billing::detail
