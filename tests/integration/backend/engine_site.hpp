#pragma once

// The fixture of the backend integration tests: a temporary directory with a site database, a
// prepaid-meter-sim fleet, gateways and meters registered in the store (keys read from the
// simulator's control port), a prepaid-backend config file, and a BillingService on the same
// database file for the staff side (sell, price change) — as a second process would do.

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "backend_process.hpp"
#include "meter_sim_process.hpp"
#include <gtest/gtest.h>
#include <stdlib.h>

#include "prepaid/billing/billing_service.hpp"
#include "prepaid/store/store.hpp"

namespace prepaid::test {

using namespace std::chrono_literals;

inline domain::Instant wallNow() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

/// Polls until `condition` holds or the deadline passes (no fixed sleeps).
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(20ms);
  }
  return condition();
}

class EngineSite {
 public:
  struct MeterSpec {
    int gateway = 0;  // simulator gateway index
    int unit = 1;
    domain::BillingMode mode = domain::BillingMode::MeterSide;
    store::TripPolicy tripPolicy{};
    std::optional<store::TariffId> tariff;
    bool openAccount = true;
  };
  /// A meter spec (field by field: designated initialisers warn with -Wextra).
  static MeterSpec spec(int gateway, int unit,
                        domain::BillingMode mode = domain::BillingMode::MeterSide) {
    MeterSpec s;
    s.gateway = gateway;
    s.unit = unit;
    s.mode = mode;
    return s;
  }

  EngineSite() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "prepaid-backend-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    m_dir = pattern;
  }
  ~EngineSite() {
    m_backend.reset();
    m_sim.reset();
    m_billing.reset();
    m_store.reset();
    if (std::getenv("PREPAID_KEEP_TEST_DIR") == nullptr) {
      std::error_code ec;
      std::filesystem::remove_all(m_dir, ec);
    }
  }
  EngineSite(const EngineSite&) = delete;
  EngineSite& operator=(const EngineSite&) = delete;

  [[nodiscard]] const std::filesystem::path& dir() const { return m_dir; }
  [[nodiscard]] std::filesystem::path dbPath() const { return m_dir / "site.db"; }

  /// Starts the simulator with these flags (plus a free control port) and opens the store.
  bool startSim(std::vector<std::string> flags) {
    flags.insert(flags.end(), {"--control-port", "0", "--tcp-base-port", "0"});
    m_sim = std::make_unique<MeterSimProcess>(flags);
    if (!m_sim->ready()) {
      return false;
    }
    auto opened = store::openSqliteStore(dbPath());
    if (!opened) {
      ADD_FAILURE() << opened.error().message;
      return false;
    }
    m_store = std::move(*opened);
    m_billing = std::make_unique<backend::billing::BillingService>(*m_store, wallNow);
    return true;
  }

  MeterSimProcess& sim() { return *m_sim; }
  store::Store& db() { return *m_store; }
  backend::billing::BillingService& billing() { return *m_billing; }

  /// Site settings: collection interval and lost-contact count.
  void settings(std::int64_t intervalS, std::int64_t lostAfter,
                const std::function<void(store::Settings&)>& more = {}) {
    write([&](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
      auto settings = tx.site().settings();
      if (!settings) {
        return std::unexpected(settings.error());
      }
      settings->collectionIntervalS = intervalS;
      settings->lostContactFailures = lostAfter;
      if (more) {
        more(*settings);
      }
      return tx.site().updateSettings(*settings);
    });
  }

  /// Registers simulator gateway `index` with a URI for its protocol.
  store::Gateway addGateway(int index, const std::string& scheme) {
    const auto endpoint = m_sim->endpoint(index);
    std::string uri =
        scheme == "rtu" ? "rtu:" + endpoint + "?baud=9600&parity=E" : scheme + "://" + endpoint;
    store::Gateway added;
    write([&](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
      store::Gateway gateway;
      gateway.name = "gw" + std::to_string(index);
      gateway.transportUri = uri;
      gateway.responseTimeoutMs = 250;
      gateway.byteTimeoutMs = 50;
      gateway.interRequestDelayMs = 0;
      gateway.retries = 1;
      auto result = tx.gateways().add(gateway);
      if (!result) {
        return std::unexpected(result.error());
      }
      added = *result;
      return {};
    });
    m_gateways.push_back(added);
    return added;
  }

  /// Registers a meter of the simulator (key from its control port) and opens an account.
  store::Meter addMeter(const MeterSpec& spec) {
    const auto reply =
        m_sim->control("key " + std::to_string(spec.gateway) + " " + std::to_string(spec.unit));
    const auto key = MeterSimProcess::valueOf(reply, "key");
    EXPECT_FALSE(key.empty()) << reply;
    store::Meter added;
    write([&](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
      store::Meter meter;
      meter.serial = "M" + std::to_string(spec.gateway) + "-" + std::to_string(spec.unit);
      meter.profile = "single-phase-prepaid";
      meter.unitAddress = spec.unit;
      meter.gatewayId = m_gateways.at(static_cast<std::size_t>(spec.gateway)).id;
      meter.billingMode = spec.mode;
      meter.tariffId = spec.tariff;
      meter.tripPolicy = spec.tripPolicy;
      meter.macKeyHex = key;
      meter.macAlgorithm = "aes-cmac";
      auto result = tx.meters().add(meter);
      if (!result) {
        return std::unexpected(result.error());
      }
      added = *result;
      if (!spec.openAccount) {
        return {};
      }
      store::Tenant tenant;
      tenant.name = "Tenant " + meter.serial;
      auto person = tx.accounts().addTenant(tenant);
      if (!person) {
        return std::unexpected(person.error());
      }
      auto account = tx.accounts().openAccount(person->id, {added.id}, wallNow());
      if (!account) {
        return std::unexpected(account.error());
      }
      return tx.meters().setStatus(added.id, store::MeterStatus::Opened);
    });
    return added;
  }

  /// Writes the backend config (fast collection) and starts prepaid-backend.
  bool startBackend(const std::string& extraCollect = "") {
    const auto config = m_dir / "backend.toml";
    {
      std::FILE* file = std::fopen(config.c_str(), "w");
      if (file == nullptr) {
        return false;
      }
      std::fprintf(file,
                   "[store]\ndatabase = \"site.db\"\n[log]\nlevel = \"debug\"\nfile = "
                   "\"backend.log\"\n[meters]\nprofile_dir = \"%s\"\nquiet_ms = 30\n[collect]\n"
                   "retry_base_ms = 200\nmax_backoff_ms = 1000\ncommand_check_ms = 50\n"
                   "refresh_ms = 500\ncommand_retry_base_ms = 200\ncommand_retry_max_ms = 1000\n"
                   "batch_delay_ms = 20\nworker_stack_kb = 512\n%s\n",
                   PREPAID_SOURCE_DIR "/assets/meters", extraCollect.c_str());
      std::fclose(file);
    }
    m_backend = std::make_unique<BackendProcess>(config.string());
    return m_backend->ready();
  }
  BackendProcess& backend() { return *m_backend; }
  void dropBackend() { m_backend.reset(); }

  /// The backend's log so far (for failure messages).
  [[nodiscard]] std::string log() const {
    std::FILE* file = std::fopen((m_dir / "backend.log").c_str(), "r");
    if (file == nullptr) {
      return {};
    }
    std::string text;
    char buffer[4096];
    std::size_t got = 0;
    while ((got = std::fread(buffer, 1, sizeof buffer, file)) > 0) {
      text.append(buffer, got);
    }
    std::fclose(file);
    return text.size() > 6000 ? text.substr(text.size() - 6000) : text;
  }

  void write(const store::WriteWork& work) {
    const auto done = m_store->write(work);
    ASSERT_TRUE(done.has_value()) << done.error().message;
  }

  template <typename T>
  T read(const std::function<std::expected<T, store::StoreError>(const store::ReadTransaction&)>&
             query) {
    T value{};
    const auto done = m_store->read(
        [&](const store::ReadTransaction& tx) -> std::expected<void, store::StoreError> {
          auto result = query(tx);
          if (!result) {
            return std::unexpected(result.error());
          }
          value = std::move(*result);
          return {};
        });
    EXPECT_TRUE(done.has_value()) << (done ? "" : done.error().message);
    return value;
  }

  store::Meter meter(store::MeterId id) {
    return read<store::Meter>([&](const auto& tx) { return tx.meters().meter(id); });
  }
  store::Gateway gateway(store::GatewayId id) {
    return read<store::Gateway>([&](const auto& tx) { return tx.gateways().gateway(id); });
  }
  std::vector<store::Alarm> openAlarms(store::AlarmSubject subject) {
    return read<std::vector<store::Alarm>>(
        [&](const auto& tx) { return tx.alarms().openAlarmsOf(subject); });
  }
  bool hasOpenAlarm(store::AlarmSubject subject, store::AlarmKind kind) {
    for (const auto& alarm : openAlarms(subject)) {
      if (alarm.kind == kind) {
        return true;
      }
    }
    return false;
  }
  std::vector<store::Command> commandsOf(store::MeterId id) {
    return read<std::vector<store::Command>>(
        [&](const auto& tx) { return tx.commands().forMeter(id, 1000); });
  }
  std::int64_t balanceFen(store::MeterId id) {
    return read<std::int64_t>([&](const auto& tx) { return tx.ledger().balanceFen(id); });
  }
  std::optional<store::Reading> latestReading(store::MeterId id) {
    return read<std::optional<store::Reading>>(
        [&](const auto& tx) { return tx.readings().latest(id); });
  }
  /// Commands of a meter not yet finished (queued, sending, outcome unknown).
  std::size_t unfinished(store::MeterId id) {
    std::size_t count = 0;
    for (const auto& command : commandsOf(id)) {
      if (command.state != store::CommandState::Done &&
          command.state != store::CommandState::Failed) {
        ++count;
      }
    }
    return count;
  }

  /// 售电 through billing, as a second process would.
  std::expected<backend::billing::Receipt, backend::billing::BillingError> sell(
      store::MeterId meter, std::int64_t fen, const std::string& key) {
    backend::billing::SaleRequest request;
    request.meterId = meter;
    request.amountFen = fen;
    request.idempotencyKey = key;
    request.source = "test";
    return m_billing->sell(request);
  }

 private:
  std::filesystem::path m_dir;
  std::unique_ptr<MeterSimProcess> m_sim;
  std::unique_ptr<store::Store> m_store;
  std::unique_ptr<backend::billing::BillingService> m_billing;
  std::unique_ptr<BackendProcess> m_backend;
  std::vector<store::Gateway> m_gateways;
};

}  // namespace prepaid::test
