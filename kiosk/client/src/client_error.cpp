#include <array>
#include <utility>

#include "prepaid/client/api_client.hpp"

namespace prepaid::kiosk {

namespace {

constexpr std::array<std::pair<OrderState, std::string_view>, 14> OrderStateNames = {{
    {OrderState::Created, "created"},
    {OrderState::Pending, "pending"},
    {OrderState::Paid, "paid"},
    {OrderState::Crediting, "crediting"},
    {OrderState::Credited, "credited"},
    {OrderState::Receipted, "receipted"},
    {OrderState::Expired, "expired"},
    {OrderState::Closing, "closing"},
    {OrderState::Closed, "closed"},
    {OrderState::Reversing, "reversing"},
    {OrderState::Reversed, "reversed"},
    {OrderState::Refunding, "refunding"},
    {OrderState::Refunded, "refunded"},
    {OrderState::Failed, "failed"},
}};

}  // namespace

bool ClientError::offline() const {
  return kind == ClientErrorKind::Network || kind == ClientErrorKind::Timeout ||
         httpStatus == 502 || httpStatus == 503 || httpStatus == 504;
}

std::string_view toString(ClientErrorKind kind) {
  switch (kind) {
    case ClientErrorKind::Network:
      return "network";
    case ClientErrorKind::Timeout:
      return "timeout";
    case ClientErrorKind::Api:
      return "api";
    case ClientErrorKind::Protocol:
      return "protocol";
  }
  return "unknown";
}

std::string_view toString(Granularity granularity) {
  switch (granularity) {
    case Granularity::Hour:
      return "hour";
    case Granularity::Day:
      return "day";
    case Granularity::Month:
      return "month";
  }
  return "hour";
}

std::string_view toString(OrderState state) {
  for (const auto& [value, name] : OrderStateNames) {
    if (value == state) {
      return name;
    }
  }
  return "unknown";
}

std::optional<OrderState> parseOrderState(std::string_view name) {
  for (const auto& [value, entry] : OrderStateNames) {
    if (entry == name) {
      return value;
    }
  }
  return std::nullopt;
}

}  // namespace prepaid::kiosk
