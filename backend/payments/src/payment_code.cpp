#include "prepaid/payments/payment_code.hpp"

#include <algorithm>

namespace prepaid::backend::payments {

std::expected<ProviderKind, std::string> classifyPaymentCode(std::string_view code) {
  if (code.empty()) {
    return std::unexpected("no payment code was scanned");
  }
  if (!std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::unexpected(
        "this is not a payment code (digits only); show the WeChat or Alipay payment code");
  }
  const int prefix = code.size() >= 2 ? (code[0] - '0') * 10 + (code[1] - '0') : -1;
  if (code.size() == 18 && prefix >= 10 && prefix <= 15) {
    return ProviderKind::Wechat;
  }
  if (code.size() >= 16 && code.size() <= 24 && prefix >= 25 && prefix <= 30) {
    return ProviderKind::Alipay;
  }
  return std::unexpected(
      "unsupported payment code; only WeChat Pay and Alipay payment codes are accepted");
}

}  // namespace prepaid::backend::payments
