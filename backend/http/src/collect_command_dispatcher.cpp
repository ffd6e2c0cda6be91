#include "prepaid/http/collect_command_dispatcher.hpp"

#include "prepaid/http/crypto.hpp"

namespace prepaid::backend::http {

namespace {

store::CommandKind commandKind(BatchCommandKind kind) {
  switch (kind) {
    case BatchCommandKind::Price:
      return store::CommandKind::Price;
    case BatchCommandKind::Settings:
      return store::CommandKind::Settings;
    case BatchCommandKind::KeepPower:
      return store::CommandKind::KeepPowerOn;
    case BatchCommandKind::ResumePrepaid:
      return store::CommandKind::ResumePrepaid;
    case BatchCommandKind::Trip:
      return store::CommandKind::Trip;
    case BatchCommandKind::Close:
      return store::CommandKind::Close;
    case BatchCommandKind::ReadNow:
      return store::CommandKind::ReadNow;
  }
  return store::CommandKind::ReadNow;
}

}  // namespace

std::expected<BatchCommandResult, std::string> CollectCommandDispatcher::dispatch(
    const BatchCommandRequest& request) {
  BatchCommandResult result;
  result.batchId = "b-" + randomHex(8);
  collect::CommandRequest command;
  command.kind = commandKind(request.kind);
  std::size_t storeFailures = 0;
  for (const auto meter : request.meters) {
    MeterCommandResult item;
    item.meterId = meter;
    const auto payload = request.payloads.find(meter);
    command.payload = payload != request.payloads.end() ? payload->second : std::string();
    auto queued = m_service.sendBatch({meter}, command, result.batchId);
    if (queued && !queued->commands.empty()) {
      item.accepted = true;
      item.commandId = queued->commands.front().id;
    } else if (!queued) {
      switch (queued.error().code) {
        case collect::CollectErrorCode::NotFound:
          item.errorCode = "unknown_meter";
          break;
        case collect::CollectErrorCode::InvalidArgument:
          item.errorCode = "invalid_state";
          break;
        default:
          item.errorCode = "internal";
          ++storeFailures;
          break;
      }
      item.message = queued.error().message;
    }
    result.results.push_back(std::move(item));
  }
  if (!request.meters.empty() && storeFailures == request.meters.size()) {
    return std::unexpected("the command queue is not available: " + result.results[0].message);
  }
  return result;
}

}  // namespace prepaid::backend::http
