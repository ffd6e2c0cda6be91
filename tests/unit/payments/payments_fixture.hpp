#pragma once

// A site for payment tests: a real SQLite store in a temp dir, one gateway, one tenant, meters on
// open accounts, the real BillingService, a settable clock, and a stand-in for the collection
// engine's delivery of recharge commands.

#include <atomic>
#include <memory>
#include <stdexcept>

#include "test_support.hpp"
#include <gtest/gtest.h>

#include "prepaid/billing/billing_service.hpp"
#include "prepaid/store/store.hpp"

namespace prepaid::backend::payments::test {

class PaymentSite {
 public:
  PaymentSite();

  [[nodiscard]] domain::Instant now() const {
    return domain::Instant(std::chrono::seconds(m_nowS.load()));
  }
  void advance(std::int64_t seconds) { m_nowS += seconds; }
  void setNow(domain::Instant instant) { m_nowS = instant.time_since_epoch().count(); }

  template <typename Fn>
  auto mustWrite(Fn&& fn) {
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
    if (!written) {
      throw std::runtime_error("store write: " + written.error().message);
    }
    if constexpr (!std::is_void_v<typename Result::value_type>) {
      return std::move(**out);
    }
  }

  template <typename Fn>
  auto mustRead(Fn&& fn) {
    using Result = std::invoke_result_t<Fn, const store::ReadTransaction&>;
    std::optional<Result> out;
    auto done =
        store->read([&](const store::ReadTransaction& t) -> std::expected<void, store::StoreError> {
          out.emplace(fn(t));
          if (!*out) {
            return std::unexpected(out->error());
          }
          return {};
        });
    if (!done) {
      throw std::runtime_error("store read: " + done.error().message);
    }
    if constexpr (!std::is_void_v<typename Result::value_type>) {
      return std::move(**out);
    }
  }

  store::MeterId addMeter(domain::BillingMode mode, bool open = true) {
    store::Meter m;
    m.serial = "M" + std::to_string(++m_serial);
    m.profile = "ddsy1352";
    m.unitAddress = m_serial;
    m.gatewayId = gateway;
    m.billingMode = mode;
    m.tripPolicy.kind = domain::TripPolicyKind::Never;
    const store::MeterId id =
        mustWrite([&](store::WriteTransaction& t) { return t.meters().add(m); }).id;
    if (open) {
      mustWrite([&](store::WriteTransaction& t) -> std::expected<void, store::StoreError> {
        auto account = t.accounts().openAccount(tenant, {id}, now());
        if (!account) {
          return std::unexpected(account.error());
        }
        return t.meters().setStatus(id, store::MeterStatus::Opened);
      });
    }
    return id;
  }

  void closeAccountOf(store::MeterId meter) {
    mustWrite([&](store::WriteTransaction& t) -> std::expected<void, store::StoreError> {
      auto account = t.accounts().openAccountOfMeter(meter);
      if (!account) {
        return std::unexpected(account.error());
      }
      if (*account) {
        if (auto closed = t.accounts().closeAccount((*account)->id, now()); !closed) {
          return closed;
        }
      }
      return t.meters().setStatus(meter, store::MeterStatus::Closed);
    });
  }

  /// What the collection engine does for a recharge: claim it, "send" it, mark it done.
  /// Returns the number of commands delivered.
  int deliverCommands() {
    int delivered = 0;
    while (true) {
      std::optional<store::Command> claimed;
      mustWrite([&](store::WriteTransaction& t) -> std::expected<void, store::StoreError> {
        auto next = t.commands().claimNext(gateway, now());
        if (!next) {
          return std::unexpected(next.error());
        }
        claimed = *next;
        if (claimed) {
          auto done = t.commands().markDone(claimed->id, now());
          if (!done) {
            return std::unexpected(done.error());
          }
        }
        return {};
      });
      if (!claimed) {
        return delivered;
      }
      ++delivered;
    }
  }

  std::vector<store::LedgerEntry> entries(store::MeterId meter) {
    return mustRead([&](const store::ReadTransaction& t) {
      return t.ledger().entries(meter, domain::Instant{},
                                domain::Instant(std::chrono::seconds(4'000'000'000)), 1000);
    });
  }
  std::int64_t balanceFen(store::MeterId meter) {
    return mustRead([&](const store::ReadTransaction& t) { return t.ledger().balanceFen(meter); });
  }
  std::vector<store::Command> rechargeCommands(store::MeterId meter) {
    auto all = mustRead(
        [&](const store::ReadTransaction& t) { return t.commands().forMeter(meter, 1000); });
    std::erase_if(all,
                  [](const store::Command& c) { return c.kind != store::CommandKind::Recharge; });
    return all;
  }

  std::unique_ptr<store::Store> store;
  std::unique_ptr<billing::BillingService> billing;
  store::GatewayId gateway = 0;
  store::TenantId tenant = 0;

 private:
  TempDir m_dir;
  std::atomic<std::int64_t> m_nowS{1'700'000'000};
  int m_serial = 0;
};

inline PaymentSite::PaymentSite() {
  auto opened = store::openSqliteStore(m_dir.path() / "site.db");
  if (!opened) {
    throw std::runtime_error(opened.error().message);
  }
  store = std::move(*opened);
  gateway = mustWrite([&](store::WriteTransaction& t) {
              store::Gateway g;
              g.name = "gw";
              g.transportUri = "tcp://127.0.0.1:502";
              return t.gateways().add(g);
            }).id;
  tenant = mustWrite([&](store::WriteTransaction& t) {
             store::Tenant te;
             te.name = "Tenant";
             return t.accounts().addTenant(te);
           }).id;
  billing = std::make_unique<billing::BillingService>(*store, [this] { return now(); });
}

}  // namespace prepaid::backend::payments::test
