#pragma once

// The command queue: every remote operation on a meter is a persisted command with a state.
//
//   queued ──claimNext──▶ sending ──▶ done | failed | outcome_unknown | queued (retry later)
//   outcome_unknown ──(after reading the meter back)──▶ done | failed | queued
//   queued ──cancel──▶ failed
//
// A meter never has more than one command in flight: while one of its commands is `sending` or
// `outcome_unknown`, claimNext skips every other command of that meter. Recharges of one meter
// are claimed strictly in queue order (their purchase counts must arrive in sequence).

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "prepaid/domain/time.hpp"
#include "prepaid/store/ids.hpp"
#include "prepaid/store/store_error.hpp"

namespace prepaid::store {

enum class CommandKind {
  Recharge,       // 充值: payload = amount; carries purchaseCount and ledgerEntryId
  Price,          // 电价下发
  Settings,       // 设置下发: alarm thresholds, overload threshold
  KeepPowerOn,    // 保电
  KeepPowerOff,   // 取消保电
  ResumePrepaid,  // 恢复预付费
  Trip,           // 拉闸
  Close,          // 合闸
  ReadNow,        // 抄表
};

enum class CommandState {
  Queued,
  Sending,
  Done,
  Failed,
  OutcomeUnknown,
};

/// "recharge", "price", "settings", "keep_power_on", "keep_power_off", "resume_prepaid",
/// "trip", "close", "read_now" (stable, as stored).
[[nodiscard]] std::string_view toString(CommandKind kind);
/// "queued", "sending", "done", "failed", "outcome_unknown" (stable, as stored).
[[nodiscard]] std::string_view toString(CommandState state);

/// Suggested priorities (higher first). Any int64 may be used.
inline constexpr std::int64_t PriorityRecharge = 100;
inline constexpr std::int64_t PriorityControl = 50;   // trip/close/keep power
inline constexpr std::int64_t PriorityDispatch = 10;  // price/settings
inline constexpr std::int64_t PriorityReadNow = 0;

struct Command {
  CommandId id = 0;
  MeterId meterId = 0;
  CommandKind kind = CommandKind::ReadNow;
  std::string payload;  // command parameters as text (format owned by the services)
  CommandState state = CommandState::Queued;
  std::int64_t attempts = 0;                   // times claimed for sending
  std::int64_t priority = 0;                   // higher is sent first
  std::optional<std::int64_t> purchaseCount;   // required for Recharge
  std::optional<LedgerEntryId> ledgerEntryId;  // the recharge entry it delivers
  std::optional<std::string> batchId;          // groups the commands of one batch operation
  domain::Instant createdAt{};
  domain::Instant updatedAt{};
  domain::Instant notBefore{};  // not claimed before this instant (retry backoff)
  std::string lastError;
};

class CommandRepository {
 public:
  virtual ~CommandRepository() = default;

  /// Persists a new queued command (id, state, attempts, updatedAt, lastError ignored;
  /// notBefore defaults to createdAt when earlier). InvalidArgument for a Recharge without
  /// purchase count; Constraint for an unknown meter or ledger entry.
  [[nodiscard]] virtual std::expected<Command, StoreError> enqueue(const Command& command) = 0;

  /// Atomically takes the next command for a gateway's bus — highest priority, then oldest —
  /// among queued commands with notBefore <= now whose meter has nothing in flight, marks it
  /// sending and counts the attempt. nullopt when nothing is due (then the bus may poll).
  /// Call inside Store::write (Durability::Full) so `sending` is durable before the send.
  [[nodiscard]] virtual std::expected<std::optional<Command>, StoreError> claimNext(
      GatewayId gateway, domain::Instant now) = 0;

  /// sending|outcome_unknown -> done.
  [[nodiscard]] virtual std::expected<Command, StoreError> markDone(CommandId id,
                                                                    domain::Instant at) = 0;
  /// sending|outcome_unknown -> failed (final), with the reason.
  [[nodiscard]] virtual std::expected<Command, StoreError> markFailed(CommandId id,
                                                                      domain::Instant at,
                                                                      const std::string& error) = 0;
  /// sending -> outcome_unknown: the request went out and no valid answer came back.
  [[nodiscard]] virtual std::expected<Command, StoreError> markOutcomeUnknown(
      CommandId id, domain::Instant at, const std::string& error) = 0;
  /// sending|outcome_unknown -> queued, not claimed again before notBefore (backoff). For an
  /// outcome_unknown recharge only after the meter's purchase count showed it was not applied.
  [[nodiscard]] virtual std::expected<Command, StoreError> retryLater(CommandId id,
                                                                      domain::Instant at,
                                                                      domain::Instant notBefore,
                                                                      const std::string& error) = 0;
  /// queued -> failed with reason "cancelled: …".
  [[nodiscard]] virtual std::expected<Command, StoreError> cancel(CommandId id, domain::Instant at,
                                                                  const std::string& reason) = 0;

  /// One command; NotFound when absent.
  [[nodiscard]] virtual std::expected<Command, StoreError> command(CommandId id) const = 0;
  /// Commands in a state, oldest first, at most `limit`.
  [[nodiscard]] virtual std::expected<std::vector<Command>, StoreError> inState(
      CommandState state, std::int64_t limit) const = 0;
  /// Commands left `sending` or `outcome_unknown` (what a restart must resolve first).
  [[nodiscard]] virtual std::expected<std::vector<Command>, StoreError> inFlight() const = 0;
  /// The newest commands of a meter, newest first, at most `limit`.
  [[nodiscard]] virtual std::expected<std::vector<Command>, StoreError> forMeter(
      MeterId meter, std::int64_t limit) const = 0;
  /// The commands of a meter not finished yet (queued, sending or outcome_unknown), oldest
  /// first: recharges in flight, and whether a trip/close is already on its way.
  [[nodiscard]] virtual std::expected<std::vector<Command>, StoreError> unfinishedForMeter(
      MeterId meter) const = 0;
  /// The commands of one batch, by id.
  [[nodiscard]] virtual std::expected<std::vector<Command>, StoreError> forBatch(
      const std::string& batchId) const = 0;
  /// Number of queued commands (any notBefore) for meters on a gateway.
  [[nodiscard]] virtual std::expected<std::int64_t, StoreError> queuedCount(
      GatewayId gateway) const = 0;
};

}  // namespace prepaid::store
