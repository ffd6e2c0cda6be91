#pragma once

// Effective-dated tariff versions (调价): a new price applies only to energy used at or after its
// effective instant, so a price change never re-prices energy used before it.

#include <expected>
#include <vector>

#include "prepaid/domain/tariff.hpp"
#include "prepaid/domain/time.hpp"

namespace prepaid::domain {

/// A tariff and the instant from which it applies.
struct TariffVersion {
  Instant effectiveFrom;
  Tariff tariff;
  bool operator==(const TariffVersion&) const = default;
};

/// A meter's (or site default's) tariff versions, validated, in strictly increasing effective
/// order. Immutable; with() returns an extended copy.
class TariffHistory {
 public:
  /// Validates every version and the order. Errors: the first invalid tariff (message prefixed
  /// with "version <n>: "), ConflictingVersions when effective instants do not strictly increase
  /// or the list is empty.
  [[nodiscard]] static std::expected<TariffHistory, TariffError> create(
      std::vector<TariffVersion> versions);

  /// This history plus `version`, which must take effect after the last one.
  [[nodiscard]] std::expected<TariffHistory, TariffError> with(TariffVersion version) const;

  /// All versions, oldest first (never empty).
  [[nodiscard]] const std::vector<TariffVersion>& versions() const { return m_versions; }

  /// The version in effect at `at`, or nullptr before the first one.
  [[nodiscard]] const TariffVersion* versionAt(Instant at) const;

  bool operator==(const TariffHistory&) const = default;

 private:
  TariffHistory() = default;
  std::vector<TariffVersion> m_versions;
};

}  // namespace prepaid::domain
