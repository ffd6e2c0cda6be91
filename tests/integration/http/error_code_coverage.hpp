#pragma once

// Which API error codes each coverage test produces: the payment codes need the payment service
// and its simulator (test-http-orders); every other code is produced by test-http-api. Together
// they are backend/api's whole list (checked by both tests).

#include <set>
#include <string>

#include "prepaid/api/error_code.hpp"

namespace prepaid::backend::http::testing {

/// Produced by OrderApi.EveryPaymentErrorCodeIsProducedOverHttp.
inline const std::set<std::string> PaymentErrorCodes = {
    "invalid_amount",   "invalid_payment_code", "unknown_order",
    "provider_refused", "not_refundable",       "provider_unavailable",
};

/// Every code of backend/api's list.
inline std::set<std::string> allErrorCodeNames() {
  std::set<std::string> names;
  for (const auto code : api::allErrorCodes()) {
    names.emplace(api::toString(code));
  }
  return names;
}

}  // namespace prepaid::backend::http::testing
