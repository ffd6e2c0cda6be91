#pragma once

// Payment codes (付款码) read by the kiosk's scanner: which provider a code belongs to.
// WeChat: 18 digits starting 10..15. Alipay: 16..24 digits starting 25..30 (both providers'
// published code formats).

#include <expected>
#include <string>
#include <string_view>

#include "prepaid/payments/payment_provider.hpp"

namespace prepaid::backend::payments {

/// The provider of a scanned code, or a one-line message (safe to show to the customer) saying
/// why the code is refused.
[[nodiscard]] std::expected<ProviderKind, std::string> classifyPaymentCode(std::string_view code);

}  // namespace prepaid::backend::payments
