#pragma once

// CommandDispatcher over the collection module's CommandService: what backend/app wires into
// HttpServices::commands. Each meter is queued on its own (CommandService::sendBatch with one
// meter and the shared batch id), so an unknown or refused meter is reported in its result and
// never stops the others; all commands of one request share one batch id.

#include "prepaid/collect/command_service.hpp"
#include "prepaid/http/command_dispatcher.hpp"

namespace prepaid::backend::http {

class CollectCommandDispatcher final : public CommandDispatcher {
 public:
  /// `service` must outlive the dispatcher.
  explicit CollectCommandDispatcher(collect::CommandService& service) : m_service(service) {}
  [[nodiscard]] std::expected<BatchCommandResult, std::string> dispatch(
      const BatchCommandRequest& request) override;

 private:
  collect::CommandService& m_service;
};

}  // namespace prepaid::backend::http
