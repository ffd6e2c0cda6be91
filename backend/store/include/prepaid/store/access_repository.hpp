#pragma once

// Access of kiosks and tenants: kiosk keys, the token printed in an account's QR card, and the
// failure counters behind PIN and login lockouts. Secrets are kept only as hashes computed by the
// HTTP layer.

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "prepaid/domain/time.hpp"
#include "prepaid/store/ids.hpp"
#include "prepaid/store/store_error.hpp"

namespace prepaid::store {

using KioskId = std::int64_t;

enum class KioskEnabled {
  Enabled,
  Disabled,
};

struct Kiosk {
  KioskId id = 0;
  std::string name;     // unique, e.g. "lobby-1"
  std::string keyHash;  // hex SHA-256 of the kiosk key (unique)
  KioskEnabled enabled = KioskEnabled::Enabled;
  domain::Instant createdAt{};
};

struct AccountCard {
  AccountId accountId = 0;
  std::string tokenHash;  // hex SHA-256 of the token printed in the QR card (unique)
  domain::Instant issuedAt{};
};

/// Failure counter of one subject ("operator:<id>", "pin:<shop id>"): failures counted in a
/// window that starts at the first failure; a lock until an instant once the limit is reached.
struct Throttle {
  std::string subject;
  std::int64_t failures = 0;
  domain::Instant windowStart{};
  std::optional<domain::Instant> lockedUntil;
};

class AccessRepository {
 public:
  virtual ~AccessRepository() = default;

  /// Adds a kiosk (id ignored); Duplicate for a name or key hash taken.
  [[nodiscard]] virtual std::expected<Kiosk, StoreError> addKiosk(const Kiosk& kiosk) = 0;
  /// Enables or disables a kiosk; NotFound when absent.
  [[nodiscard]] virtual std::expected<void, StoreError> setKioskEnabled(KioskId id,
                                                                        KioskEnabled enabled) = 0;
  /// The kiosk with this key hash, or nullopt.
  [[nodiscard]] virtual std::expected<std::optional<Kiosk>, StoreError> kioskByKeyHash(
      const std::string& keyHash) const = 0;
  /// Every kiosk by name.
  [[nodiscard]] virtual std::expected<std::vector<Kiosk>, StoreError> kiosks() const = 0;

  /// Issues (or replaces) the QR card of an account; Duplicate if the token hash is taken,
  /// Constraint for an unknown account.
  [[nodiscard]] virtual std::expected<void, StoreError> setAccountCard(const AccountCard& card) = 0;
  /// The card with this token hash, or nullopt.
  [[nodiscard]] virtual std::expected<std::optional<AccountCard>, StoreError> cardByTokenHash(
      const std::string& tokenHash) const = 0;

  /// The throttle of a subject, or nullopt when it has no failures.
  [[nodiscard]] virtual std::expected<std::optional<Throttle>, StoreError> throttle(
      const std::string& subject) const = 0;
  /// Inserts or replaces the throttle of a subject.
  [[nodiscard]] virtual std::expected<void, StoreError> putThrottle(const Throttle& throttle) = 0;
  /// Forgets a subject's failures (after a success or an unlock by staff).
  [[nodiscard]] virtual std::expected<void, StoreError> clearThrottle(
      const std::string& subject) = 0;
};

}  // namespace prepaid::store
