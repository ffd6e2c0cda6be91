#include "prepaid/meter/recharge_exactly_once.hpp"

#include <string>

namespace prepaid::devices {

namespace {

DeviceError mismatch(std::uint32_t meterCount, std::uint32_t wanted) {
  DeviceError error = makeError(DeviceErrorKind::Rejected,
                                "purchase count mismatch: meter has " + std::to_string(meterCount) +
                                    ", recharge is number " + std::to_string(wanted));
  error.rejectReason = RejectReason::PurchaseCountNotNext;
  return error;
}

}  // namespace

std::expected<RechargeOutcome, DeviceError> rechargeExactlyOnce(Meter& meter,
                                                                const RechargeCommand& command,
                                                                const RechargePolicy& policy) {
  const std::uint32_t wanted = command.purchaseCount;
  if (wanted == 0) {
    return std::unexpected(
        makeError(DeviceErrorKind::InvalidArgument, "purchase count of a recharge starts at 1"));
  }
  auto count = meter.readPurchaseCount();
  if (!count) {
    return std::unexpected(count.error());  // nothing sent
  }
  if (*count == wanted) {
    return RechargeOutcome::AlreadyApplied;
  }
  if (*count != wanted - 1) {
    return std::unexpected(mismatch(*count, wanted));
  }
  DeviceError last = makeError(DeviceErrorKind::OutcomeUnknown, "recharge not confirmed");
  for (int send = 0; send < policy.maxSends; ++send) {
    // Invariant here: the meter's count was just seen as wanted - 1.
    auto sent = meter.recharge(command);
    if (sent) {
      return RechargeOutcome::Applied;
    }
    last = sent.error();
    if (last.kind == DeviceErrorKind::Rejected || last.kind == DeviceErrorKind::InvalidArgument ||
        last.kind == DeviceErrorKind::Unsupported) {
      return std::unexpected(last);
    }
    // Unknown (or not sent): only the purchase count can tell. Read until it answers.
    std::expected<std::uint32_t, DeviceError> after =
        std::unexpected(makeError(DeviceErrorKind::Timeout, "not read"));
    for (int read = 0; read < policy.readBackAttempts && !after; ++read) {
      after = meter.readPurchaseCount();
    }
    if (!after) {
      DeviceError unknown = makeError(
          DeviceErrorKind::OutcomeUnknown,
          "recharge outcome unknown and purchase count unreadable: " + after.error().detail);
      unknown.cause = last.kind == DeviceErrorKind::OutcomeUnknown ? last.cause : last.kind;
      return std::unexpected(unknown);
    }
    if (*after == wanted) {
      return RechargeOutcome::Applied;
    }
    if (*after != wanted - 1) {
      return std::unexpected(mismatch(*after, wanted));
    }
    // Still wanted - 1: the command was not applied, so sending it again is safe.
  }
  // Every send was proven not applied (the count stayed at wanted - 1): report the last
  // failure as it is, so the caller knows it may try again later.
  last.detail = "recharge not applied after " + std::to_string(policy.maxSends) +
                " sends (meter count still " + std::to_string(wanted - 1) + "): " + last.detail;
  if (last.kind == DeviceErrorKind::OutcomeUnknown) {
    last.kind = last.cause;
  }
  return std::unexpected(last);
}

}  // namespace prepaid::devices
