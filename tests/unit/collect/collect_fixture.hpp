#pragma once

// Shared set-up of the collection tests: a real SQLite store in a temporary directory with a
// site, gateways and meters, and the store's recharge unit of work (what billing's sell does).

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <stdlib.h>

#include "prepaid/store/store.hpp"

namespace prepaid::backend::collect::testing {

using namespace std::chrono_literals;

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "prepaid-collect-XXXXXX").string();
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

/// Polls `condition` until it holds or `timeout` passes (no fixed sleeps).
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

inline std::unique_ptr<store::Store> openStore(const std::filesystem::path& path) {
  auto opened = store::openSqliteStore(path);
  if (!opened) {
    ADD_FAILURE() << "openSqliteStore: " << opened.error().message;
    return nullptr;
  }
  return std::move(*opened);
}

template <typename T>
T valueOr(std::expected<T, store::StoreError> result, const char* what) {
  if (!result) {
    ADD_FAILURE() << what << ": " << result.error().message;
    return T{};
  }
  return std::move(*result);
}

/// Runs one write transaction; fails the test on error.
inline void write(store::Store& store, const store::WriteWork& work) {
  const auto done = store.write(work);
  ASSERT_TRUE(done.has_value()) << done.error().message;
}

inline store::Gateway addGateway(store::Store& store, const std::string& name) {
  store::Gateway added;
  write(store, [&](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
    store::Gateway gateway;
    gateway.name = name;
    gateway.transportUri = "fake://" + name;
    gateway.retries = 1;
    auto result = tx.gateways().add(gateway);
    if (!result) {
      return std::unexpected(result.error());
    }
    added = *result;
    return {};
  });
  return added;
}

inline store::Meter addMeter(store::Store& store, store::GatewayId gateway, std::int64_t unit,
                             domain::BillingMode mode = domain::BillingMode::MeterSide) {
  store::Meter added;
  write(store, [&](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
    store::Meter meter;
    meter.serial = "G" + std::to_string(gateway) + "U" + std::to_string(unit);
    meter.profile = "single-phase-prepaid";
    meter.unitAddress = unit;
    meter.gatewayId = gateway;
    meter.billingMode = mode;
    meter.macKeyHex = "000102030405060708090a0b0c0d0e0f";
    meter.macAlgorithm = "aes-cmac";
    auto result = tx.meters().add(meter);
    if (!result) {
      return std::unexpected(result.error());
    }
    added = *result;
    return {};
  });
  return added;
}

inline void setInterval(store::Store& store, std::int64_t seconds, std::int64_t lostAfter = 3) {
  write(store, [&](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
    auto settings = tx.site().settings();
    if (!settings) {
      return std::unexpected(settings.error());
    }
    settings->collectionIntervalS = seconds;
    settings->lostContactFailures = lostAfter;
    return tx.site().updateSettings(*settings);
  });
}

/// The recharge unit of work of backend/store/README.md (what BillingService::sell does for a
/// meter-side meter): purchase count, ledger entry and queued command in one transaction.
inline store::Command sellDirect(store::Store& store, store::MeterId meter, std::int64_t fen,
                                 const std::string& key, domain::Instant now) {
  store::Command queued;
  write(store, [&](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
    auto count = tx.meters().nextPurchaseCount(meter);
    if (!count) {
      return std::unexpected(count.error());
    }
    store::LedgerEntry entry;
    entry.meterId = meter;
    entry.kind = domain::EntryKind::Recharge;
    entry.amountFen = fen;
    entry.idempotencyKey = key;
    entry.purchaseCount = *count;
    entry.source = "test";
    entry.createdAt = now;
    auto posted = tx.ledger().append(entry);
    if (!posted) {
      return std::unexpected(posted.error());
    }
    store::Command command;
    command.meterId = meter;
    command.kind = store::CommandKind::Recharge;
    command.priority = store::PriorityRecharge;
    command.purchaseCount = *count;
    command.ledgerEntryId = posted->entry.id;
    command.payload = "amount_fen=" + std::to_string(fen);
    command.createdAt = now;
    command.notBefore = now;
    auto result = tx.commands().enqueue(command);
    if (!result) {
      return std::unexpected(result.error());
    }
    queued = *result;
    return {};
  });
  return queued;
}

inline store::Command commandById(store::Store& store, store::CommandId id) {
  store::Command found;
  const auto read =
      store.read([&](const store::ReadTransaction& tx) -> std::expected<void, store::StoreError> {
        auto command = tx.commands().command(id);
        if (!command) {
          return std::unexpected(command.error());
        }
        found = *command;
        return {};
      });
  EXPECT_TRUE(read.has_value());
  return found;
}

inline store::Meter meterById(store::Store& store, store::MeterId id) {
  store::Meter found;
  const auto read =
      store.read([&](const store::ReadTransaction& tx) -> std::expected<void, store::StoreError> {
        auto meter = tx.meters().meter(id);
        if (!meter) {
          return std::unexpected(meter.error());
        }
        found = *meter;
        return {};
      });
  EXPECT_TRUE(read.has_value());
  return found;
}

inline std::vector<store::Alarm> openAlarmsOf(store::Store& store, store::AlarmSubject subject) {
  std::vector<store::Alarm> alarms;
  const auto read =
      store.read([&](const store::ReadTransaction& tx) -> std::expected<void, store::StoreError> {
        auto found = tx.alarms().openAlarmsOf(subject);
        if (!found) {
          return std::unexpected(found.error());
        }
        alarms = *found;
        return {};
      });
  EXPECT_TRUE(read.has_value());
  return alarms;
}

}  // namespace prepaid::backend::collect::testing
