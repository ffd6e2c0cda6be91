#pragma once

// Where stored readings go next. backend/app adapts billing (BillingService::processReadings)
// to this interface, so collection does not depend on billing.

#include <vector>

#include "prepaid/store/reading_repository.hpp"

namespace prepaid::backend::collect {

class ReadingSink {
 public:
  virtual ~ReadingSink() = default;

  /// Called on the reading pipeline's thread right after `batch` was committed by
  /// Store::writeReadings (stale readings included: the sink decides). Must not throw; errors
  /// are the sink's to log (the readings are stored either way).
  virtual void processReadings(const std::vector<store::Reading>& batch) = 0;
};

}  // namespace prepaid::backend::collect
