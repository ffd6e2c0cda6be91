#pragma once

#include <mutex>

#include "prepaid/client/api_client.hpp"

namespace prepaid::kiosk {

/// ApiClient over libcurl: one easy handle per call (calls come from a few workers; the handle
/// set-up costs microseconds next to a network round trip). Construct after curl_global_init
/// (CurlApiClient::globalInit does it once per process).
class CurlApiClient final : public ApiClient {
 public:
  explicit CurlApiClient(ClientConfig config);
  /// curl_global_init once; call on the main thread before any worker starts.
  static void globalInit();

  void configure(const ClientConfig& config) override;
  [[nodiscard]] ClientConfig config() const override;
  [[nodiscard]] std::expected<HealthResult, ClientError> health() override;
  [[nodiscard]] std::expected<api::AccountView, ClientError> identify(
      const IdentifyRequest& request) override;
  [[nodiscard]] std::expected<api::AccountView, ClientError> account(
      std::int64_t accountId, const std::string& tenantToken) override;
  [[nodiscard]] std::expected<api::UsageSeries, ClientError> usage(
      std::int64_t accountId, std::int64_t meterId, Granularity granularity,
      const std::string& tenantToken) override;
  [[nodiscard]] std::expected<std::vector<api::AlarmView>, ClientError> alarms(
      std::int64_t accountId, const std::string& tenantToken) override;
  [[nodiscard]] std::expected<std::vector<api::RechargeView>, ClientError> recharges(
      std::int64_t accountId, const std::string& tenantToken) override;
  [[nodiscard]] std::expected<api::Receipt, ClientError> receipt(
      std::int64_t accountId, std::int64_t entryId, const std::string& tenantToken) override;
  [[nodiscard]] std::expected<Order, ClientError> createOrder(
      const CreateOrderRequest& request) override;
  [[nodiscard]] std::expected<Order, ClientError> order(const std::string& orderNo) override;
  [[nodiscard]] std::expected<Order, ClientError> cancelOrder(const std::string& orderNo) override;
  [[nodiscard]] std::expected<Order, ClientError> submitPaymentCode(
      const std::string& orderNo, const std::string& authCode) override;
  [[nodiscard]] std::expected<void, ClientError> markReceipted(const std::string& orderNo) override;
  [[nodiscard]] std::expected<StaffSession, ClientError> staffLogin(
      const std::string& username, const std::string& password) override;
  [[nodiscard]] std::expected<void, ClientError> audit(const std::string& staffToken,
                                                       const std::string& action,
                                                       const std::string& detail) override;

  struct Response {
    int status = 0;
    std::string body;
  };
  struct Call {
    std::string method;  // GET | POST
    std::string path;    // from /api/v1/...
    std::string body;    // JSON for POST
    std::string tenantToken;
    std::string staffToken;
    std::string idempotencyKey;
  };
  /// One HTTP exchange; a non-2xx status is returned as an Api/Protocol error.
  [[nodiscard]] std::expected<Response, ClientError> perform(const Call& call) const;

 private:
  mutable std::mutex m_mutex;  // guards m_config only; calls run in parallel
  ClientConfig m_config;
};

}  // namespace prepaid::kiosk
