#pragma once

// The collection engine's samples for GET /metrics: pass time per gateway (the last full pass and
// a pass counter, see collect/pass_tracker.hpp), workers, polls, commands and lost contact.
// backend/app registers one with HttpServices::metrics:
//
//   prepaid::backend::http::CollectionMetrics collectionMetrics(engine);
//   HttpServices services{..., .metrics = {&collectionMetrics}, ...};

#include <vector>

#include "prepaid/collect/collection_engine.hpp"
#include "prepaid/http/metrics.hpp"

namespace prepaid::backend::http {

/// The samples of one engine snapshot (separate from the provider so that tests can feed stats).
void appendCollectionSamples(const collect::EngineStats& stats, std::vector<MetricSample>& out);

class CollectionMetrics final : public MetricsProvider {
 public:
  /// `engine` must outlive the provider. stats() is a cheap snapshot under the engine's lock.
  explicit CollectionMetrics(const collect::CollectionEngine& engine) : m_engine(engine) {}
  void collectMetrics(std::vector<MetricSample>& out) const override {
    appendCollectionSamples(m_engine.stats(), out);
  }

 private:
  const collect::CollectionEngine& m_engine;
};

}  // namespace prepaid::backend::http
