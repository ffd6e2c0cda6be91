#pragma once

// The server's private core: the route table, request context, authentication, idempotency and
// the helpers every route file uses. Route files register their routes with ServerCore::add();
// the dispatcher in server_core.cpp wraps each handler so that every answer is JSON, every error
// is {"error": {...}} and no exception leaves a handler.

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "prepaid/api/error_code.hpp"
#include "prepaid/http/audit_log.hpp"
#include "prepaid/http/http_server.hpp"
#include "prepaid/http/password_hasher.hpp"
#include "prepaid/http/permissions.hpp"
#include "prepaid/store/access_repository.hpp"
#include "prepaid/store/operator_repository.hpp"

namespace prepaid::backend::billing {
struct BillingError;
}

namespace prepaid::backend::http {

using api::ApiError;
using api::ErrorCode;
using Json = nlohmann::json;

enum class Access {
  Public,  // no credentials
  Kiosk,   // X-Kiosk-Key
  Tenant,  // X-Kiosk-Key + X-Tenant-Token from /kiosk/identify
  Staff,   // Authorization: Bearer <session token>
};

enum class BodyKind {
  None,
  JsonObject,
  Csv,
  Raw,  // passed to the handler as received (provider notifications: JSON or form, verified
        // by signature over the exact bytes); limited like JSON bodies
};

enum class Idempotency {
  None,
  Required,  // Idempotency-Key header; the first 2xx response is stored and replayed
};

struct StaffPrincipal {
  store::Operator op;
  std::set<Permission> permissions;
  std::string tokenHash;
  domain::Instant sessionCreatedAt{};  // the session's start (its maximum age counts from it)
};

struct TenantGrant {
  store::AccountId accountId = 0;
  store::KioskId kioskId = 0;
  domain::Instant expiresAt{};
};

struct Request {
  const httplib::Request& raw;
  std::map<std::string, std::string> pathParams;
  std::string client;  // "ip:port UA"
  std::optional<StaffPrincipal> staff;
  std::optional<store::Kiosk> kiosk;
  std::optional<TenantGrant> tenant;
  Json body;                   // parsed JSON object for BodyKind::JsonObject
  std::string idempotencyKey;  // scoped key for Idempotency::Required routes
  bool audited = false;        // the handler wrote its own audit record

  [[nodiscard]] std::string header(const std::string& name) const;
  [[nodiscard]] std::optional<std::string> query(const std::string& name) const;
  /// The actor name for audit records and ledger sources.
  [[nodiscard]] std::string actor() const;
};

struct Reply {
  int status = 200;
  std::string body;
  std::string contentType = "application/json";
};

using Result = std::expected<Reply, ApiError>;
using Handler = std::function<Result(Request&)>;

struct RouteSpec {
  std::string method;  // GET POST PUT PATCH DELETE
  std::string path;    // OpenAPI form: /api/v1/meters/{meter_id}
  Access access = Access::Public;
  std::optional<Permission> permission;
  BodyKind body = BodyKind::None;
  Idempotency idempotency = Idempotency::None;
  std::string tag;
  std::string summary;
  Handler handler;
  // Filled by add():
  std::regex pattern;
  std::vector<std::string> paramNames;

  // Builders (designated initialisers with omitted fields warn under -Wextra).
  RouteSpec&& needs(Permission value) && {
    permission = value;
    return std::move(*this);
  }
  RouteSpec&& jsonBody() && {
    body = BodyKind::JsonObject;
    return std::move(*this);
  }
  RouteSpec&& csvBody() && {
    body = BodyKind::Csv;
    return std::move(*this);
  }
  RouteSpec&& rawBody() && {
    body = BodyKind::Raw;
    return std::move(*this);
  }
  RouteSpec&& idempotent() && {
    idempotency = Idempotency::Required;
    return std::move(*this);
  }
};

/// A route: method, OpenAPI path, access rule, tag, one-line summary, handler.
[[nodiscard]] RouteSpec route(std::string method, std::string path, Access access, std::string tag,
                              std::string summary, Handler handler);

/// Shorthands for handlers.
[[nodiscard]] Reply jsonReply(const Json& body, int status = 200);
[[nodiscard]] ApiError apiError(ErrorCode code, std::string message);
[[nodiscard]] ApiError fromStore(const store::StoreError& error);
[[nodiscard]] ApiError fromBilling(const billing::BillingError& error);

class ServerCore {
 public:
  ServerCore(HttpServices services, HttpOptions options);
  ~ServerCore();

  void add(RouteSpec spec);
  [[nodiscard]] const std::vector<RouteSpec>& routes() const { return m_routes; }
  [[nodiscard]] std::string openApiJson() const;

  [[nodiscard]] std::expected<int, HttpError> start(const std::string& host, int port,
                                                    const std::optional<TlsOptions>& tls);
  void stop();

  // --- for route files ---
  [[nodiscard]] store::Store& store() { return m_services.store; }
  [[nodiscard]] const HttpServices& services() const { return m_services; }
  [[nodiscard]] const HttpOptions& options() const { return m_options; }
  [[nodiscard]] const PasswordHasher& hasher() const { return m_hasher; }
  [[nodiscard]] domain::Instant now() const;
  void log(const std::string& line) const;

  /// Appends an audit record for a staff request inside `tx` and marks the request audited.
  [[nodiscard]] std::expected<void, store::StoreError> audit(store::WriteTransaction& tx,
                                                             Request& request,
                                                             const std::string& action,
                                                             const std::string& target,
                                                             const Json& before, const Json& after);
  /// Same in its own transaction (for work done by a service in its own transaction).
  void auditAfter(Request& request, const std::string& action, const std::string& target,
                  const Json& before, const Json& after, const std::string& outcome = "ok");

  /// Tenant grants (kiosk look-ups): issue and check.
  [[nodiscard]] std::string issueTenantToken(store::AccountId account, store::KioskId kiosk);
  [[nodiscard]] std::optional<TenantGrant> tenantGrant(const std::string& token);

  /// A failed attempt against a throttle subject; returns true when it is now locked. Sliding
  /// window: the subject locks for `window` from the `limit`-th failure within any `window`
  /// (the times of the last `limit` failures are kept in rows "<subject>#<slot>").
  [[nodiscard]] std::expected<bool, store::StoreError> recordFailure(store::WriteTransaction& tx,
                                                                     const std::string& subject,
                                                                     std::int64_t limit,
                                                                     std::chrono::seconds window);
  /// Check-and-count in one write transaction, before the slow secret check: when the subject
  /// is locked, the instant the lock ends (nothing counted); otherwise this attempt is counted as
  /// a failure up front (clearFailures() forgets it after a success), so parallel attempts cannot
  /// all pass the check before any of them is counted.
  [[nodiscard]] std::expected<std::optional<domain::Instant>, store::StoreError> admitAttempt(
      store::WriteTransaction& tx, const std::string& subject, std::int64_t limit,
      std::chrono::seconds window);
  /// Forgets a subject's failures and lock (after a success or an unlock by staff).
  [[nodiscard]] std::expected<void, store::StoreError> clearFailures(store::WriteTransaction& tx,
                                                                     const std::string& subject,
                                                                     std::int64_t limit);
  /// A hash of a fixed dummy password with the configured iteration count (computed once):
  /// verified against for unknown usernames, so they cost the same PBKDF2 work as known ones.
  [[nodiscard]] const std::string& dummyPasswordHash() const;
  /// When the subject is locked, the instant the lock ends.
  [[nodiscard]] static std::optional<domain::Instant> lockedUntil(
      const std::optional<store::Throttle>& throttle, domain::Instant now);

  std::atomic<std::int64_t> requestsServed{0};
  std::atomic<std::int64_t> requestErrors{0};

 private:
  void bindRoutes(httplib::Server& server);
  void dispatch(const RouteSpec& route, const httplib::Request& raw, httplib::Response& res);
  Result runRoute(const RouteSpec& route, Request& request);
  [[nodiscard]] std::expected<void, ApiError> authenticate(const RouteSpec& route,
                                                           Request& request);
  Result withIdempotency(const RouteSpec& route, Request& request);
  void writeError(httplib::Response& res, const ApiError& error) const;

  HttpServices m_services;
  HttpOptions m_options;
  PasswordHasher m_hasher;
  std::vector<RouteSpec> m_routes;
  mutable std::once_flag m_dummyHashOnce;
  mutable std::string m_dummyHash;

  // Kiosk keys change rarely and are checked on every kiosk request: a short-lived cache saves
  // one read transaction per request (a disabled kiosk is refused within KioskCacheTtl).
  static constexpr std::chrono::seconds KioskCacheTtl{30};
  struct CachedKiosk {
    std::optional<store::Kiosk> kiosk;
    std::chrono::steady_clock::time_point fetchedAt;
  };
  std::mutex m_kioskMutex;
  std::map<std::string, CachedKiosk> m_kioskCache;  // by key hash

  std::mutex m_tenantMutex;
  std::map<std::string, TenantGrant> m_tenantGrants;  // by token hash

  std::unique_ptr<httplib::Server> m_server;
  std::thread m_thread;
};

// Route registration (one file per area).
void registerSystemRoutes(ServerCore& core);
void registerKioskRoutes(ServerCore& core);
void registerAuthRoutes(ServerCore& core);
void registerSiteRoutes(ServerCore& core);
void registerAccountRoutes(ServerCore& core);
void registerSalesRoutes(ServerCore& core);
void registerOperationRoutes(ServerCore& core);
void registerOrderRoutes(ServerCore& core);
void registerTariffRoutes(ServerCore& core);

/// Path parameter as a positive id; InvalidParameter otherwise.
[[nodiscard]] std::expected<std::int64_t, ApiError> pathId(const Request& request,
                                                           const std::string& name);
/// Optional integer query parameter within [min, max]; InvalidParameter when malformed.
[[nodiscard]] std::expected<std::optional<std::int64_t>, ApiError> queryInt(const Request& request,
                                                                            const std::string& name,
                                                                            std::int64_t min,
                                                                            std::int64_t max);
/// Optional RFC 3339 query parameter.
[[nodiscard]] std::expected<std::optional<domain::Instant>, ApiError> queryTime(
    const Request& request, const std::string& name);

/// Runs a read transaction and maps store errors.
[[nodiscard]] std::expected<void, ApiError> readStore(
    store::Store& store,
    const std::function<std::expected<void, ApiError>(const store::ReadTransaction&)>& work);
/// Runs a write transaction (Durability::Full) and maps store errors.
[[nodiscard]] std::expected<void, ApiError> writeStore(
    store::Store& store,
    const std::function<std::expected<void, ApiError>(store::WriteTransaction&)>& work);

/// Unwraps a store result inside a transaction callback.
#define PREPAID_TRY_STORE(var, expr)                                          \
  auto var = (expr);                                                          \
  if (!var) {                                                                 \
    return std::unexpected(::prepaid::backend::http::fromStore(var.error())); \
  }

#define PREPAID_TRY(var, expr)           \
  auto var = (expr);                     \
  if (!var) {                            \
    return std::unexpected(var.error()); \
  }

}  // namespace prepaid::backend::http
