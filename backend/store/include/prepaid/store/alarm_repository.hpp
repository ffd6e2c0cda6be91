#pragma once

// Alarms on meters and gateways. At most one open alarm per (subject, kind), so a level crossing
// is recorded once however often it is evaluated.

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "prepaid/domain/time.hpp"
#include "prepaid/store/ids.hpp"
#include "prepaid/store/store_error.hpp"

namespace prepaid::store {

enum class AlarmKind {
  Alarm1,
  Alarm2,
  Arrears,
  Overload,
  LostContact,
  PurchaseCountMismatch,
  OverVoltage,
  UnderVoltage,
};

/// "alarm1", "alarm2", "arrears", "overload", "lost_contact", "purchase_count_mismatch",
/// "over_voltage", "under_voltage" (stable, as stored).
[[nodiscard]] std::string_view toString(AlarmKind kind);

/// What an alarm is about: exactly one of meter or gateway.
struct AlarmSubject {
  std::optional<MeterId> meterId;
  std::optional<GatewayId> gatewayId;
  static AlarmSubject meter(MeterId id) { return AlarmSubject{id, std::nullopt}; }
  static AlarmSubject gateway(GatewayId id) { return AlarmSubject{std::nullopt, id}; }
};

enum class Notified {
  No,
  Yes,
};

struct Alarm {
  AlarmId id = 0;
  AlarmSubject subject;
  AlarmKind kind = AlarmKind::Alarm1;
  domain::Instant raisedAt{};
  std::optional<domain::Instant> clearedAt;
  Notified notified = Notified::No;
  std::string detail;
};

enum class RaiseOutcome {
  Raised,       // a new alarm was opened
  AlreadyOpen,  // the same kind was already open for the subject: that alarm is returned
};

struct RaiseResult {
  Alarm alarm;
  RaiseOutcome outcome = RaiseOutcome::Raised;
};

class AlarmRepository {
 public:
  virtual ~AlarmRepository() = default;

  /// Opens an alarm unless one of the same kind is open for the subject. InvalidArgument when
  /// the subject names neither or both of meter and gateway.
  [[nodiscard]] virtual std::expected<RaiseResult, StoreError> raise(const AlarmSubject& subject,
                                                                     AlarmKind kind,
                                                                     domain::Instant at,
                                                                     const std::string& detail) = 0;
  /// Clears the open alarm of this kind; returns it, or nullopt when none was open.
  [[nodiscard]] virtual std::expected<std::optional<Alarm>, StoreError> clear(
      const AlarmSubject& subject, AlarmKind kind, domain::Instant at) = 0;
  /// Records that the tenant/staff were notified; NotFound when absent.
  [[nodiscard]] virtual std::expected<void, StoreError> markNotified(AlarmId id) = 0;

  /// Open alarms, oldest first.
  [[nodiscard]] virtual std::expected<std::vector<Alarm>, StoreError> openAlarms() const = 0;
  /// Open alarms of one subject.
  [[nodiscard]] virtual std::expected<std::vector<Alarm>, StoreError> openAlarmsOf(
      const AlarmSubject& subject) const = 0;
  /// Open alarms not yet notified, oldest first.
  [[nodiscard]] virtual std::expected<std::vector<Alarm>, StoreError> unnotified() const = 0;
  /// Alarms raised in [from, to), oldest first, at most `limit` (alarm history).
  [[nodiscard]] virtual std::expected<std::vector<Alarm>, StoreError> history(
      domain::Instant from, domain::Instant to, std::int64_t limit) const = 0;
};

}  // namespace prepaid::store
