#pragma once

// Delivers one queued command to its meter and says what the queue should record. No store
// access here: the bus worker claims the command (durably `sending`), calls execute() or
// resolve() on its own thread, and applies the Resolution in a write transaction.
//
// Recharge, exactly once (devices/meter/README.md "Recharge exactly once"): the MAC is computed
// with the meter's key over (address, new purchase count N, amount, time); the meter's count is
// read before every send (N: already applied; N-1: send; else mismatch) and read back after a
// send without a reply. A count that cannot be read back leaves the command OutcomeUnknown, and
// nothing is sent again until resolve() has read the count.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "prepaid/collect/collect_options.hpp"
#include "prepaid/meter/meter.hpp"
#include "prepaid/store/command_repository.hpp"
#include "prepaid/store/meter_repository.hpp"
#include "prepaid/store/site_repository.hpp"

namespace prepaid::backend::collect {

/// Everything needed to send one command, read in the claiming transaction.
struct CommandContext {
  store::Command command;
  store::Meter meter;
  store::Settings settings;
  std::optional<std::int64_t> rechargeAmountFen;  // the linked ledger entry's amount, if any
};

enum class Verdict {
  Done,            // markDone
  Failed,          // markFailed (final)
  OutcomeUnknown,  // markOutcomeUnknown; resolve() again after retryAfter
  RetryLater,      // retryLater(now + retryAfter)
};

enum class Contact {
  Answered,    // the meter answered at least one request
  NoAnswer,    // it did not (counts as a failed poll)
  Connection,  // the gateway connection failed
};

struct Resolution {
  Verdict verdict = Verdict::Failed;
  std::string detail;                       // lastError / log text
  std::chrono::milliseconds retryAfter{0};  // RetryLater / OutcomeUnknown
  bool purchaseCountMismatch = false;       // raise the alarm and block sales
  std::optional<std::int64_t> meterPurchaseCount;
  std::optional<devices::MeterSnapshot> snapshot;  // ReadNow / resolve: a reading to store
  Contact contact = Contact::NoAnswer;
};

class CommandExecutor {
 public:
  explicit CommandExecutor(CollectOptions options) : m_options(std::move(options)) {}

  /// Sends a freshly claimed command (state `sending`).
  [[nodiscard]] Resolution execute(const CommandContext& context, devices::Meter& meter) const;

  /// A command found `sending` or `outcome_unknown` (after a crash or a lost reply): reads the
  /// meter first and decides Done (it was applied), RetryLater with no delay (proven not
  /// applied, or safe to repeat), OutcomeUnknown (meter unreadable: try again later) or a
  /// mismatch. Never sends the command itself.
  [[nodiscard]] Resolution resolve(const CommandContext& context, devices::Meter& meter) const;

  /// The delay before retry number `attempts` (1 = first retry): base x 2^(attempts-1), capped.
  [[nodiscard]] std::chrono::milliseconds retryDelay(std::int64_t attempts) const;

 private:
  [[nodiscard]] Resolution executeRecharge(const CommandContext& context,
                                           devices::Meter& meter) const;
  [[nodiscard]] Resolution executeControl(const CommandContext& context, devices::Meter& meter,
                                          devices::ControlCode code) const;
  [[nodiscard]] Resolution executePrice(const CommandContext& context, devices::Meter& meter) const;
  [[nodiscard]] Resolution executeSettings(const CommandContext& context,
                                           devices::Meter& meter) const;
  [[nodiscard]] Resolution executeReadNow(devices::Meter& meter) const;
  [[nodiscard]] Resolution retryOrFail(const CommandContext& context,
                                       const devices::DeviceError& error,
                                       std::string_view what) const;

  CollectOptions m_options;
};

/// How a device error reflects on the meter's link (for the schedule's lost-contact count).
[[nodiscard]] Contact contactOf(const devices::DeviceError& error);

}  // namespace prepaid::backend::collect
