#include "codec.hpp"
#include "sqlite_repositories.hpp"

namespace prepaid::store::detail {

namespace {

constexpr std::string_view VersionColumns =
    "SELECT id, tariff_id, effective_from, definition, created_at FROM tariff_versions";

TariffVersion versionFrom(const Statement& row) {
  return TariffVersion{row.int64(0), row.int64(1), fromEpoch(row.int64(2)), row.text(3),
                       fromEpoch(row.int64(4))};
}

}  // namespace

std::expected<Tariff, StoreError> SqliteTariffRepository::addTariff(const std::string& name) {
  return guard([&] {
    m_ctx.db().run("INSERT INTO tariffs (name) VALUES (?1)", name);
    return Tariff{m_ctx.db().lastInsertRowId(), name};
  });
}

std::expected<Tariff, StoreError> SqliteTariffRepository::tariff(TariffId id) const {
  return guard([&] {
    auto row = m_ctx.db().prepare("SELECT id, name FROM tariffs WHERE id = ?1");
    row.bindAll(id);
    if (!row.step()) {
      fail(StoreErrorCode::NotFound, "tariff " + std::to_string(id) + " not found");
    }
    return Tariff{row.int64(0), row.text(1)};
  });
}

std::expected<std::vector<Tariff>, StoreError> SqliteTariffRepository::tariffs() const {
  return guard([&] {
    std::vector<Tariff> result;
    auto row = m_ctx.db().prepare("SELECT id, name FROM tariffs ORDER BY name");
    while (row.step()) {
      result.push_back(Tariff{row.int64(0), row.text(1)});
    }
    return result;
  });
}

std::expected<TariffVersion, StoreError> SqliteTariffRepository::addVersion(
    const TariffVersion& version) {
  return guard([&] {
    if (version.definition.empty()) {
      fail(StoreErrorCode::InvalidArgument, "a tariff version needs a definition");
    }
    m_ctx.db().run(
        "INSERT INTO tariff_versions (tariff_id, effective_from, definition, created_at) "
        "VALUES (?1, ?2, ?3, ?4)",
        version.tariffId, toEpoch(version.effectiveFrom), version.definition,
        toEpoch(version.createdAt));
    TariffVersion stored = version;
    stored.id = m_ctx.db().lastInsertRowId();
    return stored;
  });
}

std::expected<std::optional<TariffVersion>, StoreError> SqliteTariffRepository::versionAt(
    TariffId tariff, domain::Instant at) const {
  return guard([&]() -> std::optional<TariffVersion> {
    auto row = m_ctx.db().prepare(std::string(VersionColumns) +
                                  " WHERE tariff_id = ?1 AND effective_from <= ?2 "
                                  "ORDER BY effective_from DESC LIMIT 1");
    row.bindAll(tariff, toEpoch(at));
    if (!row.step()) {
      return std::nullopt;
    }
    return versionFrom(row);
  });
}

std::expected<std::vector<TariffVersion>, StoreError> SqliteTariffRepository::versionsBetween(
    TariffId tariff, domain::Instant from, domain::Instant to) const {
  return guard([&] {
    std::vector<TariffVersion> result;
    if (auto first = versionAt(tariff, from); !first) {
      throw SqliteError(first.error().code, first.error().message);
    } else if (*first) {
      result.push_back(**first);
    }
    auto row = m_ctx.db().prepare(std::string(VersionColumns) +
                                  " WHERE tariff_id = ?1 AND effective_from > ?2 AND "
                                  "effective_from < ?3 ORDER BY effective_from");
    row.bindAll(tariff, toEpoch(from), toEpoch(to));
    while (row.step()) {
      result.push_back(versionFrom(row));
    }
    return result;
  });
}

}  // namespace prepaid::store::detail
