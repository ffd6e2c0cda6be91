#pragma once

// Adapts BillingService::processReadings to collection's ReadingSink: the wiring between the two
// services lives here so that neither depends on the other.

#include <spdlog/spdlog.h>

#include "prepaid/billing/billing_service.hpp"
#include "prepaid/collect/reading_sink.hpp"

namespace prepaid::backend::app {

class BillingSink final : public collect::ReadingSink {
 public:
  explicit BillingSink(billing::BillingService& billing) : m_billing(billing) {}

  void processReadings(const std::vector<store::Reading>& batch) override {
    const auto summary = m_billing.processReadings(batch);
    if (!summary) {
      spdlog::error("billing: batch of {} readings not processed: {}: {}", batch.size(),
                    billing::toString(summary.error().code), summary.error().message);
      return;
    }
    for (const auto& report : summary->readings) {
      if (report.outcome == billing::ReadingOutcome::Failed && report.error) {
        spdlog::error("billing: meter {}: {}: {}", report.meterId,
                      billing::toString(report.error->code), report.error->message);
      } else if (report.outcome == billing::ReadingOutcome::Anomaly ||
                 report.outcome == billing::ReadingOutcome::MirrorFrozen) {
        spdlog::warn("billing: meter {}: {}", report.meterId, report.detail);
      }
    }
    if (!summary->commandsQueued.empty()) {
      spdlog::info("billing: {} trip/close commands queued", summary->commandsQueued.size());
      if (m_onCommands) {
        m_onCommands();
      }
    }
  }

  /// Called when billing queued commands (wakes the bus workers).
  void onCommands(std::function<void()> callback) { m_onCommands = std::move(callback); }

 private:
  billing::BillingService& m_billing;
  std::function<void()> m_onCommands;
};

}  // namespace prepaid::backend::app
