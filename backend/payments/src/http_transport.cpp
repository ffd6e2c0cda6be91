#include <algorithm>
#include <cctype>
#include <mutex>
#include <regex>

#include <httplib.h>

#include "prepaid/payments/provider_transport.hpp"

namespace prepaid::backend::payments {

bool CaseInsensitiveLess::operator()(const std::string& a, const std::string& b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) <
           std::tolower(static_cast<unsigned char>(y));
  });
}

namespace {

class HttplibTransport final : public ProviderTransport {
 public:
  HttplibTransport(std::string schemeHostPort, std::string prefix, HttpTransportOptions options)
      : m_schemeHostPort(std::move(schemeHostPort)),
        m_prefix(std::move(prefix)),
        m_options(std::move(options)) {}

  std::expected<ProviderResponse, TransportError> send(const ProviderRequest& request) override {
    // httplib::Client is not safe for concurrent use; one client per call keeps the transport
    // thread-safe (provider calls are rare compared to the cost of a TLS handshake).
    httplib::Client client(m_schemeHostPort);
    client.set_connection_timeout(std::chrono::milliseconds(m_options.connectTimeoutMs));
    client.set_read_timeout(std::chrono::milliseconds(m_options.readTimeoutMs));
    client.set_write_timeout(std::chrono::milliseconds(m_options.readTimeoutMs));
    if (!m_options.caBundlePath.empty()) {
      client.set_ca_cert_path(m_options.caBundlePath.c_str());
    }
    client.enable_server_certificate_verification(true);
    httplib::Headers headers;
    for (const auto& [name, value] : request.headers) {
      headers.emplace(name, value);
    }
    const std::string target = m_prefix + request.target;
    httplib::Result result =
        request.method == "GET"
            ? client.Get(target, headers)
            : client.Post(target, headers, request.body,
                          request.contentType.empty() ? std::string("application/json")
                                                      : request.contentType);
    if (!result) {
      const auto error = result.error();
      const bool notSent =
          error == httplib::Error::Connection || error == httplib::Error::SSLConnection;
      return std::unexpected(TransportError{
          notSent ? TransportErrorCode::ConnectFailed
                  : (error == httplib::Error::Read ? TransportErrorCode::Timeout
                                                   : TransportErrorCode::Other),
          "HTTP " + request.method + " " + target + ": " + httplib::to_string(error)});
    }
    ProviderResponse response;
    response.status = result->status;
    response.body = result->body;
    for (const auto& [name, value] : result->headers) {
      response.headers[name] = value;
    }
    return response;
  }

 private:
  std::string m_schemeHostPort;
  std::string m_prefix;
  HttpTransportOptions m_options;
};

}  // namespace

std::expected<std::unique_ptr<ProviderTransport>, TransportError> makeHttpTransport(
    const std::string& baseUrl, const HttpTransportOptions& options) {
  static const std::regex Url(R"(^(https?://[A-Za-z0-9.\-]+(?::[0-9]{1,5})?)(/[^?#]*)?$)");
  std::smatch match;
  if (!std::regex_match(baseUrl, match, Url)) {
    return std::unexpected(TransportError{
        TransportErrorCode::Other,
        "provider base URL '" + baseUrl + "' is not http(s)://host[:port][/prefix]"});
  }
  std::string prefix = match[2].str();
  while (!prefix.empty() && prefix.back() == '/') {
    prefix.pop_back();
  }
  return std::make_unique<HttplibTransport>(match[1].str(), prefix, options);
}

}  // namespace prepaid::backend::payments
