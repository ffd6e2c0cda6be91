#pragma once

// Shared fixture of the billing tests: a real SQLite store in a fresh temporary directory, a
// settable clock, and helpers to set up meters/accounts/tariffs and to feed readings through the
// same path collection uses (Store::writeReadings, then BillingService::processReadings).

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <stdlib.h>

#include "prepaid/billing/billing_service.hpp"
#include "prepaid/store/store.hpp"

namespace prepaid::backend::billing::testing {

using namespace std::chrono_literals;
using domain::Instant;

/// An instant from a UTC civil date and time.
inline Instant utc(int year, unsigned month, unsigned day, int hour = 0, int minute = 0,
                   int second = 0) {
  return Instant(std::chrono::sys_days(std::chrono::year(year) / std::chrono::month(month) /
                                       std::chrono::day(day))) +
         std::chrono::hours(hour) + std::chrono::minutes(minute) + std::chrono::seconds(second);
}

/// An instant given in the site's local time (UTC+8, the default site).
inline Instant local(int year, unsigned month, unsigned day, int hour = 0, int minute = 0) {
  return utc(year, month, day, hour, minute) - 8h;
}

template <typename T>
std::optional<BillingErrorCode> errorCode(const std::expected<T, BillingError>& result) {
  if (result) {
    return std::nullopt;
  }
  return result.error().code;
}

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "prepaid-billing-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    m_path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return m_path; }

 private:
  std::filesystem::path m_path;
};

struct MeterSetup {
  domain::BillingMode mode = domain::BillingMode::ServerSide;
  domain::TripPolicyKind trip = domain::TripPolicyKind::Never;
  std::optional<store::TariffId> tariff;
  bool open = true;  // put on an open account

  MeterSetup& withTariff(store::TariffId id) {
    tariff = id;
    return *this;
  }
  MeterSetup& notOpen() {
    open = false;
    return *this;
  }
  MeterSetup& meterSide() {
    mode = domain::BillingMode::MeterSide;
    return *this;
  }
  MeterSetup& withTrip(domain::TripPolicyKind kind) {
    trip = kind;
    return *this;
  }
};

class BillingTest : public ::testing::Test {
 protected:
  void makeService(BillingOptions options = {}) {
    service = std::make_unique<BillingService>(
        *store, [this] { return now; }, std::move(options));
  }

  template <typename T>
  static T must(std::expected<T, store::StoreError> result) {
    if (!result) {
      throw std::runtime_error("store: " + result.error().message);
    }
    if constexpr (!std::is_void_v<T>) {
      return std::move(*result);
    }
  }
  template <typename T>
  static T must(std::expected<T, BillingError> result) {
    if (!result) {
      throw std::runtime_error("billing: " + result.error().message);
    }
    if constexpr (!std::is_void_v<T>) {
      return std::move(*result);
    }
  }

  /// Runs fn(tx) in its own write transaction; returns fn's result.
  template <typename Fn>
  auto write(Fn&& fn) {
    using Result = std::invoke_result_t<Fn, store::WriteTransaction&>;
    std::optional<Result> out;
    auto written =
        store->write([&](store::WriteTransaction& t) -> std::expected<void, store::StoreError> {
          out.emplace(fn(t));
          if (!*out) {
            return std::unexpected(out->error());
          }
          return {};
        });
    if (!out) {
      return Result(std::unexpected(written.error()));
    }
    if (!written && *out) {
      return Result(std::unexpected(written.error()));
    }
    return std::move(*out);
  }

  /// Runs fn(tx) in a read transaction; returns fn's result.
  template <typename Fn>
  auto read(Fn&& fn) {
    using Result = std::invoke_result_t<Fn, const store::ReadTransaction&>;
    std::optional<Result> out;
    auto done =
        store->read([&](const store::ReadTransaction& t) -> std::expected<void, store::StoreError> {
          out.emplace(fn(t));
          return {};
        });
    if (!out) {
      return Result(std::unexpected(done.error()));
    }
    return std::move(*out);
  }

  void SetUp() override {
    auto opened = store::openSqliteStore(m_dir.path() / "site.db");
    ASSERT_TRUE(opened) << opened.error().message;
    store = std::move(*opened);
    gateway = must(write([&](store::WriteTransaction& t) {
                store::Gateway g;
                g.name = "gw";
                g.transportUri = "tcp://127.0.0.1:502";
                return t.gateways().add(g);
              })).id;
    tenant = must(write([&](store::WriteTransaction& t) {
               store::Tenant te;
               te.name = "Tenant";
               return t.accounts().addTenant(te);
             })).id;
    makeService();
  }

  store::MeterId addMeter(const MeterSetup& setup = {}) {
    store::Meter m;
    m.serial = "M" + std::to_string(++m_serial);
    m.profile = "ddsy1352";
    m.unitAddress = m_serial;
    m.gatewayId = gateway;
    m.billingMode = setup.mode;
    m.tariffId = setup.tariff;
    m.tripPolicy.kind = setup.trip;
    const store::MeterId id =
        must(write([&](store::WriteTransaction& t) { return t.meters().add(m); })).id;
    if (setup.open) {
      openAccount(id);
    }
    return id;
  }

  void openAccount(store::MeterId meter) {
    must(write([&](store::WriteTransaction& t) -> std::expected<store::Account, store::StoreError> {
      auto account = t.accounts().openAccount(tenant, {meter}, now);
      if (!account) {
        return account;
      }
      if (auto set = t.meters().setStatus(meter, store::MeterStatus::Opened); !set) {
        return std::unexpected(set.error());
      }
      return account;
    }));
  }

  store::Meter meter(store::MeterId id) {
    return must(read([&](const store::ReadTransaction& t) { return t.meters().meter(id); }));
  }
  void updateMeter(const store::Meter& m) {
    must(write([&](store::WriteTransaction& t) { return t.meters().update(m); }));
  }

  store::TariffId addTariff(const std::string& name, const domain::Tariff& tariff,
                            Instant effective = Instant{}) {
    const auto id =
        must(write([&](store::WriteTransaction& t) { return t.tariffs().addTariff(name); })).id;
    const Instant saved = now;
    now = effective;  // changePrice refuses the past: add the first version "now"
    must(service->changePrice(id, tariff, effective));
    now = saved;
    return id;
  }

  void updateSettings(const std::function<void(store::Settings&)>& change) {
    must(write([&](store::WriteTransaction& t) -> std::expected<void, store::StoreError> {
      auto s = t.site().settings();
      if (!s) {
        return std::unexpected(s.error());
      }
      change(*s);
      return t.site().updateSettings(*s);
    }));
  }

  static store::Reading reading(store::MeterId meter, Instant at, std::int64_t totalCentiKwh) {
    store::Reading r;
    r.meterId = meter;
    r.readAt = at;
    r.energyTotalCentiKwh = totalCentiKwh;
    return r;
  }

  /// Stores the readings (as collection does) and runs billing over them.
  ProcessSummary process(const std::vector<store::Reading>& readings) {
    must(store->writeReadings(readings));
    auto summary = service->processReadings(readings);
    EXPECT_TRUE(summary) << summary.error().message;
    for (const auto& r : summary->readings) {
      EXPECT_NE(r.outcome, ReadingOutcome::Failed) << r.detail;
    }
    return *summary;
  }
  ReadingReport processOne(const store::Reading& r) { return process({r}).readings.at(0); }

  std::int64_t balance(store::MeterId m) {
    return must(read([&](const store::ReadTransaction& t) { return t.ledger().balanceFen(m); }));
  }
  std::vector<store::LedgerEntry> entries(store::MeterId m) {
    return must(read([&](const store::ReadTransaction& t) {
      return t.ledger().entries(m, Instant{}, utc(2100, 1, 1), 100000);
    }));
  }
  std::vector<store::LedgerEntry> entriesOfKind(store::MeterId m, domain::EntryKind kind) {
    std::vector<store::LedgerEntry> out;
    for (auto& e : entries(m)) {
      if (e.kind == kind) {
        out.push_back(e);
      }
    }
    return out;
  }
  std::vector<store::Alarm> openAlarms(store::MeterId m) {
    return must(read([&](const store::ReadTransaction& t) {
      return t.alarms().openAlarmsOf(store::AlarmSubject::meter(m));
    }));
  }
  bool hasOpenAlarm(store::MeterId m, store::AlarmKind kind) {
    for (const auto& a : openAlarms(m)) {
      if (a.kind == kind) {
        return true;
      }
    }
    return false;
  }
  std::vector<store::Alarm> alarmHistory() {
    return must(read([&](const store::ReadTransaction& t) {
      return t.alarms().history(Instant{}, utc(2100, 1, 1), 100000);
    }));
  }
  std::vector<store::Command> commands(store::MeterId m) {
    auto list =
        must(read([&](const store::ReadTransaction& t) { return t.commands().forMeter(m, 1000); }));
    std::reverse(list.begin(), list.end());  // oldest first
    return list;
  }
  std::vector<store::Command> unfinished(store::MeterId m, store::CommandKind kind) {
    std::vector<store::Command> out;
    for (auto& c : must(read([&](const store::ReadTransaction& t) {
           return t.commands().unfinishedForMeter(m);
         }))) {
      if (c.kind == kind) {
        out.push_back(c);
      }
    }
    return out;
  }
  /// The bus worker's side: claims the meter's next command and finishes it as done.
  store::Command deliverNext(Instant at) {
    auto claimed = must(
        write([&](store::WriteTransaction& t) { return t.commands().claimNext(gateway, at); }));
    if (!claimed) {
      throw std::runtime_error("nothing to claim");
    }
    return must(
        write([&](store::WriteTransaction& t) { return t.commands().markDone(claimed->id, at); }));
  }

  Receipt sell(store::MeterId m, std::int64_t fen, const std::string& key) {
    SaleRequest request;
    request.meterId = m;
    request.amountFen = fen;
    request.idempotencyKey = key;
    request.source = "op";
    return must(service->sell(request));
  }
  std::expected<Receipt, BillingError> trySell(store::MeterId m, std::int64_t fen,
                                               const std::string& key) {
    SaleRequest request;
    request.meterId = m;
    request.amountFen = fen;
    request.idempotencyKey = key;
    request.source = "op";
    return service->sell(request);
  }
  std::expected<Receipt, BillingError> tryRefund(store::MeterId m, std::int64_t fen,
                                                 const std::string& key) {
    RefundRequest request;
    request.meterId = m;
    request.amountFen = fen;
    request.idempotencyKey = key;
    request.source = "op";
    return service->refund(request);
  }
  std::expected<Receipt, BillingError> tryCorrect(store::LedgerEntryId id, const std::string& key) {
    CorrectionRequest request;
    request.entryId = id;
    request.idempotencyKey = key;
    request.source = "op";
    return service->correct(request);
  }

  void expectLedgerConsistent() {
    auto verified = store->verifyLedger();
    ASSERT_TRUE(verified) << verified.error().message;
    EXPECT_TRUE(verified->ok());
  }

  TempDir m_dir;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<BillingService> service;
  Instant now = utc(2024, 3, 4, 0);  // a Monday, 08:00 local
  store::GatewayId gateway = 0;
  store::TenantId tenant = 0;

 private:
  std::int64_t m_serial = 0;
};

}  // namespace prepaid::backend::billing::testing
