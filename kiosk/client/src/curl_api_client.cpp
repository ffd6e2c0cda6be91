#include "prepaid/client/curl_api_client.hpp"

#include <cctype>
#include <memory>

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include "prepaid/client/wire_mapping.hpp"

namespace prepaid::kiosk {

namespace {

struct EasyCloser {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistCloser {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

std::size_t collect(char* data, std::size_t size, std::size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  // A kiosk answer is small; refuse anything absurd rather than fill memory.
  if (body->size() + size * count > 16U * 1024U * 1024U) {
    return 0;
  }
  body->append(data, size * count);
  return size * count;
}

std::string escapePath(const std::string& segment) {
  std::string out;
  for (const char ch : segment) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      constexpr char Hex[] = "0123456789ABCDEF";
      out.push_back('%');
      out.push_back(Hex[c >> 4]);
      out.push_back(Hex[c & 15]);
    }
  }
  return out;
}

template <typename T, typename Parse>
std::expected<T, ClientError> fetch(const CurlApiClient& client, const CurlApiClient::Call& call,
                                    Parse&& parse) {
  auto response = client.perform(call);
  if (!response) {
    return std::unexpected(response.error());
  }
  return parse(response->body);
}

}  // namespace

CurlApiClient::CurlApiClient(ClientConfig config) : m_config(std::move(config)) {}

void CurlApiClient::globalInit() {
  static const bool once = [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return true;
  }();
  (void)once;
}

void CurlApiClient::configure(const ClientConfig& config) {
  std::lock_guard lock(m_mutex);
  m_config = config;
}

ClientConfig CurlApiClient::config() const {
  std::lock_guard lock(m_mutex);
  return m_config;
}

std::expected<CurlApiClient::Response, ClientError> CurlApiClient::perform(const Call& call) const {
  const ClientConfig config = this->config();
  std::unique_ptr<CURL, EasyCloser> curl(curl_easy_init());
  if (!curl) {
    return std::unexpected(
        ClientError{ClientErrorKind::Network, std::nullopt, 0, "curl_easy_init failed"});
  }
  std::string url = config.baseUrl;
  while (!url.empty() && url.back() == '/') {
    url.pop_back();
  }
  url += call.path;
  curl_slist* rawHeaders = nullptr;
  rawHeaders = curl_slist_append(rawHeaders, "Accept: application/json");
  rawHeaders = curl_slist_append(rawHeaders, ("X-Kiosk-Key: " + config.kioskKey).c_str());
  if (!call.tenantToken.empty()) {
    rawHeaders = curl_slist_append(rawHeaders, ("X-Tenant-Token: " + call.tenantToken).c_str());
  }
  if (!call.staffToken.empty()) {
    rawHeaders =
        curl_slist_append(rawHeaders, ("Authorization: Bearer " + call.staffToken).c_str());
  }
  if (!call.idempotencyKey.empty()) {
    rawHeaders = curl_slist_append(rawHeaders, ("Idempotency-Key: " + call.idempotencyKey).c_str());
  }
  if (call.method == "POST") {
    rawHeaders = curl_slist_append(rawHeaders, "Content-Type: application/json");
  }
  std::unique_ptr<curl_slist, SlistCloser> headers(rawHeaders);
  std::string body;
  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_USERAGENT, "prepaid-kiosk");
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &collect);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(config.timeout.count()));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config.connectTimeout.count()));
  // Worker threads: signals for DNS timeouts would hit a random thread.
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  if (call.method == "POST") {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, call.body.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(call.body.size()));
  }
  const CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    const auto kind =
        rc == CURLE_OPERATION_TIMEDOUT ? ClientErrorKind::Timeout : ClientErrorKind::Network;
    return std::unexpected(
        ClientError{kind, std::nullopt, 0, std::string(curl_easy_strerror(rc)) + " (" + url + ")"});
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status >= 300) {
    return std::unexpected(errorFromResponse(static_cast<int>(status), body));
  }
  return Response{static_cast<int>(status), std::move(body)};
}

std::expected<HealthResult, ClientError> CurlApiClient::health() {
  const auto start = std::chrono::steady_clock::now();
  auto response = perform({"GET", "/api/v1/health", "", "", "", ""});
  if (!response) {
    return std::unexpected(response.error());
  }
  auto parsed = parseHealth(response->body);
  if (!parsed) {
    return std::unexpected(parsed.error());
  }
  return HealthResult{*parsed, std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now() - start)};
}

std::expected<api::AccountView, ClientError> CurlApiClient::identify(
    const IdentifyRequest& request) {
  return fetch<api::AccountView>(
      *this, {"POST", "/api/v1/kiosk/identify", identifyBody(request), "", "", ""}, parseAccount);
}

std::expected<api::AccountView, ClientError> CurlApiClient::account(
    std::int64_t accountId, const std::string& tenantToken) {
  return fetch<api::AccountView>(
      *this,
      {"GET", "/api/v1/kiosk/accounts/" + std::to_string(accountId), "", tenantToken, "", ""},
      parseAccount);
}

std::expected<api::UsageSeries, ClientError> CurlApiClient::usage(std::int64_t accountId,
                                                                  std::int64_t meterId,
                                                                  Granularity granularity,
                                                                  const std::string& tenantToken) {
  return fetch<api::UsageSeries>(
      *this,
      {"GET",
       "/api/v1/kiosk/accounts/" + std::to_string(accountId) + "/meters/" +
           std::to_string(meterId) + "/usage?granularity=" + std::string(toString(granularity)),
       "", tenantToken, "", ""},
      parseUsage);
}

std::expected<std::vector<api::AlarmView>, ClientError> CurlApiClient::alarms(
    std::int64_t accountId, const std::string& tenantToken) {
  return fetch<std::vector<api::AlarmView>>(
      *this,
      {"GET", "/api/v1/kiosk/accounts/" + std::to_string(accountId) + "/alarms", "", tenantToken,
       "", ""},
      parseAlarms);
}

std::expected<std::vector<api::RechargeView>, ClientError> CurlApiClient::recharges(
    std::int64_t accountId, const std::string& tenantToken) {
  return fetch<std::vector<api::RechargeView>>(
      *this,
      {"GET", "/api/v1/kiosk/accounts/" + std::to_string(accountId) + "/recharges", "", tenantToken,
       "", ""},
      parseRecharges);
}

std::expected<api::Receipt, ClientError> CurlApiClient::receipt(std::int64_t accountId,
                                                                std::int64_t entryId,
                                                                const std::string& tenantToken) {
  return fetch<api::Receipt>(*this,
                             {"GET",
                              "/api/v1/kiosk/accounts/" + std::to_string(accountId) + "/receipts/" +
                                  std::to_string(entryId),
                              "", tenantToken, "", ""},
                             parseReceipt);
}

std::expected<Order, ClientError> CurlApiClient::createOrder(const CreateOrderRequest& request) {
  return fetch<Order>(
      *this,
      {"POST", "/api/v1/kiosk/orders", createOrderBody(request), "", "", request.idempotencyKey},
      parseOrder);
}

std::expected<Order, ClientError> CurlApiClient::order(const std::string& orderNo) {
  return fetch<Order>(*this, {"GET", "/api/v1/kiosk/orders/" + escapePath(orderNo), "", "", "", ""},
                      parseOrder);
}

std::expected<Order, ClientError> CurlApiClient::cancelOrder(const std::string& orderNo) {
  return fetch<Order>(
      *this, {"POST", "/api/v1/kiosk/orders/" + escapePath(orderNo) + "/cancel", "{}", "", "", ""},
      parseOrder);
}

std::expected<Order, ClientError> CurlApiClient::submitPaymentCode(const std::string& orderNo,
                                                                   const std::string& authCode) {
  const std::string body = nlohmann::json{{"auth_code", authCode}}.dump();
  return fetch<Order>(
      *this, {"POST", "/api/v1/kiosk/orders/" + escapePath(orderNo) + "/code", body, "", "", ""},
      parseOrder);
}

std::expected<void, ClientError> CurlApiClient::markReceipted(const std::string& orderNo) {
  auto response = perform(
      {"POST", "/api/v1/kiosk/orders/" + escapePath(orderNo) + "/receipted", "{}", "", "", ""});
  if (!response) {
    return std::unexpected(response.error());
  }
  return {};
}

std::expected<StaffSession, ClientError> CurlApiClient::staffLogin(const std::string& username,
                                                                   const std::string& password) {
  const std::string body = nlohmann::json{{"username", username}, {"password", password}}.dump();
  return fetch<StaffSession>(*this, {"POST", "/api/v1/auth/login", body, "", "", ""},
                             parseStaffSession);
}

std::expected<void, ClientError> CurlApiClient::audit(const std::string& staffToken,
                                                      const std::string& action,
                                                      const std::string& detail) {
  const std::string body = nlohmann::json{{"action", action}, {"detail", detail}}.dump();
  auto response = perform({"POST", "/api/v1/audit/events", body, "", staffToken, ""});
  if (!response) {
    return std::unexpected(response.error());
  }
  return {};
}

}  // namespace prepaid::kiosk
