#include "server_core.hpp"

#include <charconv>
#include <cstdio>

#include <arpa/inet.h>
#include <sys/socket.h>

#include "prepaid/api/json_fields.hpp"
#include "prepaid/api/time_format.hpp"
#include "prepaid/billing/billing_error.hpp"
#include "prepaid/http/crypto.hpp"

namespace prepaid::backend::http {

// [SECTION] helpers

std::string Request::header(const std::string& name) const {
  return raw.get_header_value(name);
}

std::optional<std::string> Request::query(const std::string& name) const {
  if (!raw.has_param(name)) {
    return std::nullopt;
  }
  return raw.get_param_value(name);
}

std::string Request::actor() const {
  if (staff) {
    return staff->op.username;
  }
  if (kiosk) {
    return "kiosk:" + kiosk->name;
  }
  return "anonymous";
}

Reply jsonReply(const Json& body, int status) {
  return Reply{status, body.dump(), "application/json"};
}

RouteSpec route(std::string method, std::string path, Access access, std::string tag,
                std::string summary, Handler handler) {
  RouteSpec spec;
  spec.method = std::move(method);
  spec.path = std::move(path);
  spec.access = access;
  spec.tag = std::move(tag);
  spec.summary = std::move(summary);
  spec.handler = std::move(handler);
  return spec;
}

ApiError apiError(ErrorCode code, std::string message) {
  return ApiError{code, std::move(message), {}};
}

ApiError fromStore(const store::StoreError& error) {
  switch (error.code) {
    case store::StoreErrorCode::NotFound:
      return apiError(ErrorCode::NotFound, error.message);
    case store::StoreErrorCode::Duplicate:
      return apiError(ErrorCode::Conflict, error.message);
    case store::StoreErrorCode::IdempotencyConflict:
      return apiError(ErrorCode::IdempotencyConflict, error.message);
    case store::StoreErrorCode::Constraint:
      return apiError(ErrorCode::Conflict, error.message);
    case store::StoreErrorCode::InvalidArgument:
      return apiError(ErrorCode::InvalidField, error.message);
    case store::StoreErrorCode::InvalidTransition:
      return apiError(ErrorCode::InvalidState, error.message);
    case store::StoreErrorCode::Busy:
      return apiError(ErrorCode::Busy, "the database is busy; retry");
    default:
      // Details go to the log (by the dispatcher), never to the client.
      return apiError(ErrorCode::Internal,
                      "internal error (store: " + std::string(store::toString(error.code)) + ")");
  }
}

ApiError fromBilling(const billing::BillingError& error) {
  using billing::BillingErrorCode;
  switch (error.code) {
    case BillingErrorCode::UnknownMeter:
      return apiError(ErrorCode::UnknownMeter, error.message);
    case BillingErrorCode::UnknownEntry:
      return apiError(ErrorCode::NotFound, error.message);
    case BillingErrorCode::UnknownTariff:
      return apiError(ErrorCode::UnknownTariff, error.message);
    case BillingErrorCode::AccountNotOpen:
      return apiError(ErrorCode::AccountNotOpen, error.message);
    case BillingErrorCode::SettlementBlocked:
    case BillingErrorCode::MeterClosed:
      return apiError(ErrorCode::InvalidState, error.message);
    case BillingErrorCode::SalesBlocked:
      return apiError(ErrorCode::SalesBlocked, error.message);
    case BillingErrorCode::AboveHoardingCap:
      return apiError(ErrorCode::AboveHoardingCap, error.message);
    case BillingErrorCode::InvalidTariff:
      return apiError(ErrorCode::InvalidTariff, error.message);
    case BillingErrorCode::NonPositiveAmount:
    case BillingErrorCode::InvalidConfiguration:
    case BillingErrorCode::PriceChangeInPast:
    case BillingErrorCode::Overflow:
      return apiError(ErrorCode::InvalidField, error.message);
    case BillingErrorCode::RefundAboveBalance:
      return apiError(ErrorCode::RefundAboveBalance, error.message);
    case BillingErrorCode::NotSupportedMeterSide:
      return apiError(ErrorCode::NotSupported, error.message);
    case BillingErrorCode::NotCorrectable:
    case BillingErrorCode::LedgerNotEmpty:
      // The billing message says which meter and why (an opening balance only goes on a meter
      // with an empty ledger); invalid_state is the existing 409 for "not in this state".
      return apiError(ErrorCode::InvalidState, error.message);
    case BillingErrorCode::MissingSource:
      return apiError(ErrorCode::MissingField, error.message);
    case BillingErrorCode::AlreadyCorrected:
      return apiError(ErrorCode::AlreadyCorrected, error.message);
    case BillingErrorCode::IdempotencyConflict:
      return apiError(ErrorCode::IdempotencyConflict, error.message);
    case BillingErrorCode::EmptyIdempotencyKey:
      return apiError(ErrorCode::MissingIdempotencyKey, error.message);
    case BillingErrorCode::Busy:
      return apiError(ErrorCode::Busy, "the database is busy; retry");
    default:
      return apiError(ErrorCode::Internal, "internal error (billing: " +
                                               std::string(billing::toString(error.code)) + ")");
  }
}

std::expected<std::int64_t, ApiError> pathId(const Request& request, const std::string& name) {
  const auto it = request.pathParams.find(name);
  std::int64_t value = 0;
  if (it != request.pathParams.end()) {
    const auto& text = it->second;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc{} && ptr == text.data() + text.size() && value > 0) {
      return value;
    }
  }
  return std::unexpected(
      apiError(ErrorCode::InvalidParameter, "path parameter '" + name + "' must be a positive id"));
}

std::expected<std::optional<std::int64_t>, ApiError> queryInt(const Request& request,
                                                              const std::string& name,
                                                              std::int64_t min, std::int64_t max) {
  const auto text = request.query(name);
  if (!text) {
    return std::optional<std::int64_t>{};
  }
  std::int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc{} || ptr != text->data() + text->size() || value < min || value > max) {
    return std::unexpected(apiError(ErrorCode::InvalidParameter,
                                    "query parameter '" + name + "' must be an integer between " +
                                        std::to_string(min) + " and " + std::to_string(max)));
  }
  return std::optional<std::int64_t>(value);
}

std::expected<std::optional<domain::Instant>, ApiError> queryTime(const Request& request,
                                                                  const std::string& name) {
  const auto text = request.query(name);
  if (!text) {
    return std::optional<domain::Instant>{};
  }
  const auto parsed = api::parseRfc3339(*text);
  if (!parsed) {
    return std::unexpected(apiError(
        ErrorCode::InvalidParameter,
        "query parameter '" + name + "' must be an RFC 3339 time like 2024-05-01T00:00:00+08:00"));
  }
  return std::optional<domain::Instant>(*parsed);
}

namespace {

// Marks a store callback aborted by an API-level refusal; the real error travels beside it.
constexpr std::string_view AbortedByApi = "aborted by the HTTP layer";

// Requests served on one keep-alive connection before it is closed and reopened: long enough to
// spare reconnects, short enough that connections queued behind a full pool get a turn soon.
constexpr std::size_t KeepAliveMaxRequests = 100;
// Pending connections the kernel queues while every worker is busy.
constexpr int ListenBacklog = 512;

}  // namespace

std::expected<void, ApiError> readStore(
    store::Store& store,
    const std::function<std::expected<void, ApiError>(const store::ReadTransaction&)>& work) {
  std::optional<ApiError> failure;
  auto result =
      store.read([&](const store::ReadTransaction& tx) -> std::expected<void, store::StoreError> {
        auto done = work(tx);
        if (!done) {
          failure = done.error();
          return std::unexpected(
              store::StoreError{store::StoreErrorCode::InvalidArgument, std::string(AbortedByApi)});
        }
        return {};
      });
  if (failure) {
    return std::unexpected(*failure);
  }
  if (!result) {
    return std::unexpected(fromStore(result.error()));
  }
  return {};
}

std::expected<void, ApiError> writeStore(
    store::Store& store,
    const std::function<std::expected<void, ApiError>(store::WriteTransaction&)>& work) {
  std::optional<ApiError> failure;
  auto result =
      store.write([&](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
        auto done = work(tx);
        if (!done) {
          failure = done.error();
          return std::unexpected(
              store::StoreError{store::StoreErrorCode::InvalidArgument, std::string(AbortedByApi)});
        }
        return {};
      });
  if (failure) {
    return std::unexpected(*failure);
  }
  if (!result) {
    return std::unexpected(fromStore(result.error()));
  }
  return {};
}

// [SECTION] core

ServerCore::ServerCore(HttpServices services, HttpOptions options)
    : m_services(std::move(services)),
      m_options(std::move(options)),
      m_hasher(m_options.passwordIterations) {
  registerSystemRoutes(*this);
  registerKioskRoutes(*this);
  registerAuthRoutes(*this);
  registerSiteRoutes(*this);
  registerAccountRoutes(*this);
  registerSalesRoutes(*this);
  registerOperationRoutes(*this);
  registerOrderRoutes(*this);
  registerTariffRoutes(*this);
}

ServerCore::~ServerCore() {
  stop();
}

domain::Instant ServerCore::now() const {
  if (m_services.clock) {
    return m_services.clock();
  }
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

void ServerCore::log(const std::string& line) const {
  if (m_options.log) {
    m_options.log(line);
  } else {
    std::fprintf(stderr, "prepaid-http: %s\n", line.c_str());
  }
}

void ServerCore::add(RouteSpec spec) {
  // {name} -> ([^/]+); everything else is literal (paths hold only [a-z0-9/_.-]).
  std::string regex;
  std::size_t i = 0;
  while (i < spec.path.size()) {
    if (spec.path[i] == '{') {
      const auto end = spec.path.find('}', i);
      spec.paramNames.push_back(spec.path.substr(i + 1, end - i - 1));
      regex += "([^/]+)";
      i = end + 1;
    } else {
      if (spec.path[i] == '.') {
        regex += "\\.";
      } else {
        regex += spec.path[i];
      }
      ++i;
    }
  }
  spec.pattern = std::regex(regex);
  m_routes.push_back(std::move(spec));
}

std::expected<void, store::StoreError> ServerCore::audit(store::WriteTransaction& tx,
                                                         Request& request,
                                                         const std::string& action,
                                                         const std::string& target,
                                                         const Json& before, const Json& after) {
  AuditEntry entry;
  entry.at = now();
  entry.actor = request.actor();
  entry.action = action;
  entry.target = target;
  entry.beforeJson = before.dump();
  entry.afterJson = after.dump();
  entry.client = request.client;
  entry.outcome = "ok";
  auto appended = appendAudit(tx, entry);
  if (!appended) {
    return std::unexpected(appended.error());
  }
  request.audited = true;
  return {};
}

void ServerCore::auditAfter(Request& request, const std::string& action, const std::string& target,
                            const Json& before, const Json& after, const std::string& outcome) {
  AuditEntry entry;
  entry.at = now();
  entry.actor = request.actor();
  entry.action = action;
  entry.target = target;
  entry.beforeJson = before.dump();
  entry.afterJson = after.dump();
  entry.client = request.client;
  entry.outcome = outcome;
  if (auto appended = appendAudit(m_services.store, entry); !appended) {
    log("audit append failed for " + action + ": " + appended.error().message);
    return;
  }
  request.audited = true;
}

std::string ServerCore::issueTenantToken(store::AccountId account, store::KioskId kiosk) {
  const auto token = randomHex(24);
  const auto expires = now() + m_options.tenantTokenTtl;
  std::scoped_lock lock(m_tenantMutex);
  // Drop expired grants on the way so the map stays as small as the kiosks' live sessions.
  const auto current = now();
  std::erase_if(m_tenantGrants, [&](const auto& item) { return item.second.expiresAt <= current; });
  m_tenantGrants[sha256Hex(token)] = TenantGrant{account, kiosk, expires};
  return token;
}

std::optional<TenantGrant> ServerCore::tenantGrant(const std::string& token) {
  if (token.empty() || token.size() > 128) {
    return std::nullopt;
  }
  std::scoped_lock lock(m_tenantMutex);
  const auto it = m_tenantGrants.find(sha256Hex(token));
  if (it == m_tenantGrants.end() || it->second.expiresAt <= now()) {
    return std::nullopt;
  }
  return it->second;
}

std::optional<domain::Instant> ServerCore::lockedUntil(
    const std::optional<store::Throttle>& throttle, domain::Instant now) {
  if (throttle && throttle->lockedUntil && *throttle->lockedUntil > now) {
    return throttle->lockedUntil;
  }
  return std::nullopt;
}

namespace {

std::string failureSlot(const std::string& subject, std::int64_t slot) {
  return subject + "#" + std::to_string(slot);
}

}  // namespace

std::expected<bool, store::StoreError> ServerCore::recordFailure(store::WriteTransaction& tx,
                                                                 const std::string& subject,
                                                                 std::int64_t limit,
                                                                 std::chrono::seconds window) {
  const auto current = now();
  const auto slots = std::max<std::int64_t>(limit, 1);
  auto existing = tx.access().throttle(subject);
  if (!existing) {
    return std::unexpected(existing.error());
  }
  // The subject's own row: windowStart = when this series of failures began (slot rows older
  // than it are stale: a success or a staff unlock deleted the row, and a lock starts a new
  // series), failures = how many failures the series has seen (the next slot is failures % N).
  store::Throttle head{subject, 0, current, std::nullopt};
  if (*existing) {
    head = **existing;
  }
  if (head.lockedUntil && *head.lockedUntil <= current) {
    head.lockedUntil.reset();
  }
  const auto slot = head.failures % slots;
  ++head.failures;
  if (auto put = tx.access().putThrottle(
          store::Throttle{failureSlot(subject, slot), 0, current, std::nullopt});
      !put) {
    return std::unexpected(put.error());
  }
  // The last N failures are in the N slots: count those inside the window (a sliding window,
  // so failures cannot be bunched at the edge of two fixed windows).
  std::int64_t recent = 0;
  for (std::int64_t i = 0; i < slots; ++i) {
    auto at = tx.access().throttle(failureSlot(subject, i));
    if (!at) {
      return std::unexpected(at.error());
    }
    if (*at && (*at)->windowStart >= head.windowStart && (*at)->windowStart + window > current) {
      ++recent;
    }
  }
  bool locked = false;
  if (recent >= limit) {
    head.lockedUntil = current + window;
    // The failures that caused the lock are spent: a new series starts after them.
    head.windowStart = current + std::chrono::seconds(1);
    head.failures = 0;
    locked = true;
  }
  if (auto put = tx.access().putThrottle(head); !put) {
    return std::unexpected(put.error());
  }
  return locked;
}

std::expected<std::optional<domain::Instant>, store::StoreError> ServerCore::admitAttempt(
    store::WriteTransaction& tx, const std::string& subject, std::int64_t limit,
    std::chrono::seconds window) {
  auto existing = tx.access().throttle(subject);
  if (!existing) {
    return std::unexpected(existing.error());
  }
  if (const auto until = lockedUntil(*existing, now())) {
    return until;
  }
  auto counted = recordFailure(tx, subject, limit, window);
  if (!counted) {
    return std::unexpected(counted.error());
  }
  return std::optional<domain::Instant>{};
}

std::expected<void, store::StoreError> ServerCore::clearFailures(store::WriteTransaction& tx,
                                                                 const std::string& subject,
                                                                 std::int64_t limit) {
  if (auto cleared = tx.access().clearThrottle(subject); !cleared) {
    return std::unexpected(cleared.error());
  }
  for (std::int64_t i = 0; i < std::max<std::int64_t>(limit, 1); ++i) {
    if (auto cleared = tx.access().clearThrottle(failureSlot(subject, i)); !cleared) {
      return std::unexpected(cleared.error());
    }
  }
  return {};
}

const std::string& ServerCore::dummyPasswordHash() const {
  std::call_once(m_dummyHashOnce, [this] { m_dummyHash = m_hasher.hash("dummy-password"); });
  return m_dummyHash;
}

// [SECTION] dispatch

void ServerCore::writeError(httplib::Response& res, const ApiError& error) const {
  res.status = api::httpStatus(error.code);
  res.set_content(api::errorBody(error), "application/json");
}

std::expected<void, ApiError> ServerCore::authenticate(const RouteSpec& route, Request& request) {
  if (route.access == Access::Public) {
    return {};
  }
  if (route.access == Access::Kiosk || route.access == Access::Tenant) {
    const auto key = request.header("X-Kiosk-Key");
    if (key.empty() || key.size() > 256) {
      return std::unexpected(apiError(ErrorCode::Unauthenticated, "missing X-Kiosk-Key header"));
    }
    const auto keyHash = sha256Hex(key);
    std::optional<store::Kiosk> kiosk;
    bool cached = false;
    {
      std::scoped_lock lock(m_kioskMutex);
      const auto it = m_kioskCache.find(keyHash);
      if (it != m_kioskCache.end() &&
          std::chrono::steady_clock::now() - it->second.fetchedAt < KioskCacheTtl) {
        kiosk = it->second.kiosk;
        cached = true;
      }
    }
    if (!cached) {
      auto read = readStore(store(),
                            [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
                              PREPAID_TRY_STORE(found, tx.access().kioskByKeyHash(keyHash));
                              kiosk = *found;
                              return {};
                            });
      if (!read) {
        return std::unexpected(read.error());
      }
      // Only known keys are cached, so random keys cannot grow the map.
      if (kiosk) {
        std::scoped_lock lock(m_kioskMutex);
        m_kioskCache[keyHash] = CachedKiosk{kiosk, std::chrono::steady_clock::now()};
      }
    }
    if (!kiosk || kiosk->enabled != store::KioskEnabled::Enabled) {
      return std::unexpected(apiError(ErrorCode::Unauthenticated, "unknown or disabled kiosk key"));
    }
    request.kiosk = kiosk;
    if (route.access == Access::Tenant) {
      const auto tenantToken = request.header("X-Tenant-Token");
      if (tenantToken.empty()) {
        // Personal details without a grant: at a PIN site the kiosk has to ask for the PIN
        // (pin_required), elsewhere it simply has not identified the shop yet.
        bool pinSite = false;
        auto read = readStore(
            store(), [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
              PREPAID_TRY_STORE(settings, tx.site().settings());
              pinSite = settings->pinPolicy == store::PinPolicy::Required;
              return {};
            });
        if (!read) {
          return std::unexpected(read.error());
        }
        if (pinSite) {
          return std::unexpected(apiError(
              ErrorCode::PinRequired,
              "this site requires the shop's PIN for personal details: identify with the PIN"));
        }
        return std::unexpected(
            apiError(ErrorCode::Unauthenticated, "missing X-Tenant-Token; identify first"));
      }
      auto grant = tenantGrant(tenantToken);
      if (!grant || grant->kioskId != kiosk->id) {
        return std::unexpected(apiError(ErrorCode::Unauthenticated,
                                        "missing or expired X-Tenant-Token; identify again"));
      }
      request.tenant = grant;
    }
    return {};
  }
  // Staff: Authorization: Bearer <token>.
  const auto authorization = request.header("Authorization");
  constexpr std::string_view Bearer = "Bearer ";
  if (authorization.size() <= Bearer.size() || authorization.size() > 512 ||
      authorization.compare(0, Bearer.size(), Bearer) != 0) {
    return std::unexpected(
        apiError(ErrorCode::Unauthenticated, "missing Authorization: Bearer <session token>"));
  }
  const auto tokenHash = sha256Hex(authorization.substr(Bearer.size()));
  const auto current = now();
  std::optional<StaffPrincipal> principal;
  bool expired = false;
  auto work =
      writeStore(store(), [&](store::WriteTransaction& tx) -> std::expected<void, ApiError> {
        PREPAID_TRY_STORE(session, tx.operators().session(tokenHash));
        if (!*session) {
          return {};
        }
        if ((*session)->expiresAt <= current) {
          expired = true;
          PREPAID_TRY_STORE(deleted, tx.operators().deleteSession(tokenHash));
          return {};
        }
        PREPAID_TRY_STORE(op, tx.operators().operatorById((*session)->operatorId));
        if (op->state != store::OperatorState::Active) {
          return {};
        }
        PREPAID_TRY_STORE(role, tx.operators().role(op->roleId));
        StaffPrincipal staff{*op, {}, tokenHash, (*session)->createdAt};
        for (const auto& name : role->permissions) {
          if (const auto permission = parsePermission(name)) {
            staff.permissions.insert(*permission);
          }
        }
        // Sliding idle timeout, capped by the absolute maximum age of the session.
        const auto idleExpiry = current + m_options.sessionIdleTimeout;
        const auto maxExpiry = (*session)->createdAt + m_options.sessionMaxAge;
        PREPAID_TRY_STORE(touched, tx.operators().touchSession(tokenHash, current,
                                                               std::min(idleExpiry, maxExpiry)));
        principal = std::move(staff);
        return {};
      });
  if (!work) {
    return std::unexpected(work.error());
  }
  if (expired) {
    return std::unexpected(
        apiError(ErrorCode::SessionExpired, "the session expired; log in again"));
  }
  if (!principal) {
    return std::unexpected(apiError(ErrorCode::Unauthenticated, "invalid session token"));
  }
  request.staff = std::move(principal);
  if (route.permission && !request.staff->permissions.contains(*route.permission)) {
    return std::unexpected(
        apiError(ErrorCode::Forbidden,
                 "this needs the permission '" + std::string(toString(*route.permission)) + "'"));
  }
  return {};
}

Result ServerCore::withIdempotency(const RouteSpec& route, Request& request) {
  const auto key = request.header("Idempotency-Key");
  if (key.empty()) {
    return std::unexpected(apiError(ErrorCode::MissingIdempotencyKey,
                                    "this request moves money: send an Idempotency-Key header"));
  }
  if (auto checked = api::checkText(key, "Idempotency-Key", api::LengthRange{1, 128}); !checked) {
    return std::unexpected(apiError(ErrorCode::InvalidParameter,
                                    "Idempotency-Key must be 1 to 128 printable characters"));
  }
  // Keys are scoped by the caller so two operators (or kiosks) cannot collide or replay each
  // other's responses.
  request.idempotencyKey = "http:" + request.actor() + ":" + key;
  const auto requestHash =
      sha256Hex(route.method + " " + request.raw.path + "\n" + request.raw.body);
  std::optional<store::IdempotencyRecord> stored;
  auto found =
      readStore(store(), [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
        PREPAID_TRY_STORE(record, tx.idempotency().find(request.idempotencyKey));
        stored = *record;
        return {};
      });
  if (!found) {
    return std::unexpected(found.error());
  }
  if (stored) {
    if (stored->requestHash != requestHash) {
      return std::unexpected(apiError(ErrorCode::IdempotencyConflict,
                                      "this Idempotency-Key was used for a different request"));
    }
    request.audited = true;  // the first request was audited; a replay changes nothing
    return Reply{static_cast<int>(stored->responseStatus), stored->responseBody,
                 "application/json"};
  }
  auto reply = route.handler(request);
  if (!reply || reply->status < 200 || reply->status >= 300) {
    return reply;  // failures are not stored: the same key may be retried after a fix
  }
  store::IdempotencyRecord record{request.idempotencyKey, requestHash, reply->status, reply->body,
                                  now()};
  std::optional<Reply> replayed;
  auto saved =
      writeStore(store(), [&](store::WriteTransaction& tx) -> std::expected<void, ApiError> {
        PREPAID_TRY_STORE(result, tx.idempotency().save(record));
        if (result->outcome == store::SaveOutcome::Replayed) {
          replayed = Reply{static_cast<int>(result->record.responseStatus),
                           result->record.responseBody, "application/json"};
        }
        return {};
      });
  if (!saved) {
    return std::unexpected(saved.error());
  }
  return replayed ? *replayed : *reply;
}

Result ServerCore::runRoute(const RouteSpec& route, Request& request) {
  if (auto authenticated = authenticate(route, request); !authenticated) {
    return std::unexpected(authenticated.error());
  }
  if (route.body == BodyKind::JsonObject) {
    if (request.raw.body.size() > m_options.maxJsonBodyBytes) {
      return std::unexpected(apiError(
          ErrorCode::PayloadTooLarge,
          "JSON bodies are limited to " + std::to_string(m_options.maxJsonBodyBytes) + " bytes"));
    }
    const auto type = request.header("Content-Type");
    if (!type.empty() && type.find("application/json") == std::string::npos) {
      return std::unexpected(
          apiError(ErrorCode::UnsupportedMediaType, "send the body as application/json"));
    }
    auto parsed = api::parseJsonObject(request.raw.body);
    if (!parsed) {
      return std::unexpected(parsed.error());
    }
    request.body = std::move(*parsed);
  } else if (route.body == BodyKind::Raw) {
    if (request.raw.body.size() > m_options.maxJsonBodyBytes) {
      return std::unexpected(apiError(
          ErrorCode::PayloadTooLarge,
          "bodies are limited to " + std::to_string(m_options.maxJsonBodyBytes) + " bytes"));
    }
  } else if (route.body == BodyKind::Csv) {
    if (request.raw.body.size() > m_options.maxImportBodyBytes) {
      return std::unexpected(apiError(
          ErrorCode::PayloadTooLarge,
          "imports are limited to " + std::to_string(m_options.maxImportBodyBytes) + " bytes"));
    }
  }
  if (route.idempotency == Idempotency::Required) {
    return withIdempotency(route, request);
  }
  return route.handler(request);
}

void ServerCore::dispatch(const RouteSpec& route, const httplib::Request& raw,
                          httplib::Response& res) {
  ++requestsServed;
  Request request{raw, {}, {}, std::nullopt, std::nullopt, std::nullopt, {}, {}, false};
  for (std::size_t i = 0; i < route.paramNames.size() && i + 1 < raw.matches.size(); ++i) {
    request.pathParams[route.paramNames[i]] = raw.matches[i + 1].str();
  }
  auto agent = raw.get_header_value("User-Agent").substr(0, 80);
  request.client =
      raw.remote_addr + ":" + std::to_string(raw.remote_port) + (agent.empty() ? "" : " " + agent);
  Result result = std::unexpected(apiError(ErrorCode::Internal, "internal error"));
  try {
    result = runRoute(route, request);
  } catch (const std::exception& error) {
    log("unhandled exception in " + route.method + " " + route.path + ": " + error.what());
    result = std::unexpected(apiError(ErrorCode::Internal, "internal error"));
  } catch (...) {
    log("unhandled exception in " + route.method + " " + route.path);
    result = std::unexpected(apiError(ErrorCode::Internal, "internal error"));
  }
  if (result) {
    res.status = result->status;
    res.set_content(result->body, result->contentType.c_str());
  } else {
    ++requestErrors;
    if (result.error().code == ErrorCode::Internal) {
      log(route.method + " " + raw.path + ": " + result.error().message);
    }
    writeError(res, result.error());
  }
  // Every staff action leaves a record, also when refused (after authentication).
  if (route.access == Access::Staff && route.method != "GET" && request.staff && !request.audited) {
    try {
      const std::string outcome = result ? "ok" : std::string(api::toString(result.error().code));
      auditAfter(request, route.method + " " + route.path, raw.path, nullptr, nullptr, outcome);
    } catch (...) {
      log("audit of a refused request failed");
    }
  }
}

void ServerCore::bindRoutes(httplib::Server& server) {
  // httplib tries routes in registration order: literal paths first, so that
  // /api/v1/meters/status is not taken by /api/v1/meters/{meter_id}.
  std::vector<const RouteSpec*> ordered;
  for (const auto& route : m_routes) {
    if (route.paramNames.empty()) {
      ordered.push_back(&route);
    }
  }
  for (const auto& route : m_routes) {
    if (!route.paramNames.empty()) {
      ordered.push_back(&route);
    }
  }
  for (const auto* spec : ordered) {
    const auto& route = *spec;
    auto handler = [this, spec](const httplib::Request& req, httplib::Response& res) {
      dispatch(*spec, req, res);
    };
    std::string pattern;
    for (std::size_t i = 0; i < route.path.size(); ++i) {
      if (route.path[i] == '{') {
        pattern += "([^/]+)";
        i = route.path.find('}', i);
      } else if (route.path[i] == '.') {
        pattern += "\\.";
      } else {
        pattern += route.path[i];
      }
    }
    if (route.method == "GET") {
      server.Get(pattern, handler);
    } else if (route.method == "POST") {
      server.Post(pattern, handler);
    } else if (route.method == "PUT") {
      server.Put(pattern, handler);
    } else if (route.method == "PATCH") {
      server.Patch(pattern, handler);
    } else if (route.method == "DELETE") {
      server.Delete(pattern, handler);
    }
  }
  server.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) {
      return;  // a route already answered with a JSON error
    }
    ApiError error = apiError(ErrorCode::Internal, "internal error");
    if (res.status == 404) {
      error = apiError(ErrorCode::NotFound, "no route " + req.method + " " + req.path);
      for (const auto& route : m_routes) {
        if (std::regex_match(req.path, route.pattern) && route.method != req.method) {
          error =
              apiError(ErrorCode::MethodNotAllowed, req.method + " is not allowed on " + req.path);
          break;
        }
      }
    } else if (res.status == 413) {
      error = apiError(ErrorCode::PayloadTooLarge, "the request body is too large");
    } else if (res.status == 400) {
      error = apiError(ErrorCode::InvalidParameter, "malformed request");
    } else if (res.status == 405) {
      error = apiError(ErrorCode::MethodNotAllowed, "method not allowed");
    }
    writeError(res, error);
  });
  server.set_exception_handler(
      [this](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
        log("exception outside a route for " + req.method + " " + req.path);
        writeError(res, apiError(ErrorCode::Internal, "internal error"));
      });
}

bool isLoopbackHost(const std::string& host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") {
    return true;
  }
  in_addr address{};
  if (inet_pton(AF_INET, host.c_str(), &address) == 1) {
    return (ntohl(address.s_addr) >> 24) == 127;
  }
  return false;
}

std::expected<int, HttpError> ServerCore::start(const std::string& host, int port,
                                                const std::optional<TlsOptions>& tls) {
  if (m_server) {
    return std::unexpected(HttpError{HttpErrorCode::AlreadyRunning, "the server is running"});
  }
  if (!tls && !isLoopbackHost(host)) {
    return std::unexpected(HttpError{
        HttpErrorCode::PlainHttpNotOnLoopback,
        "refusing plain HTTP on '" + host + "': configure a TLS certificate or bind to 127.0.0.1"});
  }
  std::unique_ptr<httplib::Server> server;
  if (tls) {
    auto ssl = std::make_unique<httplib::SSLServer>(tls->certificateFile.c_str(),
                                                    tls->privateKeyFile.c_str());
    if (!ssl->is_valid()) {
      return std::unexpected(HttpError{HttpErrorCode::TlsSetupFailed,
                                       "cannot load TLS certificate '" +
                                           tls->certificateFile.string() + "' or key '" +
                                           tls->privateKeyFile.string() + "'"});
    }
    server = std::move(ssl);
  } else {
    server = std::make_unique<httplib::Server>();
  }
  const auto threads = std::max<std::size_t>(m_options.threads, 2);
  server->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server->set_payload_max_length(
      std::max(m_options.maxImportBodyBytes, m_options.maxJsonBodyBytes));
  server->set_keep_alive_timeout(m_options.keepAliveTimeout.count());
  // Small JSON replies: without TCP_NODELAY, Nagle + delayed ACK add ~40 ms per request.
  server->set_tcp_nodelay(true);
  server->set_read_timeout(m_options.readTimeout.count(), 0);
  server->set_write_timeout(m_options.readTimeout.count(), 0);
  // Debian's compiled cpp-httplib listens with a backlog of 5 and closes a keep-alive connection
  // after 5 requests: kiosks and consoles reconnecting together overflow the backlog, the kernel
  // drops their SYNs and each pays a 1 s retransmit. Keep connections open longer and raise the
  // backlog on the listening socket, which httplib hands to the socket-options hook before bind.
  server->set_keep_alive_max_count(KeepAliveMaxRequests);
  socket_t listeningSocket = INVALID_SOCKET;
  server->set_socket_options([&listeningSocket](socket_t socket) {
    httplib::default_socket_options(socket);
    listeningSocket = socket;
  });
  bindRoutes(*server);

  int bound = port;
  if (port == 0) {
    bound = server->bind_to_any_port(host);
    if (bound < 0) {
      return std::unexpected(HttpError{HttpErrorCode::BindFailed, "cannot bind " + host});
    }
  } else if (!server->bind_to_port(host, port)) {
    return std::unexpected(
        HttpError{HttpErrorCode::BindFailed, "cannot bind " + host + ":" + std::to_string(port)});
  }
  if (listeningSocket != INVALID_SOCKET && ::listen(listeningSocket, ListenBacklog) != 0) {
    return std::unexpected(
        HttpError{HttpErrorCode::BindFailed, "cannot raise the listen backlog on " + host});
  }
  server->set_socket_options(httplib::default_socket_options);
  m_server = std::move(server);
  m_thread = std::thread([this] { m_server->listen_after_bind(); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!m_server->is_running()) {
    if (std::chrono::steady_clock::now() > deadline) {
      stop();
      return std::unexpected(HttpError{HttpErrorCode::StartTimeout, "the listener did not start"});
    }
    std::this_thread::yield();
  }
  return bound;
}

void ServerCore::stop() {
  if (m_server) {
    m_server->stop();
  }
  if (m_thread.joinable()) {
    m_thread.join();
  }
  m_server.reset();
}

}  // namespace prepaid::backend::http
