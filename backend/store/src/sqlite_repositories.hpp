#pragma once

// SQLite implementations of the repository interfaces. Each is a thin object over the connection
// of the transaction that hands it out; every public method is guarded (no exception escapes).

#include <optional>

#include "sqlite.hpp"
#include "sqlite_access_repositories.hpp"
#include "sqlite_order_repository.hpp"

#include "prepaid/domain/time.hpp"
#include "prepaid/store/transaction.hpp"

namespace prepaid::store::detail {

/// What the repositories of one connection share.
class RepositoryContext {
 public:
  explicit RepositoryContext(Connection& connection) : m_connection(connection) {}
  [[nodiscard]] Connection& db() const { return m_connection; }
  /// The site's time zone, read from the site row (not cached across transactions: the site may
  /// be updated by another connection).
  [[nodiscard]] domain::SiteTimeZone siteTimeZone() const;

 private:
  Connection& m_connection;
};

/// Adds energy/money to the roll-ups (hour, day and month) of one meter at one instant.
struct RollupDelta {
  std::int64_t energyTotalCentiKwh = 0;
  RateEnergies energyByRateCentiKwh{};
  std::int64_t chargedFen = 0;
  std::int64_t allocatedFen = 0;
  std::int64_t readingCount = 0;
};
void addToRollups(const RepositoryContext& context, const domain::SiteTimeZone& zone, MeterId meter,
                  domain::Instant at, const RollupDelta& delta);

class SqliteSiteRepository final : public SiteRepository {
 public:
  explicit SqliteSiteRepository(const RepositoryContext& context) : m_ctx(context) {}
  std::expected<Site, StoreError> site() const override;
  std::expected<void, StoreError> updateSite(const Site& site) override;
  std::expected<Settings, StoreError> settings() const override;
  std::expected<void, StoreError> updateSettings(const Settings& settings) override;

 private:
  const RepositoryContext& m_ctx;
};

class SqliteBuildingRepository final : public BuildingRepository {
 public:
  explicit SqliteBuildingRepository(const RepositoryContext& context) : m_ctx(context) {}
  std::expected<Building, StoreError> addBuilding(const std::string& name) override;
  std::expected<std::vector<Building>, StoreError> buildings() const override;
  std::expected<Floor, StoreError> addFloor(BuildingId building, const std::string& name,
                                            std::int64_t ordinal) override;
  std::expected<std::vector<Floor>, StoreError> floors(BuildingId building) const override;
  std::expected<Shop, StoreError> addShop(const Shop& shop) override;
  std::expected<void, StoreError> updateShop(const Shop& shop) override;
  std::expected<Shop, StoreError> shop(ShopId id) const override;
  std::expected<Shop, StoreError> shopByNumber(const std::string& number) const override;
  std::expected<std::vector<Shop>, StoreError> shops(std::optional<FloorId> floor) const override;

 private:
  const RepositoryContext& m_ctx;
};

class SqliteAccountRepository final : public AccountRepository {
 public:
  explicit SqliteAccountRepository(const RepositoryContext& context) : m_ctx(context) {}
  std::expected<Tenant, StoreError> addTenant(const Tenant& tenant) override;
  std::expected<void, StoreError> updateTenant(const Tenant& tenant) override;
  std::expected<Tenant, StoreError> tenant(TenantId id) const override;
  std::expected<Account, StoreError> openAccount(TenantId tenant,
                                                 const std::vector<MeterId>& meters,
                                                 domain::Instant at) override;
  std::expected<void, StoreError> addMeter(AccountId account, MeterId meter,
                                           domain::Instant at) override;
  std::expected<void, StoreError> removeMeter(AccountId account, MeterId meter,
                                              domain::Instant at) override;
  std::expected<void, StoreError> closeAccount(AccountId account, domain::Instant at) override;
  std::expected<Account, StoreError> account(AccountId id) const override;
  std::expected<std::optional<Account>, StoreError> openAccountOfMeter(
      MeterId meter) const override;
  std::expected<std::vector<Account>, StoreError> accountsOfTenant(TenantId tenant) const override;
  std::expected<std::vector<AccountMeter>, StoreError> metersOf(AccountId account,
                                                                History history) const override;

 private:
  const RepositoryContext& m_ctx;
};

class SqliteGatewayRepository final : public GatewayRepository {
 public:
  explicit SqliteGatewayRepository(const RepositoryContext& context) : m_ctx(context) {}
  std::expected<Gateway, StoreError> add(const Gateway& gateway) override;
  std::expected<void, StoreError> update(const Gateway& gateway) override;
  std::expected<void, StoreError> setLinkState(GatewayId id, LinkState state,
                                               domain::Instant at) override;
  std::expected<Gateway, StoreError> gateway(GatewayId id) const override;
  std::expected<std::vector<Gateway>, StoreError> gateways() const override;

 private:
  const RepositoryContext& m_ctx;
};

class SqliteMeterRepository final : public MeterRepository {
 public:
  explicit SqliteMeterRepository(const RepositoryContext& context) : m_ctx(context) {}
  std::expected<Meter, StoreError> add(const Meter& meter) override;
  std::expected<void, StoreError> update(const Meter& meter) override;
  std::expected<Meter, StoreError> meter(MeterId id) const override;
  std::expected<Meter, StoreError> meterBySerial(const std::string& serial) const override;
  std::expected<std::vector<Meter>, StoreError> metersOnGateway(GatewayId gateway) const override;
  std::expected<std::vector<Meter>, StoreError> meters() const override;
  std::expected<std::int64_t, StoreError> nextPurchaseCount(MeterId id) override;
  std::expected<void, StoreError> setPurchaseCount(MeterId id, std::int64_t count) override;
  std::expected<void, StoreError> setSalesBlock(MeterId id, SalesBlock block,
                                                const std::string& reason) override;
  std::expected<void, StoreError> setStatus(MeterId id, MeterStatus status) override;
  std::expected<void, StoreError> setKeepPower(MeterId id, KeepPower keepPower) override;
  std::expected<void, StoreError> setLinkState(MeterId id, LinkState state,
                                               domain::Instant at) override;
  std::expected<void, StoreError> setReplacedBy(MeterId oldMeter, MeterId newMeter) override;

 private:
  const RepositoryContext& m_ctx;
};

class SqliteTariffRepository final : public TariffRepository {
 public:
  explicit SqliteTariffRepository(const RepositoryContext& context) : m_ctx(context) {}
  std::expected<Tariff, StoreError> addTariff(const std::string& name) override;
  std::expected<Tariff, StoreError> tariff(TariffId id) const override;
  std::expected<std::vector<Tariff>, StoreError> tariffs() const override;
  std::expected<TariffVersion, StoreError> addVersion(const TariffVersion& version) override;
  std::expected<std::optional<TariffVersion>, StoreError> versionAt(
      TariffId tariff, domain::Instant at) const override;
  std::expected<std::vector<TariffVersion>, StoreError> versionsBetween(
      TariffId tariff, domain::Instant from, domain::Instant to) const override;

 private:
  const RepositoryContext& m_ctx;
};

class SqliteReadingRepository final : public ReadingRepository {
 public:
  explicit SqliteReadingRepository(const RepositoryContext& context) : m_ctx(context) {}
  std::expected<std::optional<Reading>, StoreError> latest(MeterId meter) const override;
  std::expected<std::vector<Reading>, StoreError> readings(MeterId meter, domain::Instant from,
                                                           domain::Instant to,
                                                           std::int64_t limit) const override;
  std::expected<std::vector<Rollup>, StoreError> rollups(MeterId meter, Granularity granularity,
                                                         domain::Instant from,
                                                         domain::Instant to) const override;
  std::expected<ReadingBatchResult, StoreError> insert(
      const std::vector<Reading>& readings) override;

 private:
  const RepositoryContext& m_ctx;
};

class SqliteLedgerRepository final : public LedgerRepository {
 public:
  explicit SqliteLedgerRepository(const RepositoryContext& context) : m_ctx(context) {}
  std::expected<AppendResult, StoreError> append(const LedgerEntry& entry) override;
  std::expected<LedgerEntry, StoreError> entry(LedgerEntryId id) const override;
  std::expected<std::optional<LedgerEntry>, StoreError> entryByKey(
      const std::string& idempotencyKey) const override;
  std::expected<std::vector<LedgerEntry>, StoreError> entries(MeterId meter, domain::Instant from,
                                                              domain::Instant to,
                                                              std::int64_t limit) const override;
  std::expected<std::vector<LedgerEntry>, StoreError> correctionsOf(
      LedgerEntryId id) const override;
  std::expected<std::int64_t, StoreError> balanceFen(MeterId meter) const override;
  std::expected<BalanceCheck, StoreError> checkBalance(MeterId meter) const override;
  std::expected<std::int64_t, StoreError> balanceThroughEntryFen(MeterId meter,
                                                                 LedgerEntryId id) const override;
  std::expected<LedgerVerification, StoreError> verifyAll() const override;

 private:
  const RepositoryContext& m_ctx;
};

class SqliteCommandRepository final : public CommandRepository {
 public:
  explicit SqliteCommandRepository(const RepositoryContext& context) : m_ctx(context) {}
  std::expected<Command, StoreError> enqueue(const Command& command) override;
  std::expected<std::optional<Command>, StoreError> claimNext(GatewayId gateway,
                                                              domain::Instant now) override;
  std::expected<Command, StoreError> markDone(CommandId id, domain::Instant at) override;
  std::expected<Command, StoreError> markFailed(CommandId id, domain::Instant at,
                                                const std::string& error) override;
  std::expected<Command, StoreError> markOutcomeUnknown(CommandId id, domain::Instant at,
                                                        const std::string& error) override;
  std::expected<Command, StoreError> retryLater(CommandId id, domain::Instant at,
                                                domain::Instant notBefore,
                                                const std::string& error) override;
  std::expected<Command, StoreError> cancel(CommandId id, domain::Instant at,
                                            const std::string& reason) override;
  std::expected<Command, StoreError> command(CommandId id) const override;
  std::expected<std::vector<Command>, StoreError> inState(CommandState state,
                                                          std::int64_t limit) const override;
  std::expected<std::vector<Command>, StoreError> inFlight() const override;
  std::expected<std::vector<Command>, StoreError> forMeter(MeterId meter,
                                                           std::int64_t limit) const override;
  std::expected<std::vector<Command>, StoreError> unfinishedForMeter(MeterId meter) const override;
  std::expected<std::vector<Command>, StoreError> forBatch(
      const std::string& batchId) const override;
  std::expected<std::int64_t, StoreError> queuedCount(GatewayId gateway) const override;

 private:
  const RepositoryContext& m_ctx;
};

class SqliteAlarmRepository final : public AlarmRepository {
 public:
  explicit SqliteAlarmRepository(const RepositoryContext& context) : m_ctx(context) {}
  std::expected<RaiseResult, StoreError> raise(const AlarmSubject& subject, AlarmKind kind,
                                               domain::Instant at,
                                               const std::string& detail) override;
  std::expected<std::optional<Alarm>, StoreError> clear(const AlarmSubject& subject, AlarmKind kind,
                                                        domain::Instant at) override;
  std::expected<void, StoreError> markNotified(AlarmId id) override;
  std::expected<std::vector<Alarm>, StoreError> openAlarms() const override;
  std::expected<std::vector<Alarm>, StoreError> openAlarmsOf(
      const AlarmSubject& subject) const override;
  std::expected<std::vector<Alarm>, StoreError> unnotified() const override;
  std::expected<std::vector<Alarm>, StoreError> history(domain::Instant from, domain::Instant to,
                                                        std::int64_t limit) const override;

 private:
  const RepositoryContext& m_ctx;
};

class SqliteIdempotencyRepository final : public IdempotencyRepository {
 public:
  explicit SqliteIdempotencyRepository(const RepositoryContext& context) : m_ctx(context) {}
  std::expected<std::optional<IdempotencyRecord>, StoreError> find(
      const std::string& key) const override;
  std::expected<SaveResult, StoreError> save(const IdempotencyRecord& record) override;
  std::expected<std::int64_t, StoreError> purgeBefore(domain::Instant before) override;

 private:
  const RepositoryContext& m_ctx;
};

class SqliteBillingStateRepository final : public BillingStateRepository {
 public:
  explicit SqliteBillingStateRepository(const RepositoryContext& context) : m_ctx(context) {}
  std::expected<std::optional<MeterBillingState>, StoreError> state(MeterId meter) const override;
  std::expected<void, StoreError> save(const MeterBillingState& state) override;

 private:
  const RepositoryContext& m_ctx;
};

/// All repositories of one connection, exposed as both transaction interfaces.
class SqliteTransaction final : public WriteTransaction, public ReadTransaction {
 public:
  explicit SqliteTransaction(Connection& connection)
      : m_ctx(connection),
        m_site(m_ctx),
        m_buildings(m_ctx),
        m_accounts(m_ctx),
        m_gateways(m_ctx),
        m_meters(m_ctx),
        m_tariffs(m_ctx),
        m_readings(m_ctx),
        m_ledger(m_ctx),
        m_commands(m_ctx),
        m_alarms(m_ctx),
        m_idempotency(m_ctx),
        m_billingState(m_ctx),
        m_operators(m_ctx),
        m_audit(m_ctx),
        m_access(m_ctx),
        m_orders(m_ctx) {}

  SiteRepository& site() override { return m_site; }
  BuildingRepository& buildings() override { return m_buildings; }
  AccountRepository& accounts() override { return m_accounts; }
  GatewayRepository& gateways() override { return m_gateways; }
  MeterRepository& meters() override { return m_meters; }
  TariffRepository& tariffs() override { return m_tariffs; }
  ReadingRepository& readings() override { return m_readings; }
  LedgerRepository& ledger() override { return m_ledger; }
  CommandRepository& commands() override { return m_commands; }
  AlarmRepository& alarms() override { return m_alarms; }
  IdempotencyRepository& idempotency() override { return m_idempotency; }
  BillingStateRepository& billingState() override { return m_billingState; }
  OperatorRepository& operators() override { return m_operators; }
  AuditRepository& audit() override { return m_audit; }
  AccessRepository& access() override { return m_access; }
  OrderRepository& orders() override { return m_orders; }

  const SiteRepository& site() const override { return m_site; }
  const BuildingRepository& buildings() const override { return m_buildings; }
  const AccountRepository& accounts() const override { return m_accounts; }
  const GatewayRepository& gateways() const override { return m_gateways; }
  const MeterRepository& meters() const override { return m_meters; }
  const TariffRepository& tariffs() const override { return m_tariffs; }
  const ReadingRepository& readings() const override { return m_readings; }
  const LedgerRepository& ledger() const override { return m_ledger; }
  const CommandRepository& commands() const override { return m_commands; }
  const AlarmRepository& alarms() const override { return m_alarms; }
  const IdempotencyRepository& idempotency() const override { return m_idempotency; }
  const BillingStateRepository& billingState() const override { return m_billingState; }
  const OperatorRepository& operators() const override { return m_operators; }
  const AuditRepository& audit() const override { return m_audit; }
  const AccessRepository& access() const override { return m_access; }
  const OrderRepository& orders() const override { return m_orders; }

 private:
  RepositoryContext m_ctx;
  SqliteSiteRepository m_site;
  SqliteBuildingRepository m_buildings;
  SqliteAccountRepository m_accounts;
  SqliteGatewayRepository m_gateways;
  SqliteMeterRepository m_meters;
  SqliteTariffRepository m_tariffs;
  SqliteReadingRepository m_readings;
  SqliteLedgerRepository m_ledger;
  SqliteCommandRepository m_commands;
  SqliteAlarmRepository m_alarms;
  SqliteIdempotencyRepository m_idempotency;
  SqliteBillingStateRepository m_billingState;
  SqliteOperatorRepository m_operators;
  SqliteAuditRepository m_audit;
  SqliteAccessRepository m_access;
  SqliteOrderRepository m_orders;
};

}  // namespace prepaid::store::detail
