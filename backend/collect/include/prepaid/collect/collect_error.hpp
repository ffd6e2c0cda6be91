#pragma once

// The one error type of prepaid::collect (collection, command delivery, command service).

#include <string>
#include <string_view>

namespace prepaid::backend::collect {

enum class CollectErrorCode {
  NotFound,         // unknown meter, gateway, building or batch
  InvalidArgument,  // a request the service refuses before touching the store
  Store,            // the store failed (message carries the store's code and text)
  Device,           // the bus/meter could not be opened (bad URI, unknown profile)
  NotRunning,       // the engine is not started (read now)
};

/// "not_found", "invalid_argument", "store", "device", "not_running".
[[nodiscard]] std::string_view toString(CollectErrorCode code);

struct CollectError {
  CollectErrorCode code = CollectErrorCode::Store;
  std::string message;
};

}  // namespace prepaid::backend::collect
