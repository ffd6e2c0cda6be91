#pragma once

// Staff remote operations (DOMAIN.md "Remote commands"): price dispatch, settings dispatch, keep
// power on/off, resume prepaid, trip, close, read now — to one meter or a batch. Each becomes a
// persisted queued command; the bus workers deliver them and record per-meter results, which
// batchStatus() reads back. Recharges are NOT sent from here: BillingService::sell appends the
// ledger entry and enqueues the recharge in one transaction.

#include <cstdint>
#include <expected>
#include <functional>
#include <string>
#include <vector>

#include "prepaid/collect/collect_error.hpp"
#include "prepaid/collect/collect_options.hpp"
#include "prepaid/store/command_repository.hpp"
#include "prepaid/store/store.hpp"

namespace prepaid::backend::collect {

struct CommandRequest {
  store::CommandKind kind = store::CommandKind::ReadNow;
  std::string payload;  // see command_payload.hpp; empty = the meter's / site's configuration
};

struct BatchResult {
  std::string batchId;
  std::vector<store::Command> commands;  // one per meter, in the order given
};

struct BatchSummary {
  std::int64_t queued = 0;
  std::int64_t sending = 0;
  std::int64_t done = 0;
  std::int64_t failed = 0;
  std::int64_t outcomeUnknown = 0;
  std::vector<store::Command> commands;
};

class CommandService {
 public:
  /// `notify` (may be empty) is called after commands were committed, e.g. to wake the bus
  /// workers of an engine in the same process (CollectionEngine::commandsQueued).
  CommandService(store::Store& store, WallClock clock, std::function<void()> notify = {});

  /// Queues one command for one meter. Keep power on/off and resume prepaid also record the
  /// meter's keep-power flag in the same transaction (so the trip policy honours it at once).
  /// Errors: InvalidArgument (recharge, or a payload that does not parse for the kind), NotFound
  /// (unknown meter), Store.
  [[nodiscard]] std::expected<store::Command, CollectError> send(store::MeterId meter,
                                                                 const CommandRequest& request);

  /// Queues the same command for every meter in one transaction (all or nothing) under one
  /// batch id (generated when `batchId` is empty). Same errors as send().
  [[nodiscard]] std::expected<BatchResult, CollectError> sendBatch(
      const std::vector<store::MeterId>& meters, const CommandRequest& request,
      std::string batchId = {});

  /// The per-meter results of a batch. NotFound for an unknown batch id.
  [[nodiscard]] std::expected<BatchSummary, CollectError> batchStatus(
      const std::string& batchId) const;

 private:
  [[nodiscard]] std::expected<BatchResult, CollectError> enqueue(
      const std::vector<store::MeterId>& meters, const CommandRequest& request,
      const std::optional<std::string>& batchId);

  store::Store& m_store;
  WallClock m_clock;
  std::function<void()> m_notify;
};

/// Parses "trip", "close", "keep_power_on", … (store::toString(CommandKind) names).
[[nodiscard]] std::optional<store::CommandKind> parseCommandKind(std::string_view name);

}  // namespace prepaid::backend::collect
