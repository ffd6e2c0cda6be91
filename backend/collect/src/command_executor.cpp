#include "prepaid/collect/command_executor.hpp"

#include <algorithm>
#include <limits>

#include "prepaid/collect/command_payload.hpp"
#include "prepaid/meter/recharge_exactly_once.hpp"
#include "prepaid/secure/command_mac.hpp"

namespace prepaid::backend::collect {

namespace {

using devices::DeviceErrorKind;

Resolution done(std::string detail, Contact contact = Contact::Answered) {
  Resolution resolution;
  resolution.verdict = Verdict::Done;
  resolution.detail = std::move(detail);
  resolution.contact = contact;
  return resolution;
}

Resolution failed(std::string detail, Contact contact) {
  Resolution resolution;
  resolution.verdict = Verdict::Failed;
  resolution.detail = std::move(detail);
  resolution.contact = contact;
  return resolution;
}

Resolution retry(std::string detail, std::chrono::milliseconds after, Contact contact) {
  Resolution resolution;
  resolution.verdict = Verdict::RetryLater;
  resolution.detail = std::move(detail);
  resolution.retryAfter = after;
  resolution.contact = contact;
  return resolution;
}

std::uint32_t unixSeconds(domain::Instant now) {
  const auto seconds = now.time_since_epoch().count();
  return seconds <= 0 ? 0U
                      : static_cast<std::uint32_t>(std::min<std::int64_t>(
                            seconds, std::numeric_limits<std::uint32_t>::max()));
}

std::optional<devices::ControlCode> controlCodeOf(store::CommandKind kind) {
  switch (kind) {
    case store::CommandKind::Trip:
      return devices::ControlCode::Trip;
    case store::CommandKind::Close:
      return devices::ControlCode::Close;
    case store::CommandKind::KeepPowerOn:
      return devices::ControlCode::KeepPowerOn;
    case store::CommandKind::KeepPowerOff:
      return devices::ControlCode::KeepPowerOff;
    case store::CommandKind::ResumePrepaid:
      return devices::ControlCode::ResumePrepaid;
    default:
      return std::nullopt;
  }
}

// A final error (retrying cannot help) as opposed to a transient one.
bool isPermanent(DeviceErrorKind kind) {
  return kind == DeviceErrorKind::Unsupported || kind == DeviceErrorKind::InvalidArgument;
}

}  // namespace

Contact contactOf(const devices::DeviceError& error) {
  auto kind = error.kind;
  if (kind == DeviceErrorKind::OutcomeUnknown) {
    kind = error.cause;
  }
  switch (kind) {
    case DeviceErrorKind::ConnectionFailed:
    case DeviceErrorKind::Io:
      return Contact::Connection;
    case DeviceErrorKind::Timeout:
    case DeviceErrorKind::Crc:
    case DeviceErrorKind::WrongAddress:
    case DeviceErrorKind::MalformedReply:
      return Contact::NoAnswer;
    default:
      return Contact::Answered;
  }
}

std::chrono::milliseconds CommandExecutor::retryDelay(std::int64_t attempts) const {
  auto delay = std::max(m_options.commandRetryBase, std::chrono::milliseconds(1));
  for (std::int64_t i = 1; i < attempts && delay < m_options.commandRetryMax; ++i) {
    delay *= 2;
  }
  return std::min(delay, std::max(m_options.commandRetryMax, m_options.commandRetryBase));
}

Resolution CommandExecutor::execute(const CommandContext& context, devices::Meter& meter) const {
  const auto kind = context.command.kind;
  if (kind == store::CommandKind::Recharge) {
    return executeRecharge(context, meter);
  }
  if (kind == store::CommandKind::Price) {
    return executePrice(context, meter);
  }
  if (kind == store::CommandKind::Settings) {
    return executeSettings(context, meter);
  }
  if (kind == store::CommandKind::ReadNow) {
    return executeReadNow(meter);
  }
  if (const auto code = controlCodeOf(kind)) {
    return executeControl(context, meter, *code);
  }
  return failed("unknown command kind", Contact::NoAnswer);
}

Resolution CommandExecutor::retryOrFail(const CommandContext& context,
                                        const devices::DeviceError& error,
                                        std::string_view what) const {
  const auto detail = std::string(what) + ": " + devices::describe(error);
  const auto contact = contactOf(error);
  if (isPermanent(error.kind)) {
    return failed(detail, contact);
  }
  if (context.command.attempts >= m_options.maxControlAttempts) {
    return failed(
        detail + " (gave up after " + std::to_string(context.command.attempts) + " attempts)",
        contact);
  }
  return retry(detail, retryDelay(context.command.attempts), contact);
}

Resolution CommandExecutor::executeRecharge(const CommandContext& context,
                                            devices::Meter& meter) const {
  const auto& command = context.command;
  auto amount = context.rechargeAmountFen;
  if (!amount) {
    auto parsed = parseRechargePayload(command.payload);
    if (!parsed) {
      return failed("recharge: " + parsed.error(), Contact::NoAnswer);
    }
    amount = *parsed;
  }
  if (!amount || *amount <= 0 || *amount > std::numeric_limits<std::uint32_t>::max()) {
    return failed("recharge: no valid amount (ledger entry or amount_fen)", Contact::NoAnswer);
  }
  if (!command.purchaseCount || *command.purchaseCount <= 0 ||
      *command.purchaseCount > std::numeric_limits<std::uint32_t>::max()) {
    return failed("recharge: no valid purchase count", Contact::NoAnswer);
  }
  // A missing or bad key is a configuration problem: keep the credit pending (visible) and try
  // again after staff had time to fix the meter's key.
  const auto key = devices::parseMacKey(context.meter.macKeyHex);
  if (!key) {
    return retry("recharge: meter " + context.meter.serial + " has no valid MAC key (" +
                     std::string(devices::toString(key.error())) + ")",
                 m_options.mismatchRetry, Contact::NoAnswer);
  }
  devices::RechargeCommand recharge;
  recharge.amount = domain::Money::fromFen(*amount);
  recharge.purchaseCount = static_cast<std::uint32_t>(*command.purchaseCount);
  recharge.timeUnixSeconds = unixSeconds(m_options.clock());
  const auto fields = devices::rechargeMacFields(meter.macAddress(), recharge);
  if (!fields) {
    return failed("recharge: amount out of range for the MAC", Contact::NoAnswer);
  }
  auto mac = devices::computeCommandMac(meter.macAlgorithm(), *key, *fields);
  if (!mac) {
    return retry("recharge: MAC: " + std::string(devices::toString(mac.error())),
                 m_options.mismatchRetry, Contact::NoAnswer);
  }
  recharge.mac = *mac;

  // One send per claim: a send proven not applied goes back to the queue with a backoff, so
  // other meters' commands and polls get the bus in between.
  devices::RechargePolicy policy;
  policy.maxSends = 1;
  policy.readBackAttempts = 2;
  const auto outcome = devices::rechargeExactlyOnce(meter, recharge, policy);
  if (outcome) {
    auto resolution = done(*outcome == devices::RechargeOutcome::Applied
                               ? "credited"
                               : "already credited (found purchase count " +
                                     std::to_string(recharge.purchaseCount) + ")");
    resolution.meterPurchaseCount = recharge.purchaseCount;
    return resolution;
  }
  const auto& error = outcome.error();
  const auto detail = "recharge: " + devices::describe(error);
  if (error.kind == DeviceErrorKind::OutcomeUnknown) {
    Resolution resolution;
    resolution.verdict = Verdict::OutcomeUnknown;
    resolution.detail = detail;
    resolution.retryAfter = retryDelay(command.attempts);
    resolution.contact = contactOf(error);
    return resolution;
  }
  if (error.kind == DeviceErrorKind::Rejected) {
    if (error.rejectReason == devices::RejectReason::PurchaseCountNotNext) {
      auto resolution = retry(detail, m_options.mismatchRetry, Contact::Answered);
      resolution.purchaseCountMismatch = true;
      return resolution;
    }
    if (error.rejectReason == devices::RejectReason::BadValue) {
      return failed(detail, Contact::Answered);
    }
    // Bad MAC, time, authority: a key or clock problem staff must fix; keep the credit pending.
    return retry(detail, m_options.mismatchRetry, Contact::Answered);
  }
  if (error.kind == DeviceErrorKind::Unsupported ||
      error.kind == DeviceErrorKind::InvalidArgument) {
    return retry(detail, m_options.mismatchRetry, contactOf(error));
  }
  // Not sent, or sent and proven not applied: back to the queue with a backoff, forever (a
  // credit that cannot be delivered stays pending and visible until it is).
  return retry(detail, retryDelay(command.attempts), contactOf(error));
}

Resolution CommandExecutor::executeControl(const CommandContext& context, devices::Meter& meter,
                                           devices::ControlCode code) const {
  const auto key = devices::parseMacKey(context.meter.macKeyHex);
  if (!key) {
    return failed("control: meter " + context.meter.serial + " has no valid MAC key",
                  Contact::NoAnswer);
  }
  // The MAC binds a control command to the meter's CURRENT purchase count.
  const auto count = meter.readPurchaseCount();
  if (!count) {
    return retryOrFail(context, count.error(), "control: reading the purchase count");
  }
  devices::ControlCommand control;
  control.code = code;
  control.purchaseCount = *count;
  control.timeUnixSeconds = unixSeconds(m_options.clock());
  auto mac = devices::computeCommandMac(meter.macAlgorithm(), *key,
                                        devices::controlMacFields(meter.macAddress(), control));
  if (!mac) {
    return failed("control: MAC: " + std::string(devices::toString(mac.error())),
                  Contact::Answered);
  }
  control.mac = *mac;
  const auto sent = meter.control(control);
  if (sent) {
    auto resolution = done(std::string(devices::toString(code)));
    resolution.meterPurchaseCount = *count;
    return resolution;
  }
  // Trip, close and keep power set a state: repeating one whose reply was lost is harmless, so
  // an unknown outcome is simply retried.
  return retryOrFail(context, sent.error(), "control");
}

Resolution CommandExecutor::executePrice(const CommandContext& context,
                                         devices::Meter& meter) const {
  auto payload = parsePricePayload(context.command.payload);
  if (!payload) {
    return failed("price: " + payload.error(), Contact::NoAnswer);
  }
  devices::TouPrices prices{};
  for (std::size_t i = 0; i < domain::RateCount; ++i) {
    prices[i] = domain::UnitPrice::fromMicroYuan(
        payload->microYuan[i].value_or(context.settings.defaultUnitPriceMicroYuan));
  }
  const auto written = meter.setPrices(prices);
  if (written) {
    return done("prices written");
  }
  return retryOrFail(context, written.error(), "price");
}

Resolution CommandExecutor::executeSettings(const CommandContext& context,
                                            devices::Meter& meter) const {
  auto payload = parseSettingsPayload(context.command.payload);
  if (!payload) {
    return failed("settings: " + payload.error(), Contact::NoAnswer);
  }
  const auto& configured = context.meter;
  const auto& site = context.settings;
  devices::Thresholds thresholds;
  thresholds.alarm1 = domain::Money::fromFen(
      payload->alarm1Fen.value_or(configured.alarm1Fen.value_or(site.alarm1Fen)));
  thresholds.alarm2 = domain::Money::fromFen(
      payload->alarm2Fen.value_or(configured.alarm2Fen.value_or(site.alarm2Fen)));
  thresholds.overloadWatts =
      payload->overloadW.value_or(configured.overloadThresholdW.value_or(site.overloadThresholdW));
  const auto written = meter.setThresholds(thresholds);
  if (written) {
    return done("thresholds written");
  }
  return retryOrFail(context, written.error(), "settings");
}

Resolution CommandExecutor::executeReadNow(devices::Meter& meter) const {
  auto snapshot = meter.readSnapshot();
  if (!snapshot) {
    // A one-shot request: report it; the regular schedule keeps polling the meter.
    return failed("read now: " + devices::describe(snapshot.error()), contactOf(snapshot.error()));
  }
  auto resolution = done("read");
  resolution.snapshot = std::move(*snapshot);
  return resolution;
}

Resolution CommandExecutor::resolve(const CommandContext& context, devices::Meter& meter) const {
  const auto& command = context.command;
  if (command.kind == store::CommandKind::Recharge) {
    const auto count = meter.readPurchaseCount();
    if (!count) {
      Resolution resolution;
      resolution.verdict = Verdict::OutcomeUnknown;
      resolution.detail =
          "recharge: purchase count unreadable: " + devices::describe(count.error());
      resolution.retryAfter = retryDelay(std::max<std::int64_t>(command.attempts, 1));
      resolution.contact = contactOf(count.error());
      return resolution;
    }
    const auto expected = command.purchaseCount.value_or(0);
    Resolution resolution;
    resolution.meterPurchaseCount = *count;
    if (*count == expected) {
      resolution = done("credited (purchase count " + std::to_string(*count) + " read back)");
      resolution.meterPurchaseCount = *count;
      return resolution;
    }
    if (*count + 1 == expected) {
      // Proven not applied: back to the queue; the next claim re-checks before sending.
      resolution = retry("not applied (purchase count " + std::to_string(*count) + ")",
                         std::chrono::milliseconds(0), Contact::Answered);
      resolution.meterPurchaseCount = *count;
      return resolution;
    }
    resolution = retry("purchase count mismatch: meter has " + std::to_string(*count) +
                           ", command carries " + std::to_string(expected),
                       m_options.mismatchRetry, Contact::Answered);
    resolution.purchaseCountMismatch = true;
    resolution.meterPurchaseCount = *count;
    return resolution;
  }
  auto snapshot = meter.readSnapshot();
  if (!snapshot) {
    Resolution resolution;
    resolution.verdict = Verdict::OutcomeUnknown;
    resolution.detail = "meter unreadable: " + devices::describe(snapshot.error());
    resolution.retryAfter = retryDelay(std::max<std::int64_t>(command.attempts, 1));
    resolution.contact = contactOf(snapshot.error());
    return resolution;
  }
  const auto& prepaid = snapshot->prepaid;
  const auto relay = prepaid ? prepaid->relay : std::nullopt;
  const auto keep = prepaid ? prepaid->keepPower : std::nullopt;
  bool applied = false;
  switch (command.kind) {
    case store::CommandKind::Trip:
      applied = relay == domain::RelayState::Open;
      break;
    case store::CommandKind::Close:
      applied = relay == domain::RelayState::Closed;
      break;
    case store::CommandKind::KeepPowerOn:
      applied = keep == devices::KeepPower::On;
      break;
    case store::CommandKind::KeepPowerOff:
      applied = keep == devices::KeepPower::Off;
      break;
    case store::CommandKind::ReadNow:
      applied = true;  // this read is the answer
      break;
    default:
      break;  // price, settings, resume prepaid: idempotent, simply sent again
  }
  Resolution resolution =
      applied ? done("applied (meter state read back)")
              : retry("resent after restart", std::chrono::milliseconds(0), Contact::Answered);
  resolution.snapshot = std::move(*snapshot);
  return resolution;
}

}  // namespace prepaid::backend::collect
