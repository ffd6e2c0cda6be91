#include "prepaid/collect/command_service.hpp"

#include <atomic>
#include <chrono>

#include "prepaid/collect/command_payload.hpp"

namespace prepaid::backend::collect {

namespace {

constexpr std::array AllKinds = {
    store::CommandKind::Recharge,     store::CommandKind::Price,
    store::CommandKind::Settings,     store::CommandKind::KeepPowerOn,
    store::CommandKind::KeepPowerOff, store::CommandKind::ResumePrepaid,
    store::CommandKind::Trip,         store::CommandKind::Close,
    store::CommandKind::ReadNow};

std::int64_t priorityOf(store::CommandKind kind) {
  switch (kind) {
    case store::CommandKind::Recharge:
      return store::PriorityRecharge;
    case store::CommandKind::Price:
    case store::CommandKind::Settings:
      return store::PriorityDispatch;
    case store::CommandKind::ReadNow:
      return store::PriorityReadNow;
    default:
      return store::PriorityControl;
  }
}

std::expected<void, std::string> validatePayload(const CommandRequest& request) {
  switch (request.kind) {
    case store::CommandKind::Price:
      if (auto parsed = parsePricePayload(request.payload); !parsed) {
        return std::unexpected(parsed.error());
      }
      return {};
    case store::CommandKind::Settings:
      if (auto parsed = parseSettingsPayload(request.payload); !parsed) {
        return std::unexpected(parsed.error());
      }
      return {};
    default:
      if (!request.payload.empty()) {
        return std::unexpected(std::string(store::toString(request.kind)) + " takes no payload");
      }
      return {};
  }
}

std::string newBatchId(domain::Instant now) {
  // Unique within the process (counter) and across restarts (time + pid-free random-ish tail).
  static std::atomic<std::uint64_t> counter{0};
  const auto ticks = std::chrono::steady_clock::now().time_since_epoch().count();
  return "batch-" + std::to_string(now.time_since_epoch().count()) + "-" +
         std::to_string(static_cast<std::uint64_t>(ticks) % 1000000U) + "-" +
         std::to_string(counter.fetch_add(1));
}

}  // namespace

std::optional<store::CommandKind> parseCommandKind(std::string_view name) {
  for (const auto kind : AllKinds) {
    if (store::toString(kind) == name) {
      return kind;
    }
  }
  return std::nullopt;
}

CommandService::CommandService(store::Store& store, WallClock clock, std::function<void()> notify)
    : m_store(store), m_clock(std::move(clock)), m_notify(std::move(notify)) {}

std::expected<store::Command, CollectError> CommandService::send(store::MeterId meter,
                                                                 const CommandRequest& request) {
  auto result = enqueue({meter}, request, std::nullopt);
  if (!result) {
    return std::unexpected(result.error());
  }
  return result->commands.front();
}

std::expected<BatchResult, CollectError> CommandService::sendBatch(
    const std::vector<store::MeterId>& meters, const CommandRequest& request, std::string batchId) {
  if (meters.empty()) {
    return std::unexpected(CollectError{CollectErrorCode::InvalidArgument, "batch: no meters"});
  }
  if (batchId.empty()) {
    batchId = newBatchId(m_clock());
  }
  return enqueue(meters, request, batchId);
}

std::expected<BatchResult, CollectError> CommandService::enqueue(
    const std::vector<store::MeterId>& meters, const CommandRequest& request,
    const std::optional<std::string>& batchId) {
  if (request.kind == store::CommandKind::Recharge) {
    return std::unexpected(
        CollectError{CollectErrorCode::InvalidArgument,
                     "recharges are queued by billing (sell), together with their ledger entry"});
  }
  if (auto valid = validatePayload(request); !valid) {
    return std::unexpected(CollectError{CollectErrorCode::InvalidArgument, valid.error()});
  }
  const auto now = m_clock();
  BatchResult result;
  result.batchId = batchId.value_or("");
  const auto written = m_store.write(
      [&](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
        result.commands.clear();
        for (const auto meter : meters) {
          auto row = tx.meters().meter(meter);
          if (!row) {
            return std::unexpected(row.error());
          }
          if (request.kind == store::CommandKind::KeepPowerOn ||
              request.kind == store::CommandKind::KeepPowerOff ||
              request.kind == store::CommandKind::ResumePrepaid) {
            const auto keep = request.kind == store::CommandKind::KeepPowerOn
                                  ? store::KeepPower::On
                                  : store::KeepPower::Off;
            if (auto set = tx.meters().setKeepPower(meter, keep); !set) {
              return std::unexpected(set.error());
            }
          }
          store::Command command;
          command.meterId = meter;
          command.kind = request.kind;
          command.payload = request.payload;
          command.priority = priorityOf(request.kind);
          command.batchId = batchId;
          command.createdAt = now;
          command.notBefore = now;
          auto queued = tx.commands().enqueue(command);
          if (!queued) {
            return std::unexpected(queued.error());
          }
          result.commands.push_back(std::move(*queued));
        }
        return {};
      },
      store::Durability::Full);
  if (!written) {
    const auto code = written.error().code == store::StoreErrorCode::NotFound
                          ? CollectErrorCode::NotFound
                          : CollectErrorCode::Store;
    return std::unexpected(CollectError{
        code, std::string(store::toString(written.error().code)) + ": " + written.error().message});
  }
  if (m_notify) {
    m_notify();
  }
  return result;
}

std::expected<BatchSummary, CollectError> CommandService::batchStatus(
    const std::string& batchId) const {
  BatchSummary summary;
  const auto read =
      m_store.read([&](const store::ReadTransaction& tx) -> std::expected<void, store::StoreError> {
        auto commands = tx.commands().forBatch(batchId);
        if (!commands) {
          return std::unexpected(commands.error());
        }
        summary.commands = std::move(*commands);
        return {};
      });
  if (!read) {
    return std::unexpected(CollectError{CollectErrorCode::Store, read.error().message});
  }
  if (summary.commands.empty()) {
    return std::unexpected(CollectError{CollectErrorCode::NotFound, "no batch " + batchId});
  }
  for (const auto& command : summary.commands) {
    switch (command.state) {
      case store::CommandState::Queued:
        ++summary.queued;
        break;
      case store::CommandState::Sending:
        ++summary.sending;
        break;
      case store::CommandState::Done:
        ++summary.done;
        break;
      case store::CommandState::Failed:
        ++summary.failed;
        break;
      case store::CommandState::OutcomeUnknown:
        ++summary.outcomeUnknown;
        break;
    }
  }
  return summary;
}

}  // namespace prepaid::backend::collect
