#pragma once

// HttpServer: the backend's HTTP(S) face (cpp-httplib). Wiring in backend/app:
//
//   prepaid::backend::http::HttpServices services{.store = *store, .billing = &billing,
//                                                .commands = &commandService,
//                                                .metrics = {&collectionMetrics},
//                                                .clock = clock, .payments = &payments};
//   prepaid::backend::http::HttpServer server(services, {.threads = HttpOptions::threadsFor(
//                                                             kiosks, consoles)});
//   auto port = server.start("0.0.0.0", 8443, TlsOptions{"site.crt", "site.key"});
//   ...
//   server.stop();
//
// Plain HTTP is accepted only on a loopback address (127.0.0.0/8, ::1, localhost); any other
// bind needs TLS. Every route, its access rule and its permission are listed in the OpenAPI
// document served at /api/v1/openapi.json and in backend/http/README.md.
//
// Threading: start() and stop() from the owning thread; requests run on the server's own pool.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "prepaid/domain/time.hpp"
#include "prepaid/http/metrics.hpp"
#include "prepaid/store/store.hpp"

namespace prepaid::backend::billing {
class BillingService;
}
namespace prepaid::backend::payments {
class PaymentService;
}

namespace prepaid::backend::http {

class CommandDispatcher;

/// The current instant (UTC); called from any thread.
using Clock = std::function<domain::Instant()>;

/// What the routes use. Every pointer may be null: routes that need a missing service answer
/// 503 `unavailable`. Everything must outlive the server.
struct HttpServices {
  store::Store& store;
  billing::BillingService* billing = nullptr;   // sell, refund, correct
  CommandDispatcher* commands = nullptr;        // batch commands (collection's CommandService)
  std::vector<const MetricsProvider*> metrics;  // extra /metrics samples
  Clock clock;                                  // defaults to the system clock when empty
  /// Payment orders (kiosk orders, staff search/refund, provider notifications). Null: those
  /// routes answer 503 `payments_unavailable`.
  payments::PaymentService* payments = nullptr;
};

struct HttpOptions {
  /// Worker threads. cpp-httplib holds a thread per open keep-alive connection, so size it for
  /// every kiosk and staff console plus headroom (threadsFor()).
  std::size_t threads = 16;
  std::size_t maxJsonBodyBytes = 64 * 1024;          // JSON request bodies
  std::size_t maxImportBodyBytes = 2 * 1024 * 1024;  // CSV meter import
  std::chrono::seconds sessionIdleTimeout{std::chrono::minutes(30)};
  std::chrono::seconds sessionMaxAge{std::chrono::hours(12)};
  std::chrono::seconds tenantTokenTtl{std::chrono::minutes(5)};
  std::chrono::seconds keepAliveTimeout{5};  // idle keep-alive connections release their thread
  std::chrono::seconds readTimeout{10};
  std::int64_t passwordIterations = 600'000;  // PBKDF2-HMAC-SHA256 (tests may lower it)
  std::int64_t maxLoginFailures = 10;         // per operator per window, then locked
  std::chrono::seconds loginWindow{std::chrono::minutes(15)};
  /// Meter profile names a meter may use (the model files under [meters] profile_dir); a create,
  /// import or edit naming another profile is refused. Empty: not checked.
  std::vector<std::string> meterProfiles;
  std::int64_t maxPinFailures = 5;  // per shop per window, then locked
  std::chrono::seconds pinWindow{std::chrono::minutes(15)};
  std::function<void(const std::string&)> log;  // error log lines; stderr when empty

  /// Threads for `kiosks` kiosks and `consoles` staff consoles: two connections each (the
  /// kiosk polls while a look-up runs) plus 8 for scrapes, health checks and bursts.
  [[nodiscard]] static std::size_t threadsFor(std::size_t kiosks, std::size_t consoles) {
    return 2 * (kiosks + consoles) + 8;
  }
};

struct TlsOptions {
  std::filesystem::path certificateFile;  // PEM, may hold the chain
  std::filesystem::path privateKeyFile;   // PEM
};

enum class HttpErrorCode {
  PlainHttpNotOnLoopback,  // a non-loopback bind without TLS
  TlsSetupFailed,          // certificate or key could not be loaded
  BindFailed,              // address in use, permission denied, bad host
  AlreadyRunning,
  StartTimeout,  // the listener did not come up
};

struct HttpError {
  HttpErrorCode code = HttpErrorCode::BindFailed;
  std::string message;
};

/// True for 127.0.0.0/8, ::1 and "localhost".
[[nodiscard]] bool isLoopbackHost(const std::string& host);

class ServerCore;

class HttpServer {
 public:
  HttpServer(HttpServices services, HttpOptions options = {});
  ~HttpServer();  // stops
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Binds and starts serving on a background thread; returns the bound port (useful with port
  /// 0 = any free port). TLS when `tls` is given, else plain HTTP (loopback only). Also creates
  /// the built-in roles if the store has none.
  [[nodiscard]] std::expected<int, HttpError> start(const std::string& host, int port,
                                                    const std::optional<TlsOptions>& tls);
  /// Stops accepting, finishes requests in flight and joins the listener. Idempotent.
  void stop();
  /// Every route as "METHOD /path/{param}" (for the OpenAPI check and documentation).
  [[nodiscard]] std::vector<std::string> routes() const;
  /// The OpenAPI 3 document the server serves.
  [[nodiscard]] std::string openApiJson() const;

 private:
  std::unique_ptr<ServerCore> m_core;
};

}  // namespace prepaid::backend::http
