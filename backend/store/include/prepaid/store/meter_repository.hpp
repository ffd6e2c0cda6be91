#pragma once

// Meters (仪表): configuration, control flags and the state the backend keeps about each one.

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "prepaid/domain/billing_mode.hpp"
#include "prepaid/domain/energy.hpp"
#include "prepaid/domain/time.hpp"
#include "prepaid/domain/trip_policy.hpp"
#include "prepaid/store/ids.hpp"
#include "prepaid/store/store_error.hpp"

namespace prepaid::store {

enum class MeterStatus {
  NotOpened,  // 未开户
  Opened,     // on an open account
  Closed,     // 销户: settled and closed
};

enum class KeepPower {
  Off,
  On,  // 保电: relay forced closed, never tripped
};

enum class SalesBlock {
  Allowed,
  Blocked,  // e.g. purchase-count mismatch until staff resolve it
};

enum class NightTrip {
  Forbidden,  // delayed trip never happens at night (default)
  Allowed,
};

enum class HolidayTrip {
  Forbidden,  // delayed trip never happens on weekends/holidays (default)
  Allowed,
};

struct TripPolicy {
  domain::TripPolicyKind kind = domain::TripPolicyKind::Immediate;
  std::int64_t delayedTripMinuteOfDay = 600;  // local minute of day of the delayed check (10:00)
  NightTrip night = NightTrip::Forbidden;
  HolidayTrip holidays = HolidayTrip::Forbidden;
};

struct Meter {
  MeterId id = 0;
  std::string serial;            // 表号, unique
  std::string profile;           // register-map profile name (assets/profiles)
  std::int64_t unitAddress = 1;  // Modbus unit / DL/T 645 address on its bus (1..247)
  GatewayId gatewayId = 0;
  std::optional<ShopId> shopId;
  domain::Medium medium = domain::Medium::Electricity;
  domain::BillingMode billingMode = domain::BillingMode::ServerSide;
  std::optional<TariffId> tariffId;       // nullopt: the site default
  std::optional<std::int64_t> alarm1Fen;  // nullopt: the site default
  std::optional<std::int64_t> alarm2Fen;
  std::optional<std::int64_t> overloadThresholdW;
  TripPolicy tripPolicy;
  KeepPower keepPower = KeepPower::Off;
  std::string macKeyHex;     // command MAC key as hex (meter-side recharge); may be empty
  std::string macAlgorithm;  // e.g. "3des-cbc-mac"; may be empty
  // State kept by the backend (not changed by update(); use the dedicated setters):
  MeterStatus status = MeterStatus::NotOpened;
  std::int64_t purchaseCount = 0;  // 购电次数 as known by the backend
  SalesBlock salesBlock = SalesBlock::Allowed;
  std::string salesBlockReason;
  LinkState linkState = LinkState::Online;
  std::optional<domain::Instant> linkChangedAt;
  std::optional<MeterId> replacedBy;
};

class MeterRepository {
 public:
  virtual ~MeterRepository() = default;

  /// Adds a meter with its configuration (id and state fields ignored, status NotOpened,
  /// purchase count 0 unless meter.purchaseCount is set > 0 for a meter already in service).
  /// Duplicate for a serial taken; Constraint for an unknown gateway/shop/tariff.
  [[nodiscard]] virtual std::expected<Meter, StoreError> add(const Meter& meter) = 0;
  /// Replaces the configuration fields (everything above "State kept by the backend").
  [[nodiscard]] virtual std::expected<void, StoreError> update(const Meter& meter) = 0;
  /// One meter; NotFound when absent.
  [[nodiscard]] virtual std::expected<Meter, StoreError> meter(MeterId id) const = 0;
  /// The meter with this serial; NotFound when absent.
  [[nodiscard]] virtual std::expected<Meter, StoreError> meterBySerial(
      const std::string& serial) const = 0;
  /// The meters on one gateway, by unit address (replaced meters excluded).
  [[nodiscard]] virtual std::expected<std::vector<Meter>, StoreError> metersOnGateway(
      GatewayId gateway) const = 0;
  /// Every meter by serial.
  [[nodiscard]] virtual std::expected<std::vector<Meter>, StoreError> meters() const = 0;

  /// Increments the backend's purchase count and returns the new value (the count a recharge
  /// command must carry). Call in the same write transaction as the ledger entry and command.
  [[nodiscard]] virtual std::expected<std::int64_t, StoreError> nextPurchaseCount(MeterId id) = 0;
  /// Sets the purchase count (staff resolving a mismatch); InvalidArgument when negative.
  [[nodiscard]] virtual std::expected<void, StoreError> setPurchaseCount(MeterId id,
                                                                         std::int64_t count) = 0;
  /// Blocks or allows further sales, with a reason shown to staff.
  [[nodiscard]] virtual std::expected<void, StoreError> setSalesBlock(
      MeterId id, SalesBlock block, const std::string& reason) = 0;
  /// Sets the account status of a meter.
  [[nodiscard]] virtual std::expected<void, StoreError> setStatus(MeterId id,
                                                                  MeterStatus status) = 0;
  /// Sets keep power (保电).
  [[nodiscard]] virtual std::expected<void, StoreError> setKeepPower(MeterId id,
                                                                     KeepPower keepPower) = 0;
  /// Records a link state change; no-op if already in that state.
  [[nodiscard]] virtual std::expected<void, StoreError> setLinkState(MeterId id, LinkState state,
                                                                     domain::Instant at) = 0;
  /// Marks `oldMeter` as replaced by `newMeter` (老表换新表); InvalidArgument if equal.
  [[nodiscard]] virtual std::expected<void, StoreError> setReplacedBy(MeterId oldMeter,
                                                                      MeterId newMeter) = 0;
};

}  // namespace prepaid::store
