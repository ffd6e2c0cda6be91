#pragma once

// The site (one per database) and its defaults (DOMAIN.md "System settings").

#include <cstdint>
#include <expected>
#include <optional>
#include <string>

#include "prepaid/domain/time.hpp"
#include "prepaid/store/ids.hpp"
#include "prepaid/store/store_error.hpp"

namespace prepaid::store {

struct Site {
  std::string name;
  domain::SiteTimeZone timeZone;  // local civil time for roll-ups and schedules (default UTC+8)
};

enum class PinPolicy {
  NotRequired,
  Required,  // tenants must enter the shop's PIN for personal details at a kiosk
};

/// Site-wide defaults. A meter's own value (when set) overrides the default.
struct Settings {
  std::int64_t overloadThresholdW = 10000;           // 功率阈值
  std::int64_t collectionIntervalS = 1800;           // 抄表间隔, >= 1
  std::int64_t alarm1Fen = 5000;                     // 报警1 below this balance
  std::int64_t alarm2Fen = 2000;                     // 报警2 below this balance (<= alarm1)
  std::int64_t defaultUnitPriceMicroYuan = 1000000;  // per kWh (per m³ for water)
  std::optional<TariffId> defaultTariffId;           // when set, used instead of the unit price
  std::int64_t hoardingCapFen = 500000;              // 囤积金额上限: max stored balance
  std::int64_t closeAllowedFen = 0;                  // reclose after a trip once balance > this
  std::string alarmSmsNumber;                        // 报警短信号码, may be empty
  PinPolicy pinPolicy = PinPolicy::NotRequired;
  std::int64_t lostContactFailures = 3;  // consecutive failed reads before 失联
  std::int64_t orderMinFen = 100;        // kiosk payment order (QR / code): minimum amount, > 0
  std::int64_t orderMaxFen = 500000;     // … and maximum amount per order, >= minimum
};

/// Reads and updates the single site row and the single settings row (both exist from
/// migration 1 on, with the defaults above).
class SiteRepository {
 public:
  virtual ~SiteRepository() = default;

  /// The site row.
  [[nodiscard]] virtual std::expected<Site, StoreError> site() const = 0;
  /// Replaces the site row. InvalidArgument for an empty name or an offset beyond ±14 h.
  /// Existing roll-ups keep the buckets of the old offset.
  [[nodiscard]] virtual std::expected<void, StoreError> updateSite(const Site& site) = 0;

  /// The settings row.
  [[nodiscard]] virtual std::expected<Settings, StoreError> settings() const = 0;
  /// Replaces the settings row. Constraint for values the schema's CHECKs refuse.
  [[nodiscard]] virtual std::expected<void, StoreError> updateSettings(
      const Settings& settings) = 0;
};

}  // namespace prepaid::store
