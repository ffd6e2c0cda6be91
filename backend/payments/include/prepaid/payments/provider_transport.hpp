#pragma once

// ProviderTransport: how the payment clients reach a provider's API. The real transport is
// cpp-httplib over HTTPS (or plain HTTP to a loopback prepaid-pay-sim); tests may substitute
// their own. Switching from the simulator to the real providers is a base-URL change only.

#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <string>

namespace prepaid::backend::payments {

/// Header names compared case-insensitively.
struct CaseInsensitiveLess {
  bool operator()(const std::string& a, const std::string& b) const;
};
using HeaderMap = std::map<std::string, std::string, CaseInsensitiveLess>;

struct ProviderRequest {
  std::string method;  // "GET" or "POST"
  std::string target;  // path and query, e.g. /v3/pay/transactions/native
  HeaderMap headers;
  std::string body;
  std::string contentType;  // for POST
};

struct ProviderResponse {
  int status = 0;
  HeaderMap headers;
  std::string body;
};

enum class TransportErrorCode {
  ConnectFailed,  // nothing was sent (the request certainly did not reach the provider)
  Timeout,        // sent, no answer in time: the outcome is unknown
  Other,
};

struct TransportError {
  TransportErrorCode code = TransportErrorCode::Other;
  std::string message;
};

class ProviderTransport {
 public:
  virtual ~ProviderTransport() = default;
  /// Sends one request and waits for the answer (any status). Thread-safe.
  [[nodiscard]] virtual std::expected<ProviderResponse, TransportError> send(
      const ProviderRequest& request) = 0;
};

struct HttpTransportOptions {
  std::int64_t connectTimeoutMs = 3000;
  std::int64_t readTimeoutMs = 10000;
  std::string caBundlePath;  // empty: the system's default CA store (https only)
};

/// cpp-httplib transport for `baseUrl` ("https://api.mch.weixin.qq.com",
/// "http://127.0.0.1:8600/wechat"): a path prefix in the base URL is prepended to every target.
/// Error when the URL is not http(s)://host[:port][/prefix].
[[nodiscard]] std::expected<std::unique_ptr<ProviderTransport>, TransportError> makeHttpTransport(
    const std::string& baseUrl, const HttpTransportOptions& options = {});

}  // namespace prepaid::backend::payments
