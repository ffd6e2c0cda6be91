#pragma once

// Units of work. A WriteTransaction hands out every repository with read and write access; a
// ReadTransaction hands out the same repositories as const (reads only) on a reader connection.
// Both are valid only inside the callback passed to Store::write / Store::read and on its thread.

#include "prepaid/store/access_repository.hpp"
#include "prepaid/store/account_repository.hpp"
#include "prepaid/store/alarm_repository.hpp"
#include "prepaid/store/audit_repository.hpp"
#include "prepaid/store/billing_state_repository.hpp"
#include "prepaid/store/building_repository.hpp"
#include "prepaid/store/command_repository.hpp"
#include "prepaid/store/gateway_repository.hpp"
#include "prepaid/store/idempotency_repository.hpp"
#include "prepaid/store/ledger_repository.hpp"
#include "prepaid/store/meter_repository.hpp"
#include "prepaid/store/operator_repository.hpp"
#include "prepaid/store/order_repository.hpp"
#include "prepaid/store/reading_repository.hpp"
#include "prepaid/store/site_repository.hpp"
#include "prepaid/store/tariff_repository.hpp"

namespace prepaid::store {

class ReadTransaction {
 public:
  virtual ~ReadTransaction() = default;
  [[nodiscard]] virtual const SiteRepository& site() const = 0;
  [[nodiscard]] virtual const BuildingRepository& buildings() const = 0;
  [[nodiscard]] virtual const AccountRepository& accounts() const = 0;
  [[nodiscard]] virtual const GatewayRepository& gateways() const = 0;
  [[nodiscard]] virtual const MeterRepository& meters() const = 0;
  [[nodiscard]] virtual const TariffRepository& tariffs() const = 0;
  [[nodiscard]] virtual const ReadingRepository& readings() const = 0;
  [[nodiscard]] virtual const LedgerRepository& ledger() const = 0;
  [[nodiscard]] virtual const CommandRepository& commands() const = 0;
  [[nodiscard]] virtual const AlarmRepository& alarms() const = 0;
  [[nodiscard]] virtual const IdempotencyRepository& idempotency() const = 0;
  [[nodiscard]] virtual const BillingStateRepository& billingState() const = 0;
  [[nodiscard]] virtual const OperatorRepository& operators() const = 0;
  [[nodiscard]] virtual const AuditRepository& audit() const = 0;
  [[nodiscard]] virtual const AccessRepository& access() const = 0;
  [[nodiscard]] virtual const OrderRepository& orders() const = 0;
};

class WriteTransaction {
 public:
  virtual ~WriteTransaction() = default;
  [[nodiscard]] virtual SiteRepository& site() = 0;
  [[nodiscard]] virtual BuildingRepository& buildings() = 0;
  [[nodiscard]] virtual AccountRepository& accounts() = 0;
  [[nodiscard]] virtual GatewayRepository& gateways() = 0;
  [[nodiscard]] virtual MeterRepository& meters() = 0;
  [[nodiscard]] virtual TariffRepository& tariffs() = 0;
  [[nodiscard]] virtual ReadingRepository& readings() = 0;
  [[nodiscard]] virtual LedgerRepository& ledger() = 0;
  [[nodiscard]] virtual CommandRepository& commands() = 0;
  [[nodiscard]] virtual AlarmRepository& alarms() = 0;
  [[nodiscard]] virtual IdempotencyRepository& idempotency() = 0;
  [[nodiscard]] virtual BillingStateRepository& billingState() = 0;
  [[nodiscard]] virtual OperatorRepository& operators() = 0;
  [[nodiscard]] virtual AuditRepository& audit() = 0;
  [[nodiscard]] virtual AccessRepository& access() = 0;
  [[nodiscard]] virtual OrderRepository& orders() = 0;
};

}  // namespace prepaid::store
