#pragma once

// Tariffs (电价) and their effective-dated versions. A version's definition is the domain's
// text encoding of a tariff (domain::encodeTariff); the store keeps it verbatim.

#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "prepaid/domain/time.hpp"
#include "prepaid/store/ids.hpp"
#include "prepaid/store/store_error.hpp"

namespace prepaid::store {

struct Tariff {
  TariffId id = 0;
  std::string name;  // unique
};

struct TariffVersion {
  TariffVersionId id = 0;
  TariffId tariffId = 0;
  domain::Instant effectiveFrom{};  // applies to energy used from this instant on
  std::string definition;           // domain-encoded tariff text
  domain::Instant createdAt{};
};

class TariffRepository {
 public:
  virtual ~TariffRepository() = default;

  /// Adds a tariff; Duplicate for a name taken.
  [[nodiscard]] virtual std::expected<Tariff, StoreError> addTariff(const std::string& name) = 0;
  /// One tariff; NotFound when absent.
  [[nodiscard]] virtual std::expected<Tariff, StoreError> tariff(TariffId id) const = 0;
  /// Every tariff by name.
  [[nodiscard]] virtual std::expected<std::vector<Tariff>, StoreError> tariffs() const = 0;

  /// Adds a version (id ignored). Duplicate when the tariff already has a version with the same
  /// effectiveFrom; InvalidArgument for an empty definition. Versions are never edited: a price
  /// change is a new version.
  [[nodiscard]] virtual std::expected<TariffVersion, StoreError> addVersion(
      const TariffVersion& version) = 0;
  /// The version in force at `at` (latest effectiveFrom <= at), or nullopt.
  [[nodiscard]] virtual std::expected<std::optional<TariffVersion>, StoreError> versionAt(
      TariffId tariff, domain::Instant at) const = 0;
  /// Every version of a tariff in force at some point of [from, to): the one in force at
  /// `from` followed by those starting inside the range, by effectiveFrom. This is what rating
  /// an interval across a price change needs.
  [[nodiscard]] virtual std::expected<std::vector<TariffVersion>, StoreError> versionsBetween(
      TariffId tariff, domain::Instant from, domain::Instant to) const = 0;
};

}  // namespace prepaid::store
