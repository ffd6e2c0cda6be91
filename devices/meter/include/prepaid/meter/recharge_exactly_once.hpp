#pragma once

// Credit one recharge to a meter exactly once, even when replies are lost.
//
// The meter accepts a recharge only when its purchase count is the meter's current count + 1,
// and then sets its count to that value. So the purchase count tells, at any time, whether a
// given recharge (identified by its count N) has been applied:
//
//   count == N - 1  -> not applied: sending it is safe
//   count == N      -> applied (by us earlier, perhaps with the reply lost): never send again
//   anything else   -> the backend and the meter disagree (比对充值次数): stop, raise an alarm
//
// rechargeExactlyOnce runs that check before every send and after every send whose outcome is
// unknown. It never sends while the count is unknown. Callers persist the command (with its
// count N) BEFORE calling, and after a crash or an OutcomeUnknown simply call it again later:
// it is idempotent.

#include <cstdint>
#include <expected>

#include "prepaid/meter/meter.hpp"

namespace prepaid::devices {

enum class RechargeOutcome {
  Applied,         // this call's send was confirmed (directly or by the read-back)
  AlreadyApplied,  // the count showed N before sending: an earlier attempt had worked
};

struct RechargePolicy {
  int maxSends = 3;          // sends of the command, each only after the count proved N - 1
  int readBackAttempts = 3;  // purchase-count reads after an unknown outcome
};

/// Makes sure `command` (new purchase count N = command.purchaseCount) is credited exactly once.
/// Errors: Rejected with PurchaseCountNotNext when the meter's count is neither N - 1 nor N
/// (mismatch: needs staff); Rejected (BadMac …) from the meter; OutcomeUnknown when the count
/// could not be read back (call again later — never resend by other means); the read error when
/// the count cannot be read before the first send (nothing was sent); the last send's error
/// (Timeout, Crc …) when every send was proven not applied (count still N - 1).
[[nodiscard]] std::expected<RechargeOutcome, DeviceError> rechargeExactlyOnce(
    Meter& meter, const RechargeCommand& command, const RechargePolicy& policy = {});

}  // namespace prepaid::devices
