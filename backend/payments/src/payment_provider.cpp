#include "prepaid/payments/payment_provider.hpp"

namespace prepaid::backend::payments {

std::string toString(ProviderKind kind) {
  return kind == ProviderKind::Wechat ? "wechat" : "alipay";
}

std::optional<ProviderKind> parseProviderKind(const std::string& text) {
  if (text == "wechat") {
    return ProviderKind::Wechat;
  }
  if (text == "alipay") {
    return ProviderKind::Alipay;
  }
  return std::nullopt;
}

std::string toString(TradeState state) {
  switch (state) {
    case TradeState::NotPaid:
      return "not_paid";
    case TradeState::Paying:
      return "paying";
    case TradeState::Paid:
      return "paid";
    case TradeState::Closed:
      return "closed";
    case TradeState::Refunded:
      return "refunded";
    case TradeState::Failed:
      return "failed";
    case TradeState::NotFound:
      return "not_found";
  }
  return "unknown";
}

}  // namespace prepaid::backend::payments
