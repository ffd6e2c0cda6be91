#pragma once

// JSON of the kiosk-side wire types that backend/api does not define (yet): orders, staff
// sessions, list envelopes. The one place the kiosk parses JSON; never throws.

#include <expected>
#include <string_view>

#include "prepaid/client/api_client.hpp"

namespace prepaid::kiosk {

[[nodiscard]] std::expected<Order, ClientError> parseOrder(std::string_view body);
[[nodiscard]] std::expected<StaffSession, ClientError> parseStaffSession(std::string_view body);
[[nodiscard]] std::expected<api::AccountView, ClientError> parseAccount(std::string_view body);
[[nodiscard]] std::expected<api::UsageSeries, ClientError> parseUsage(std::string_view body);
[[nodiscard]] std::expected<std::vector<api::AlarmView>, ClientError> parseAlarms(
    std::string_view body);
[[nodiscard]] std::expected<std::vector<api::RechargeView>, ClientError> parseRecharges(
    std::string_view body);
[[nodiscard]] std::expected<api::Receipt, ClientError> parseReceipt(std::string_view body);
[[nodiscard]] std::expected<api::Health, ClientError> parseHealth(std::string_view body);
/// The error of a non-2xx answer: the API error body when there is one, else a Protocol error
/// carrying the status.
[[nodiscard]] ClientError errorFromResponse(int httpStatus, std::string_view body);

/// Request bodies.
[[nodiscard]] std::string identifyBody(const IdentifyRequest& request);
[[nodiscard]] std::string createOrderBody(const CreateOrderRequest& request);

}  // namespace prepaid::kiosk
