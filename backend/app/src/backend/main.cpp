// prepaid-backend: the site's service. Store + billing + collection (+ the HTTP API and payment
// orders when configured) in one process; stops cleanly on SIGTERM/SIGINT. Configuration:
// backend/app/README.md.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "backend_config.hpp"
#include "billing_sink.hpp"
#include "device_bus_factory.hpp"
#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>

#include "prepaid/billing/billing_service.hpp"
#include "prepaid/collect/collection_engine.hpp"
#include "prepaid/collect/command_service.hpp"
#include "prepaid/http/collect_command_dispatcher.hpp"
#include "prepaid/http/collection_metrics.hpp"
#include "prepaid/http/http_server.hpp"
#include "prepaid/http/metrics.hpp"
#include "prepaid/payments/payment_service.hpp"
#include "prepaid/payments/provider_settings.hpp"
#include "prepaid/store/store.hpp"
#include "prepaid/version.hpp"

namespace {

using namespace prepaid;
namespace billing = prepaid::backend::billing;
namespace collect = prepaid::backend::collect;

// One descriptor per gateway connection plus the database: lift the soft limit to the hard one.
void raiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    const auto before = limit.rlim_cur;
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) == 0) {
      spdlog::debug("open files limit raised from {} to {}", before, limit.rlim_cur);
    }
  }
}

bool setUpLogging(const backend::app::BackendConfig& config) {
  try {
    std::shared_ptr<spdlog::logger> logger;
    if (config.logFile) {
      logger = spdlog::basic_logger_mt("prepaid-backend", config.logFile->string());
    } else {
      logger = spdlog::stderr_color_mt("prepaid-backend");
    }
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::from_str(config.logLevel));
    spdlog::flush_on(spdlog::level::info);
  } catch (const spdlog::spdlog_ex& e) {
    std::cerr << "prepaid-backend: cannot open the log: " << e.what() << "\n";
    return false;
  }
  return true;
}

int run(const std::string& configFile) {
  auto config = backend::app::loadBackendConfig(configFile);
  if (!config) {
    std::cerr << "prepaid-backend: " << config.error() << "\n";
    return 1;
  }
  if (!setUpLogging(*config)) {
    return 1;
  }
  raiseFileLimit();

  // "<database>.lock" stays locked while this process runs: a second backend on the same
  // database and `prepaidctl restore` are refused (the descriptor closes, and the lock goes,
  // with the process, however it ends).
  const auto lockPath = config->databasePath.string() + ".lock";
  const int lockFd = ::open(lockPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lockFd < 0 || ::flock(lockFd, LOCK_EX | LOCK_NB) != 0) {
    spdlog::critical("{}: in use by another prepaid-backend (or prepaidctl restore)", lockPath);
    return 3;
  }
  store::StoreOptions storeOptions;
  storeOptions.readerConnections = static_cast<std::size_t>(config->storeReaders);
  auto opened = store::openSqliteStore(config->databasePath, storeOptions);
  if (!opened) {
    spdlog::critical("cannot open the database {}: {}: {}", config->databasePath.string(),
                     store::toString(opened.error().code), opened.error().message);
    return 3;
  }
  auto& db = **opened;
  if (config->utcOffsetMinutes) {
    const auto updated =
        db.write([&](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
          auto site = tx.site().site();
          if (!site) {
            return std::unexpected(site.error());
          }
          if (site->timeZone.utcOffset.count() == *config->utcOffsetMinutes) {
            return {};
          }
          site->timeZone.utcOffset = std::chrono::minutes(*config->utcOffsetMinutes);
          return tx.site().updateSite(*site);
        });
    if (!updated) {
      spdlog::critical("cannot set the site time zone: {}", updated.error().message);
      return 3;
    }
  }
  std::size_t inFlight = 0;
  (void)db.read([&](const store::ReadTransaction& tx) -> std::expected<void, store::StoreError> {
    auto found = tx.commands().inFlight();
    if (found) {
      inFlight = found->size();
    }
    return {};
  });
  if (inFlight > 0) {
    spdlog::warn(
        "{} command(s) left sending/outcome_unknown by the last run: each is resolved by "
        "reading its meter before anything is sent to it",
        inFlight);
  }

  billing::BillingOptions billingOptions;
  billingOptions.metersPerTransaction =
      static_cast<std::size_t>(config->billingMetersPerTransaction);
  billing::BillingService billingService(db, collect::systemNow, billingOptions);
  backend::app::BillingSink sink(billingService);
  backend::app::DeviceBusFactory factory(config->profileDir, config->quietMs);
  collect::CollectionEngine engine(db, factory, &sink, config->collect);
  sink.onCommands([&engine] { engine.commandsQueued(); });
  if (auto started = engine.start(); !started) {
    spdlog::critical("collection did not start: {}", started.error().message);
    return 3;
  }

  // Built only when configured; declared here so that they stop before the engine and billing
  // they use (reverse order of destruction).
  collect::CommandService commandService(db, collect::systemNow,
                                         [&engine] { engine.commandsQueued(); });
  backend::http::CollectCommandDispatcher dispatcher(commandService);
  backend::http::CollectionMetrics collectionMetrics(engine);
  std::unique_ptr<backend::payments::PaymentService> payments;
  if (config->paymentProviders) {
    auto settings = backend::payments::loadProviderSettings(*config->paymentProviders);
    if (!settings) {
      spdlog::critical("payments: {}: {}", config->paymentProviders->string(),
                       settings.error().message);
      engine.stop();
      return 1;
    }
    auto providers = backend::payments::makeProviders(*settings, collect::systemNow);
    if (!providers) {
      spdlog::critical("payments: {}", providers.error().message);
      engine.stop();
      return 1;
    }
    backend::payments::PaymentOptions paymentOptions;
    paymentOptions.log = [](const std::string& line) { spdlog::info("payments: {}", line); };
    paymentOptions.commandsQueued = [&engine] { engine.commandsQueued(); };
    paymentOptions.codePayTimeoutS = config->paymentCodePayTimeoutS;
    paymentOptions.qrLifetimeS = config->paymentQrLifetimeS;
    payments = std::make_unique<backend::payments::PaymentService>(
        db, billingService, collect::systemNow, paymentOptions);
    for (auto& provider : *providers) {
      payments->addProvider(std::move(provider));
    }
    payments->start(config->paymentTickMs);
  }
  std::unique_ptr<backend::http::HttpServer> server;
  if (config->httpEnabled) {
    backend::http::HttpServices services{
        db, &billingService, &dispatcher, {&collectionMetrics}, collect::systemNow, payments.get()};
    backend::http::HttpOptions options;
    options.threads = config->httpThreads ? static_cast<std::size_t>(*config->httpThreads)
                                          : backend::http::HttpOptions::threadsFor(
                                                static_cast<std::size_t>(config->httpKiosks),
                                                static_cast<std::size_t>(config->httpConsoles));
    options.log = [](const std::string& line) { spdlog::error("http: {}", line); };
    // Meters may only name a profile the collection engine can load (the model file's stem).
    std::error_code listError;
    for (const auto& file : std::filesystem::directory_iterator(config->profileDir, listError)) {
      if (file.path().extension() == ".toml") {
        options.meterProfiles.push_back(file.path().stem().string());
      }
    }
    if (options.meterProfiles.empty()) {
      spdlog::warn("no meter profiles in {}: meter profiles are not checked on create or import",
                   config->profileDir.string());
    }
    server = std::make_unique<backend::http::HttpServer>(services, options);
    std::optional<backend::http::TlsOptions> tls;
    if (config->tlsCertificate) {
      tls = backend::http::TlsOptions{*config->tlsCertificate, *config->tlsPrivateKey};
    }
    auto port = server->start(config->httpHost, static_cast<int>(config->httpPort), tls);
    if (!port) {
      spdlog::critical("the HTTP server did not start on {}:{}: {}", config->httpHost,
                       config->httpPort, port.error().message);
      if (payments) {
        payments->stop();
      }
      engine.stop();
      return 3;
    }
    spdlog::info("API on {}://{}:{}/api/v1 ({} threads)", tls ? "https" : "http", config->httpHost,
                 *port, options.threads);
    std::printf("http %s://%s:%d\n", tls ? "https" : "http", config->httpHost.c_str(), *port);
  }
  spdlog::info("prepaid-backend {} running: database {}, {} gateway worker(s), profiles {}",
               prepaid::Version, config->databasePath.string(), engine.stats().gateways,
               config->profileDir.string());
  std::printf("ready\n");
  std::fflush(stdout);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  int received = 0;
  while (sigwait(&signals, &received) != 0) {
  }
  spdlog::info("signal {} received: finishing the work in flight and stopping", received);
  // Front to back: no new requests, then no new payment steps, then collection.
  if (server) {
    server->stop();
  }
  if (payments) {
    payments->stop();
  }
  engine.stop();
  const auto stats = engine.stats();
  spdlog::info("stopped: {} polls, {} failed, {} readings written, {} commands done, {} failed",
               stats.polls, stats.pollFailures, stats.readings.written, stats.commandsDone,
               stats.commandsFailed);
  spdlog::shutdown();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"prepaid-backend — collection, billing and control of a Prepaid site",
               "prepaid-backend"};
  app.set_version_flag("--version", std::string("prepaid-backend ") + prepaid::Version);
  std::string configFile;
  app.add_option("--config", configFile, "configuration file (TOML)")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "prepaid-backend: " << e.what() << " (see --help)\n";
    return e.get_exit_code() != 0 ? e.get_exit_code() : 2;
  }
  // Every thread started from here on inherits the mask, so only sigwait sees the signals and
  // no worker is interrupted in the middle of an exchange or a transaction.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  try {
    return run(configFile);
  } catch (const std::exception& e) {
    std::cerr << "prepaid-backend: " << e.what() << "\n";
    return 3;
  }
}
