#include "prepaid/http/http_server.hpp"

#include "server_core.hpp"

#include "prepaid/http/access_admin.hpp"

namespace prepaid::backend::http {

HttpServer::HttpServer(HttpServices services, HttpOptions options)
    : m_core(std::make_unique<ServerCore>(std::move(services), std::move(options))) {}

HttpServer::~HttpServer() {
  stop();
}

std::expected<int, HttpError> HttpServer::start(const std::string& host, int port,
                                                const std::optional<TlsOptions>& tls) {
  if (auto roles = ensureBuiltinRoles(m_core->store(), m_core->now(), "prepaid-backend"); !roles) {
    m_core->log("cannot create the built-in roles: " + roles.error().message);
  }
  return m_core->start(host, port, tls);
}

void HttpServer::stop() {
  m_core->stop();
}

std::vector<std::string> HttpServer::routes() const {
  std::vector<std::string> all;
  for (const auto& route : m_core->routes()) {
    all.push_back(route.method + " " + route.path);
  }
  return all;
}

std::string HttpServer::openApiJson() const {
  return m_core->openApiJson();
}

}  // namespace prepaid::backend::http
