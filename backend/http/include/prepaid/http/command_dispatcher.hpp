#pragma once

// The HTTP layer's view of batch remote commands (DOMAIN.md "Remote commands"). backend/app
// implements it over the collection module's CommandService (which validates, builds payloads,
// enqueues and wakes the bus workers); the HTTP layer only parses requests, checks permissions,
// audits and reports per-meter results. Per-meter progress is read back from the store's command
// queue by batch id.

#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "prepaid/store/ids.hpp"

namespace prepaid::backend::http {

enum class BatchCommandKind {
  Price,          // 电价下发 (the meter's current tariff)
  Settings,       // 设置下发 (alarm thresholds, overload threshold)
  KeepPower,      // 保电
  ResumePrepaid,  // 恢复预付费
  Trip,           // 拉闸
  Close,          // 合闸
  ReadNow,        // 抄表
};

/// "price", "settings", "keep_power", "resume_prepaid", "trip", "close", "read_now".
[[nodiscard]] std::string_view toString(BatchCommandKind kind);
[[nodiscard]] std::optional<BatchCommandKind> parseBatchCommandKind(std::string_view name);

struct BatchCommandRequest {
  BatchCommandKind kind = BatchCommandKind::ReadNow;
  std::vector<store::MeterId> meters;  // 1..N distinct meters
  std::string operatorName;            // who asked (for the command records)
  /// Per-meter command payload (collect/command_payload.hpp), e.g. the prices of the meter's
  /// tariff for Price; a meter not listed gets an empty payload (the site's configuration).
  std::map<store::MeterId, std::string> payloads;
};

struct MeterCommandResult {
  store::MeterId meterId = 0;
  bool accepted = false;  // a command was queued (or the read was scheduled)
  std::optional<store::CommandId> commandId;
  std::string errorCode;  // when not accepted: "unknown_meter", "meter_closed", …
  std::string message;
};

struct BatchCommandResult {
  std::string batchId;                      // groups the queued commands (store commands.batch_id)
  std::vector<MeterCommandResult> results;  // one per requested meter, in request order
};

class CommandDispatcher {
 public:
  virtual ~CommandDispatcher() = default;
  /// Queues the command for every meter that accepts it; a meter that cannot take it is
  /// reported in its result and does not stop the others. An error only when nothing could be
  /// attempted (e.g. the store is unavailable): the message says why.
  [[nodiscard]] virtual std::expected<BatchCommandResult, std::string> dispatch(
      const BatchCommandRequest& request) = 0;
};

}  // namespace prepaid::backend::http
