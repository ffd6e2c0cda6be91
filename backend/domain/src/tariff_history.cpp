#include "prepaid/domain/tariff_history.hpp"

#include <algorithm>

namespace prepaid::domain {

std::expected<TariffHistory, TariffError> TariffHistory::create(
    std::vector<TariffVersion> versions) {
  if (versions.empty()) {
    return std::unexpected(
        TariffError{TariffErrorCode::ConflictingVersions, "a tariff history needs a version", 0});
  }
  for (std::size_t i = 0; i < versions.size(); ++i) {
    if (auto valid = validateTariff(versions[i].tariff); !valid) {
      auto error = valid.error();
      error.message = "version " + std::to_string(i + 1) + ": " + error.message;
      return std::unexpected(std::move(error));
    }
    if (i > 0 && versions[i].effectiveFrom <= versions[i - 1].effectiveFrom) {
      return std::unexpected(TariffError{TariffErrorCode::ConflictingVersions,
                                         "version " + std::to_string(i + 1) +
                                             " does not take effect after version " +
                                             std::to_string(i),
                                         0});
    }
  }
  TariffHistory history;
  history.m_versions = std::move(versions);
  return history;
}

std::expected<TariffHistory, TariffError> TariffHistory::with(TariffVersion version) const {
  auto versions = m_versions;
  versions.push_back(std::move(version));
  return create(std::move(versions));
}

const TariffVersion* TariffHistory::versionAt(Instant at) const {
  const auto after = std::ranges::upper_bound(m_versions, at, {}, &TariffVersion::effectiveFrom);
  return after == m_versions.begin() ? nullptr : &*std::prev(after);
}

}  // namespace prepaid::domain
