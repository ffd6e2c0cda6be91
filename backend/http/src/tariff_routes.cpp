// Tariffs (电价, DOMAIN.md "Tariffs"; staff function group "settings": price): list and read every
// tariff with its effective-dated versions, create a tariff, and change a price (调价) by adding a
// version that takes effect now or later. Versions are never edited or deleted, so energy used
// before a change keeps the price it was used at. Definitions travel as JSON
// (prepaid/api/tariff_json.hpp) and are stored in the domain's text form (tariff_codec.hpp).

#include "server_core.hpp"

#include "prepaid/api/json_fields.hpp"
#include "prepaid/api/tariff_json.hpp"
#include "prepaid/api/time_format.hpp"
#include "prepaid/domain/tariff_codec.hpp"

namespace prepaid::backend::http {

namespace {

constexpr api::LengthRange TariffNameLength{1, 64};

// The whole history: versions from the epoch to the end of 9999.
constexpr domain::Instant HistoryStart{};
constexpr domain::Instant HistoryEnd{std::chrono::seconds(253'402'300'799)};

// Tx: store::ReadTransaction or store::WriteTransaction (same read accessors).
template <typename Tx>
std::expected<Json, ApiError> tariffJson(Tx& tx, const store::Tariff& tariff,
                                         const store::Settings& settings,
                                         const domain::SiteTimeZone& zone, domain::Instant now) {
  PREPAID_TRY_STORE(versions, tx.tariffs().versionsBetween(tariff.id, HistoryStart, HistoryEnd));
  PREPAID_TRY_STORE(current, tx.tariffs().versionAt(tariff.id, now));
  PREPAID_TRY_STORE(meters, tx.meters().meters());
  std::int64_t meterCount = 0;
  for (const auto& meter : *meters) {
    meterCount += meter.tariffId == tariff.id && !meter.replacedBy ? 1 : 0;
  }
  Json items = Json::array();
  for (const auto& version : *versions) {
    Json item{{"version_id", version.id},
              {"effective_from", api::formatRfc3339(version.effectiveFrom, zone)},
              {"created_at", api::formatRfc3339(version.createdAt, zone)},
              {"in_force", *current && (*current)->id == version.id},
              {"upcoming", version.effectiveFrom > now}};
    if (auto decoded = domain::decodeTariff(version.definition)) {
      item["definition"] = api::tariffToJson(*decoded);
    } else {
      // Written by this program, so unreadable text means the database was edited by hand:
      // show it rather than hide the version.
      item["definition"] = nullptr;
      item["definition_error"] = decoded.error().message;
    }
    items.push_back(std::move(item));
  }
  return Json{{"tariff_id", tariff.id},
              {"name", tariff.name},
              {"site_default", settings.defaultTariffId == tariff.id},
              {"meter_count", meterCount},
              {"current_version_id", *current ? Json((*current)->id) : Json(nullptr)},
              {"versions", items}};
}

template <typename Tx>
std::expected<store::Tariff, ApiError> findTariff(Tx& tx, store::TariffId id) {
  auto tariff = tx.tariffs().tariff(id);
  if (!tariff) {
    if (tariff.error().code == store::StoreErrorCode::NotFound) {
      return std::unexpected(
          apiError(ErrorCode::UnknownTariff, "no tariff with id " + std::to_string(id)));
    }
    return std::unexpected(fromStore(tariff.error()));
  }
  return *tariff;
}

// effective_from: RFC 3339, now or later (a price never applies to energy already used).
std::expected<std::optional<domain::Instant>, ApiError> readEffectiveFrom(
    const api::FieldReader& fields, domain::Instant now) {
  PREPAID_TRY(text, fields.optionalString("effective_from", api::LengthRange{1, 40}));
  if (!*text) {
    return std::optional<domain::Instant>{};
  }
  const auto parsed = api::parseRfc3339(**text);
  if (!parsed) {
    return std::unexpected(
        apiError(ErrorCode::InvalidField,
                 "field 'effective_from' must be an RFC 3339 time like 2024-07-01T00:00:00+08:00"));
  }
  if (*parsed < now) {
    return std::unexpected(apiError(
        ErrorCode::InvalidField,
        "field 'effective_from' is in the past: a price change takes effect now or later, so "
        "energy already used keeps its price"));
  }
  return std::optional<domain::Instant>(*parsed);
}

std::expected<domain::Tariff, ApiError> readDefinition(const api::FieldReader& fields,
                                                       const Json& body) {
  if (!fields.has("definition")) {
    return std::unexpected(apiError(ErrorCode::MissingField, "field 'definition' is required"));
  }
  return api::parseTariffJson(body.at("definition"), "definition");
}

}  // namespace

void registerTariffRoutes(ServerCore& core) {
  core.add(route("GET", "/api/v1/tariffs", Access::Staff, "tariffs",
                 "Every tariff with its versions (effective_from, in_force, definition)",
                 [&core](Request&) -> Result {
                   Json items = Json::array();
                   const auto now = core.now();
                   auto read = readStore(
                       core.store(),
                       [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
                         PREPAID_TRY_STORE(site, tx.site().site());
                         PREPAID_TRY_STORE(settings, tx.site().settings());
                         PREPAID_TRY_STORE(tariffs, tx.tariffs().tariffs());
                         for (const auto& tariff : *tariffs) {
                           PREPAID_TRY(json,
                                       tariffJson(tx, tariff, *settings, site->timeZone, now));
                           items.push_back(std::move(*json));
                         }
                         return {};
                       });
                   if (!read) {
                     return std::unexpected(read.error());
                   }
                   return jsonReply(Json{{"tariffs", items}});
                 })
               .needs(Permission::AccountsRead));

  core.add(route("GET", "/api/v1/tariffs/{tariff_id}", Access::Staff, "tariffs",
                 "One tariff with every version",
                 [&core](Request& request) -> Result {
                   PREPAID_TRY(id, pathId(request, "tariff_id"));
                   Json body;
                   const auto now = core.now();
                   auto read = readStore(
                       core.store(),
                       [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
                         PREPAID_TRY(tariff, findTariff(tx, *id));
                         PREPAID_TRY_STORE(site, tx.site().site());
                         PREPAID_TRY_STORE(settings, tx.site().settings());
                         PREPAID_TRY(json, tariffJson(tx, *tariff, *settings, site->timeZone, now));
                         body = std::move(*json);
                         return {};
                       });
                   if (!read) {
                     return std::unexpected(read.error());
                   }
                   return jsonReply(body);
                 })
               .needs(Permission::AccountsRead));

  core.add(
      route("POST", "/api/v1/tariffs", Access::Staff, "tariffs",
            "Create a tariff {name, definition, effective_from? (default now, not in the past)}",
            [&core](Request& request) -> Result {
              api::FieldReader fields(request.body);
              PREPAID_TRY(known, fields.onlyKnown({"name", "definition", "effective_from"}));
              PREPAID_TRY(name, fields.requiredString("name", TariffNameLength));
              const auto now = core.now();
              PREPAID_TRY(effectiveFrom, readEffectiveFrom(fields, now));
              PREPAID_TRY(definition, readDefinition(fields, request.body));
              Json after;
              auto written = writeStore(
                  core.store(), [&](store::WriteTransaction& tx) -> std::expected<void, ApiError> {
                    auto added = tx.tariffs().addTariff(*name);
                    if (!added) {
                      if (added.error().code == store::StoreErrorCode::Duplicate ||
                          added.error().code == store::StoreErrorCode::Constraint) {
                        return std::unexpected(apiError(
                            ErrorCode::Conflict, "a tariff named '" + *name + "' exists already"));
                      }
                      return std::unexpected(fromStore(added.error()));
                    }
                    store::TariffVersion version;
                    version.tariffId = added->id;
                    version.effectiveFrom = effectiveFrom->value_or(now);
                    version.definition = domain::encodeTariff(*definition);
                    version.createdAt = now;
                    PREPAID_TRY_STORE(stored, tx.tariffs().addVersion(version));
                    PREPAID_TRY_STORE(site, tx.site().site());
                    PREPAID_TRY_STORE(settings, tx.site().settings());
                    PREPAID_TRY(json, tariffJson(tx, *added, *settings, site->timeZone, now));
                    after = std::move(*json);
                    PREPAID_TRY_STORE(
                        audited, core.audit(tx, request, "tariff.create",
                                            "tariff:" + std::to_string(added->id), nullptr, after));
                    return {};
                  });
              if (!written) {
                return std::unexpected(written.error());
              }
              return jsonReply(after, 201);
            })
          .needs(Permission::TariffsManage)
          .jsonBody());

  core.add(
      route("POST", "/api/v1/tariffs/{tariff_id}/versions", Access::Staff, "tariffs",
            "Price change (调价): a new version {effective_from (now or later), definition}; "
            "earlier versions are never changed",
            [&core](Request& request) -> Result {
              PREPAID_TRY(id, pathId(request, "tariff_id"));
              api::FieldReader fields(request.body);
              PREPAID_TRY(known, fields.onlyKnown({"definition", "effective_from"}));
              const auto now = core.now();
              PREPAID_TRY(effectiveFrom, readEffectiveFrom(fields, now));
              if (!*effectiveFrom) {
                return std::unexpected(
                    apiError(ErrorCode::MissingField, "field 'effective_from' is required"));
              }
              PREPAID_TRY(definition, readDefinition(fields, request.body));
              Json after;
              auto written = writeStore(
                  core.store(), [&](store::WriteTransaction& tx) -> std::expected<void, ApiError> {
                    PREPAID_TRY(tariff, findTariff(tx, *id));
                    PREPAID_TRY_STORE(site, tx.site().site());
                    PREPAID_TRY_STORE(settings, tx.site().settings());
                    PREPAID_TRY(before, tariffJson(tx, *tariff, *settings, site->timeZone, now));
                    store::TariffVersion version;
                    version.tariffId = tariff->id;
                    version.effectiveFrom = **effectiveFrom;
                    version.definition = domain::encodeTariff(*definition);
                    version.createdAt = now;
                    auto added = tx.tariffs().addVersion(version);
                    if (!added) {
                      if (added.error().code == store::StoreErrorCode::Duplicate) {
                        return std::unexpected(
                            apiError(ErrorCode::Conflict,
                                     "tariff " + std::to_string(tariff->id) +
                                         " already has a version taking effect at that instant"));
                      }
                      return std::unexpected(fromStore(added.error()));
                    }
                    PREPAID_TRY(json, tariffJson(tx, *tariff, *settings, site->timeZone, now));
                    after = std::move(*json);
                    PREPAID_TRY_STORE(audited, core.audit(tx, request, "tariff.version.add",
                                                          "tariff:" + std::to_string(tariff->id),
                                                          *before, after));
                    return {};
                  });
              if (!written) {
                return std::unexpected(written.error());
              }
              return jsonReply(after, 201);
            })
          .needs(Permission::TariffsManage)
          .jsonBody());
}

}  // namespace prepaid::backend::http
