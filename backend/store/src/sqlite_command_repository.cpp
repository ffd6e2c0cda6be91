#include <initializer_list>

#include "codec.hpp"
#include "sqlite_repositories.hpp"

namespace prepaid::store::detail {

namespace {

constexpr std::string_view CommandColumns =
    "SELECT c.id, c.meter_id, c.kind, c.payload, c.state, c.attempts, c.priority, "
    "c.purchase_count, c.ledger_entry_id, c.batch_id, c.created_at, c.updated_at, c.not_before, "
    "c.last_error FROM commands c";

Command commandFrom(const Statement& row) {
  Command c;
  c.id = row.int64(0);
  c.meterId = row.int64(1);
  c.kind = parseIn(CommandKindNames, row.text(2), "command kind");
  c.payload = row.text(3);
  c.state = parseIn(CommandStateNames, row.text(4), "command state");
  c.attempts = row.int64(5);
  c.priority = row.int64(6);
  c.purchaseCount = row.optInt64(7);
  c.ledgerEntryId = row.optInt64(8);
  c.batchId = row.optText(9);
  c.createdAt = fromEpoch(row.int64(10));
  c.updatedAt = fromEpoch(row.int64(11));
  c.notBefore = fromEpoch(row.int64(12));
  c.lastError = row.text(13);
  return c;
}

Command load(Connection& db, CommandId id) {
  auto row = db.prepare(std::string(CommandColumns) + " WHERE c.id = ?1");
  row.bindAll(id);
  if (!row.step()) {
    fail(StoreErrorCode::NotFound, "command " + std::to_string(id) + " not found");
  }
  return commandFrom(row);
}

std::vector<Command> list(Connection& db, std::string_view where, auto... args) {
  std::vector<Command> result;
  auto row = db.prepare(std::string(CommandColumns) + " " + std::string(where));
  row.bindAll(args...);
  while (row.step()) {
    result.push_back(commandFrom(row));
  }
  return result;
}

/// Moves a command to `to` if its current state is one of `from`; InvalidTransition otherwise.
Command transition(Connection& db, CommandId id, std::initializer_list<CommandState> from,
                   CommandState to, domain::Instant at, std::optional<std::string> error,
                   std::optional<domain::Instant> notBefore) {
  const Command current = load(db, id);
  bool allowed = false;
  for (const auto state : from) {
    allowed = allowed || current.state == state;
  }
  if (!allowed) {
    fail(StoreErrorCode::InvalidTransition,
         "command " + std::to_string(id) + " cannot go from " +
             std::string(nameIn(CommandStateNames, current.state)) + " to " +
             std::string(nameIn(CommandStateNames, to)));
  }
  // The state in the WHERE clause makes the change conditional on what was just read, so a
  // concurrent writer in another process cannot make us skip a state.
  const auto changed = db.run(
      "UPDATE commands SET state = ?3, updated_at = ?4, last_error = COALESCE(?5, last_error), "
      "not_before = COALESCE(?6, not_before) WHERE id = ?1 AND state = ?2",
      id, nameIn(CommandStateNames, current.state), nameIn(CommandStateNames, to), toEpoch(at),
      error, toEpoch(notBefore));
  if (changed == 0) {
    fail(StoreErrorCode::InvalidTransition, "command " + std::to_string(id) + " changed meanwhile");
  }
  return load(db, id);
}

}  // namespace

std::expected<Command, StoreError> SqliteCommandRepository::enqueue(const Command& command) {
  return guard([&] {
    if (command.kind == CommandKind::Recharge && !command.purchaseCount) {
      fail(StoreErrorCode::InvalidArgument, "a recharge command needs its purchase count");
    }
    const auto notBefore = std::max(command.notBefore, command.createdAt);
    m_ctx.db().run(
        "INSERT INTO commands (meter_id, kind, payload, state, attempts, priority, purchase_count, "
        "ledger_entry_id, batch_id, created_at, updated_at, not_before, last_error) "
        "VALUES (?1, ?2, ?3, 'queued', 0, ?4, ?5, ?6, ?7, ?8, ?8, ?9, '')",
        command.meterId, nameIn(CommandKindNames, command.kind), command.payload, command.priority,
        command.purchaseCount, command.ledgerEntryId, command.batchId, toEpoch(command.createdAt),
        toEpoch(notBefore));
    return load(m_ctx.db(), m_ctx.db().lastInsertRowId());
  });
}

std::expected<std::optional<Command>, StoreError> SqliteCommandRepository::claimNext(
    GatewayId gateway, domain::Instant now) {
  return guard([&]() -> std::optional<Command> {
    auto& db = m_ctx.db();
    std::optional<CommandId> id;
    {
      // Skips meters with a command in flight (one at a time per meter; an outcome_unknown one
      // must be resolved first) and recharges queued behind an earlier recharge of the same
      // meter (purchase counts must arrive in order even when the earlier one is backing off).
      auto row = db.prepare(
          "SELECT c.id FROM commands c JOIN meters m ON m.id = c.meter_id "
          "WHERE m.gateway_id = ?1 AND c.state = 'queued' AND c.not_before <= ?2 "
          "AND NOT EXISTS (SELECT 1 FROM commands f WHERE f.meter_id = c.meter_id "
          "  AND f.state IN ('sending', 'outcome_unknown')) "
          "AND NOT (c.kind = 'recharge' AND EXISTS (SELECT 1 FROM commands r "
          "  WHERE r.meter_id = c.meter_id AND r.kind = 'recharge' AND r.state = 'queued' "
          "  AND r.id < c.id)) "
          "ORDER BY c.priority DESC, c.id LIMIT 1");
      row.bindAll(gateway, toEpoch(now));
      if (row.step()) {
        id = row.int64(0);
      }
    }
    if (!id) {
      return std::nullopt;
    }
    db.run(
        "UPDATE commands SET state = 'sending', attempts = attempts + 1, updated_at = ?2 "
        "WHERE id = ?1 AND state = 'queued'",
        *id, toEpoch(now));
    return load(db, *id);
  });
}

std::expected<Command, StoreError> SqliteCommandRepository::markDone(CommandId id,
                                                                     domain::Instant at) {
  return guard([&] {
    return transition(m_ctx.db(), id, {CommandState::Sending, CommandState::OutcomeUnknown},
                      CommandState::Done, at, std::nullopt, std::nullopt);
  });
}

std::expected<Command, StoreError> SqliteCommandRepository::markFailed(CommandId id,
                                                                       domain::Instant at,
                                                                       const std::string& error) {
  return guard([&] {
    return transition(m_ctx.db(), id, {CommandState::Sending, CommandState::OutcomeUnknown},
                      CommandState::Failed, at, error, std::nullopt);
  });
}

std::expected<Command, StoreError> SqliteCommandRepository::markOutcomeUnknown(
    CommandId id, domain::Instant at, const std::string& error) {
  return guard([&] {
    return transition(m_ctx.db(), id, {CommandState::Sending}, CommandState::OutcomeUnknown, at,
                      error, std::nullopt);
  });
}

std::expected<Command, StoreError> SqliteCommandRepository::retryLater(CommandId id,
                                                                       domain::Instant at,
                                                                       domain::Instant notBefore,
                                                                       const std::string& error) {
  return guard([&] {
    return transition(m_ctx.db(), id, {CommandState::Sending, CommandState::OutcomeUnknown},
                      CommandState::Queued, at, error, notBefore);
  });
}

std::expected<Command, StoreError> SqliteCommandRepository::cancel(CommandId id, domain::Instant at,
                                                                   const std::string& reason) {
  return guard([&] {
    return transition(m_ctx.db(), id, {CommandState::Queued}, CommandState::Failed, at,
                      "cancelled: " + reason, std::nullopt);
  });
}

std::expected<Command, StoreError> SqliteCommandRepository::command(CommandId id) const {
  return guard([&] { return load(m_ctx.db(), id); });
}

std::expected<std::vector<Command>, StoreError> SqliteCommandRepository::inState(
    CommandState state, std::int64_t limit) const {
  return guard([&] {
    return list(m_ctx.db(), "WHERE c.state = ?1 ORDER BY c.id LIMIT ?2",
                nameIn(CommandStateNames, state), limit);
  });
}

std::expected<std::vector<Command>, StoreError> SqliteCommandRepository::inFlight() const {
  return guard([&] {
    return list(m_ctx.db(), "WHERE c.state IN ('sending', 'outcome_unknown') ORDER BY c.id");
  });
}

std::expected<std::vector<Command>, StoreError> SqliteCommandRepository::forMeter(
    MeterId meter, std::int64_t limit) const {
  return guard([&] {
    return list(m_ctx.db(), "WHERE c.meter_id = ?1 ORDER BY c.id DESC LIMIT ?2", meter, limit);
  });
}

std::expected<std::vector<Command>, StoreError> SqliteCommandRepository::unfinishedForMeter(
    MeterId meter) const {
  return guard([&] {
    return list(m_ctx.db(),
                "WHERE c.meter_id = ?1 AND c.state IN ('queued', 'sending', 'outcome_unknown') "
                "ORDER BY c.id",
                meter);
  });
}

std::expected<std::vector<Command>, StoreError> SqliteCommandRepository::forBatch(
    const std::string& batchId) const {
  return guard([&] { return list(m_ctx.db(), "WHERE c.batch_id = ?1 ORDER BY c.id", batchId); });
}

std::expected<std::int64_t, StoreError> SqliteCommandRepository::queuedCount(
    GatewayId gateway) const {
  return guard([&] {
    return m_ctx.db().queryInt(
        "SELECT COUNT(*) FROM commands c JOIN meters m ON m.id = c.meter_id "
        "WHERE m.gateway_id = ?1 AND c.state = 'queued'",
        gateway);
  });
}

}  // namespace prepaid::store::detail

namespace prepaid::store {

std::string_view toString(CommandKind value) {
  return detail::nameIn(detail::CommandKindNames, value);
}
std::string_view toString(CommandState value) {
  return detail::nameIn(detail::CommandStateNames, value);
}

}  // namespace prepaid::store
