// System settings (DOMAIN.md group 2): buildings/floors, shops, gateways, meters (single and CSV
// batch import), site defaults.

#include <charconv>
#include <set>
#include <sstream>

#include "server_core.hpp"

#include "prepaid/api/json_fields.hpp"

namespace prepaid::backend::http {

namespace {

constexpr std::int64_t MaxId = INT64_MAX;

Json gatewayJson(const store::Gateway& gateway) {
  return {{"gateway_id", gateway.id},
          {"name", gateway.name},
          {"transport_uri", gateway.transportUri},
          {"response_timeout_ms", gateway.responseTimeoutMs},
          {"byte_timeout_ms", gateway.byteTimeoutMs},
          {"inter_request_delay_ms", gateway.interRequestDelayMs},
          {"retries", gateway.retries},
          {"enabled", gateway.enabled == store::GatewayEnabled::Enabled},
          {"link", gateway.linkState == store::LinkState::Online ? "online" : "lost"}};
}

std::string_view meterStatusName(store::MeterStatus status) {
  switch (status) {
    case store::MeterStatus::NotOpened:
      return "not_opened";
    case store::MeterStatus::Opened:
      return "opened";
    case store::MeterStatus::Closed:
      return "closed";
  }
  return "unknown";
}

Json meterJson(const store::Meter& meter) {
  Json json = {{"meter_id", meter.id},
               {"serial", meter.serial},
               {"profile", meter.profile},
               {"unit_address", meter.unitAddress},
               {"gateway_id", meter.gatewayId},
               {"shop_id", meter.shopId ? Json(*meter.shopId) : Json(nullptr)},
               {"medium", meter.medium == domain::Medium::Water ? "water" : "electricity"},
               {"billing_mode", domain::toString(meter.billingMode)},
               {"tariff_id", meter.tariffId ? Json(*meter.tariffId) : Json(nullptr)},
               {"alarm1_fen", meter.alarm1Fen ? Json(*meter.alarm1Fen) : Json(nullptr)},
               {"alarm2_fen", meter.alarm2Fen ? Json(*meter.alarm2Fen) : Json(nullptr)},
               {"overload_threshold_w",
                meter.overloadThresholdW ? Json(*meter.overloadThresholdW) : Json(nullptr)},
               {"trip_policy", domain::toString(meter.tripPolicy.kind)},
               {"keep_power", meter.keepPower == store::KeepPower::On},
               {"status", meterStatusName(meter.status)},
               {"purchase_count", meter.purchaseCount},
               {"sales_blocked", meter.salesBlock == store::SalesBlock::Blocked},
               {"link", meter.linkState == store::LinkState::Online ? "online" : "lost"}};
  return json;
}

Json settingsJson(const store::Settings& settings) {
  return {{"overload_threshold_w", settings.overloadThresholdW},
          {"collection_interval_s", settings.collectionIntervalS},
          {"alarm1_fen", settings.alarm1Fen},
          {"alarm2_fen", settings.alarm2Fen},
          {"default_unit_price_micro_yuan", settings.defaultUnitPriceMicroYuan},
          {"default_tariff_id",
           settings.defaultTariffId ? Json(*settings.defaultTariffId) : Json(nullptr)},
          {"hoarding_cap_fen", settings.hoardingCapFen},
          {"order_min_fen", settings.orderMinFen},
          {"order_max_fen", settings.orderMaxFen},
          {"close_allowed_fen", settings.closeAllowedFen},
          {"alarm_sms_number", settings.alarmSmsNumber},
          {"pin_required", settings.pinPolicy == store::PinPolicy::Required},
          {"lost_contact_failures", settings.lostContactFailures}};
}

/// The fields of a new meter, from JSON (single create) or a CSV row (import).
struct MeterInput {
  store::Meter meter;
  std::string gatewayName;  // CSV: by name
  std::string shopNumber;   // CSV: by number
};

std::expected<store::Meter, ApiError> meterFromJson(const api::FieldReader& fields) {
  PREPAID_TRY(known,
              fields.onlyKnown({"serial", "profile", "unit_address", "gateway_id", "shop_id",
                                "medium", "billing_mode", "tariff_id", "alarm1_fen", "alarm2_fen",
                                "overload_threshold_w", "trip_policy", "purchase_count"}));
  store::Meter meter;
  PREPAID_TRY(serial, fields.requiredString("serial", api::LengthRange{1, 32}));
  PREPAID_TRY(profile, fields.requiredString("profile", api::LengthRange{1, 64}));
  PREPAID_TRY(unit, fields.requiredInt("unit_address", api::IntRange{1, 247}));
  PREPAID_TRY(gateway, fields.requiredInt("gateway_id", api::IntRange{1, MaxId}));
  PREPAID_TRY(shop, fields.optionalInt("shop_id", api::IntRange{1, MaxId}));
  PREPAID_TRY(medium, fields.optionalEnum("medium", {"electricity", "water"}));
  PREPAID_TRY(mode, fields.optionalEnum("billing_mode", {"meter_side", "server_side"}));
  PREPAID_TRY(tariff, fields.optionalInt("tariff_id", api::IntRange{1, MaxId}));
  PREPAID_TRY(alarm1, fields.optionalInt("alarm1_fen", api::IntRange{1, 100'000'000}));
  PREPAID_TRY(alarm2, fields.optionalInt("alarm2_fen", api::IntRange{1, 100'000'000}));
  PREPAID_TRY(overload, fields.optionalInt("overload_threshold_w", api::IntRange{1, 10'000'000}));
  PREPAID_TRY(trip, fields.optionalEnum("trip_policy", {"immediate", "never", "delayed"}));
  PREPAID_TRY(count, fields.optionalInt("purchase_count", api::IntRange{0, 1'000'000'000}));
  meter.serial = *serial;
  meter.profile = *profile;
  meter.unitAddress = *unit;
  meter.gatewayId = *gateway;
  meter.shopId = *shop;
  meter.medium = medium->value_or("electricity") == "water" ? domain::Medium::Water
                                                            : domain::Medium::Electricity;
  meter.billingMode = *domain::parseBillingMode(mode->value_or("server_side"));
  meter.tariffId = *tariff;
  meter.alarm1Fen = *alarm1;
  meter.alarm2Fen = *alarm2;
  meter.overloadThresholdW = *overload;
  meter.tripPolicy.kind = *domain::parseTripPolicyKind(trip->value_or("immediate"));
  meter.purchaseCount = count->value_or(0);
  if (meter.alarm1Fen && meter.alarm2Fen && *meter.alarm2Fen >= *meter.alarm1Fen) {
    return std::unexpected(
        apiError(ErrorCode::InvalidField, "field 'alarm2_fen' must be below 'alarm1_fen'"));
  }
  return meter;
}

/// Checks the references of a meter inside the write transaction so that the client gets a
/// field-level error instead of a constraint failure.
std::expected<void, ApiError> checkMeterReferences(store::WriteTransaction& tx,
                                                   const store::Meter& meter) {
  if (!tx.gateways().gateway(meter.gatewayId)) {
    return std::unexpected(
        apiError(ErrorCode::InvalidField, "field 'gateway_id' names no gateway"));
  }
  if (meter.shopId && !tx.buildings().shop(*meter.shopId)) {
    return std::unexpected(apiError(ErrorCode::InvalidField, "field 'shop_id' names no shop"));
  }
  if (meter.tariffId && !tx.tariffs().tariff(*meter.tariffId)) {
    return std::unexpected(apiError(ErrorCode::InvalidField, "field 'tariff_id' names no tariff"));
  }
  return {};
}

/// A profile the site knows (HttpOptions::meterProfiles; not checked when that list is empty).
std::expected<void, ApiError> checkProfile(const ServerCore& core, const std::string& profile) {
  const auto& known = core.options().meterProfiles;
  if (known.empty() || std::ranges::find(known, profile) != known.end()) {
    return {};
  }
  std::string names;
  for (const auto& name : known) {
    names += (names.empty() ? "" : ", ") + name;
  }
  return std::unexpected(
      apiError(ErrorCode::InvalidField,
               "field 'profile': no meter profile '" + profile + "' (known: " + names + ")"));
}

/// Another meter already answering on this gateway at this unit address, if any.
std::expected<void, ApiError> checkBusAddress(store::WriteTransaction& tx,
                                              const store::Meter& meter) {
  PREPAID_TRY_STORE(onGateway, tx.meters().metersOnGateway(meter.gatewayId));
  for (const auto& other : *onGateway) {
    if (other.id != meter.id && other.unitAddress == meter.unitAddress && !other.replacedBy) {
      return std::unexpected(
          apiError(ErrorCode::Conflict, "meter " + std::to_string(other.id) + " (" + other.serial +
                                            ") already uses unit address " +
                                            std::to_string(meter.unitAddress) + " on gateway " +
                                            std::to_string(meter.gatewayId)));
    }
  }
  return {};
}

Json shopJson(const store::Shop& shop) {
  return {{"shop_id", shop.id},
          {"floor_id", shop.floorId},
          {"number", shop.number},
          {"area_centi_m2", shop.areaCentiM2},
          {"head_count", shop.headCount}};
}

// [SECTION] CSV

std::vector<std::string> splitCsvLine(const std::string& line, bool& ok) {
  // RFC 4180 subset: comma separated, fields may be double-quoted with "" for a quote; no
  // newlines inside fields (a meter list never needs them).
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;
  ok = true;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"' && field.empty()) {
      quoted = true;
    } else if (c == ',') {
      fields.push_back(field);
      field.clear();
    } else {
      field += c;
    }
  }
  ok = !quoted;
  fields.push_back(field);
  return fields;
}

constexpr std::array<std::string_view, 11> CsvColumns = {
    "serial",     "profile",      "unit_address", "gateway",    "shop_number",
    "medium",     "billing_mode", "alarm1_fen",   "alarm2_fen", "overload_threshold_w",
    "trip_policy"};

}  // namespace

void registerSiteRoutes(ServerCore& core) {
  core.add(route("GET", "/api/v1/buildings", Access::Staff, "site", "Buildings with their floors",
                 [&core](Request&) -> Result {
                   Json items = Json::array();
                   auto read = readStore(
                       core.store(),
                       [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
                         PREPAID_TRY_STORE(buildings, tx.buildings().buildings());
                         for (const auto& building : *buildings) {
                           Json floors = Json::array();
                           PREPAID_TRY_STORE(list, tx.buildings().floors(building.id));
                           for (const auto& floor : *list) {
                             floors.push_back({{"floor_id", floor.id},
                                               {"name", floor.name},
                                               {"ordinal", floor.ordinal}});
                           }
                           items.push_back({{"building_id", building.id},
                                            {"name", building.name},
                                            {"floors", floors}});
                         }
                         return {};
                       });
                   if (!read) {
                     return std::unexpected(read.error());
                   }
                   return jsonReply(Json{{"buildings", items}});
                 })
               .needs(Permission::AccountsRead));

  core.add(route("POST", "/api/v1/buildings", Access::Staff, "site", "Add a building {name}",
                 [&core](Request& request) -> Result {
                   api::FieldReader fields(request.body);
                   PREPAID_TRY(known, fields.onlyKnown({"name"}));
                   PREPAID_TRY(name, fields.requiredString("name", api::LengthRange{1, 64}));
                   Json created;
                   auto written = writeStore(
                       core.store(),
                       [&](store::WriteTransaction& tx) -> std::expected<void, ApiError> {
                         PREPAID_TRY_STORE(building, tx.buildings().addBuilding(*name));
                         created = {{"building_id", building->id}, {"name", building->name}};
                         PREPAID_TRY_STORE(audited,
                                           core.audit(tx, request, "building.create",
                                                      "building:" + std::to_string(building->id),
                                                      nullptr, created));
                         return {};
                       });
                   if (!written) {
                     return std::unexpected(written.error());
                   }
                   return jsonReply(created, 201);
                 })
               .needs(Permission::SiteConfigure)
               .jsonBody());

  core.add(
      route("POST", "/api/v1/buildings/{building_id}/floors", Access::Staff, "site",
            "Add a floor {name, ordinal}",
            [&core](Request& request) -> Result {
              PREPAID_TRY(buildingId, pathId(request, "building_id"));
              api::FieldReader fields(request.body);
              PREPAID_TRY(known, fields.onlyKnown({"name", "ordinal"}));
              PREPAID_TRY(name, fields.requiredString("name", api::LengthRange{1, 64}));
              PREPAID_TRY(ordinal, fields.optionalInt("ordinal", api::IntRange{-100, 1000}));
              Json created;
              auto written = writeStore(
                  core.store(), [&](store::WriteTransaction& tx) -> std::expected<void, ApiError> {
                    PREPAID_TRY_STORE(buildings, tx.buildings().buildings());
                    if (std::ranges::none_of(*buildings,
                                             [&](const auto& b) { return b.id == *buildingId; })) {
                      return std::unexpected(apiError(ErrorCode::NotFound, "no such building"));
                    }
                    PREPAID_TRY_STORE(
                        floor, tx.buildings().addFloor(*buildingId, *name, ordinal->value_or(0)));
                    created = {{"floor_id", floor->id},
                               {"building_id", floor->buildingId},
                               {"name", floor->name},
                               {"ordinal", floor->ordinal}};
                    PREPAID_TRY_STORE(audited, core.audit(tx, request, "floor.create",
                                                          "floor:" + std::to_string(floor->id),
                                                          nullptr, created));
                    return {};
                  });
              if (!written) {
                return std::unexpected(written.error());
              }
              return jsonReply(created, 201);
            })
          .needs(Permission::SiteConfigure)
          .jsonBody());

  core.add(route("GET", "/api/v1/shops", Access::Staff, "site", "Every shop (户号)",
                 [&core](Request&) -> Result {
                   Json items = Json::array();
                   auto read = readStore(
                       core.store(),
                       [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
                         PREPAID_TRY_STORE(shops, tx.buildings().shops(std::nullopt));
                         for (const auto& shop : *shops) {
                           items.push_back({{"shop_id", shop.id},
                                            {"floor_id", shop.floorId},
                                            {"number", shop.number},
                                            {"area_centi_m2", shop.areaCentiM2},
                                            {"head_count", shop.headCount}});
                         }
                         return {};
                       });
                   if (!read) {
                     return std::unexpected(read.error());
                   }
                   return jsonReply(Json{{"shops", items}});
                 })
               .needs(Permission::AccountsRead));

  core.add(
      route("POST", "/api/v1/shops", Access::Staff, "site",
            "Add a shop {floor_id, number, area_centi_m2, head_count}",
            [&core](Request& request) -> Result {
              api::FieldReader fields(request.body);
              PREPAID_TRY(known,
                          fields.onlyKnown({"floor_id", "number", "area_centi_m2", "head_count"}));
              PREPAID_TRY(floorId, fields.requiredInt("floor_id", api::IntRange{1, MaxId}));
              PREPAID_TRY(number, fields.requiredString("number", api::LengthRange{1, 32}));
              PREPAID_TRY(area,
                          fields.optionalInt("area_centi_m2", api::IntRange{0, 10'000'000'000}));
              PREPAID_TRY(heads, fields.optionalInt("head_count", api::IntRange{0, 100'000}));
              Json created;
              auto written = writeStore(
                  core.store(), [&](store::WriteTransaction& tx) -> std::expected<void, ApiError> {
                    store::Shop shop;
                    shop.floorId = *floorId;
                    shop.number = *number;
                    shop.areaCentiM2 = area->value_or(0);
                    shop.headCount = heads->value_or(0);
                    auto added = tx.buildings().addShop(shop);
                    if (!added) {
                      if (added.error().code == store::StoreErrorCode::Constraint) {
                        return std::unexpected(
                            apiError(ErrorCode::InvalidField, "field 'floor_id' names no floor"));
                      }
                      return std::unexpected(fromStore(added.error()));
                    }
                    created = {{"shop_id", added->id},
                               {"floor_id", added->floorId},
                               {"number", added->number},
                               {"area_centi_m2", added->areaCentiM2},
                               {"head_count", added->headCount}};
                    PREPAID_TRY_STORE(
                        audited, core.audit(tx, request, "shop.create",
                                            "shop:" + std::to_string(added->id), nullptr, created));
                    return {};
                  });
              if (!written) {
                return std::unexpected(written.error());
              }
              return jsonReply(created, 201);
            })
          .needs(Permission::SiteConfigure)
          .jsonBody());

  core.add(route("GET", "/api/v1/gateways", Access::Staff, "site", "Every gateway",
                 [&core](Request&) -> Result {
                   Json items = Json::array();
                   auto read = readStore(
                       core.store(),
                       [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
                         PREPAID_TRY_STORE(gateways, tx.gateways().gateways());
                         for (const auto& gateway : *gateways) {
                           items.push_back(gatewayJson(gateway));
                         }
                         return {};
                       });
                   if (!read) {
                     return std::unexpected(read.error());
                   }
                   return jsonReply(Json{{"gateways", items}});
                 })
               .needs(Permission::AccountsRead));

  core.add(
      route("POST", "/api/v1/gateways", Access::Staff, "site",
            "Add a gateway {name, transport_uri, timings…}",
            [&core](Request& request) -> Result {
              api::FieldReader fields(request.body);
              PREPAID_TRY(known, fields.onlyKnown({"name", "transport_uri", "response_timeout_ms",
                                                   "byte_timeout_ms", "inter_request_delay_ms",
                                                   "retries", "enabled"}));
              store::Gateway gateway;
              PREPAID_TRY(name, fields.requiredString("name", api::LengthRange{1, 64}));
              PREPAID_TRY(uri, fields.requiredString("transport_uri", api::LengthRange{1, 256}));
              PREPAID_TRY(response,
                          fields.optionalInt("response_timeout_ms", api::IntRange{1, 60000}));
              PREPAID_TRY(byteTimeout,
                          fields.optionalInt("byte_timeout_ms", api::IntRange{1, 10000}));
              PREPAID_TRY(delay,
                          fields.optionalInt("inter_request_delay_ms", api::IntRange{0, 10000}));
              PREPAID_TRY(retries, fields.optionalInt("retries", api::IntRange{0, 10}));
              PREPAID_TRY(enabled, fields.optionalBool("enabled"));
              gateway.name = *name;
              gateway.transportUri = *uri;
              gateway.responseTimeoutMs = response->value_or(gateway.responseTimeoutMs);
              gateway.byteTimeoutMs = byteTimeout->value_or(gateway.byteTimeoutMs);
              gateway.interRequestDelayMs = delay->value_or(gateway.interRequestDelayMs);
              gateway.retries = retries->value_or(gateway.retries);
              gateway.enabled = enabled->value_or(true) ? store::GatewayEnabled::Enabled
                                                        : store::GatewayEnabled::Disabled;
              Json created;
              auto written = writeStore(
                  core.store(), [&](store::WriteTransaction& tx) -> std::expected<void, ApiError> {
                    PREPAID_TRY_STORE(added, tx.gateways().add(gateway));
                    created = gatewayJson(*added);
                    PREPAID_TRY_STORE(audited, core.audit(tx, request, "gateway.create",
                                                          "gateway:" + std::to_string(added->id),
                                                          nullptr, created));
                    return {};
                  });
              if (!written) {
                return std::unexpected(written.error());
              }
              return jsonReply(created, 201);
            })
          .needs(Permission::SiteConfigure)
          .jsonBody());

  core.add(route("GET", "/api/v1/meters", Access::Staff, "site", "Every meter (configuration)",
                 [&core](Request&) -> Result {
                   Json items = Json::array();
                   auto read = readStore(
                       core.store(),
                       [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
                         PREPAID_TRY_STORE(meters, tx.meters().meters());
                         for (const auto& meter : *meters) {
                           items.push_back(meterJson(meter));
                         }
                         return {};
                       });
                   if (!read) {
                     return std::unexpected(read.error());
                   }
                   return jsonReply(Json{{"meters", items}});
                 })
               .needs(Permission::AccountsRead));

  core.add(route("GET", "/api/v1/meters/{meter_id}", Access::Staff, "site", "One meter",
                 [&core](Request& request) -> Result {
                   PREPAID_TRY(meterId, pathId(request, "meter_id"));
                   Json meter;
                   auto read = readStore(
                       core.store(),
                       [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
                         auto found = tx.meters().meter(*meterId);
                         if (!found) {
                           return std::unexpected(
                               found.error().code == store::StoreErrorCode::NotFound
                                   ? apiError(ErrorCode::UnknownMeter, "no such meter")
                                   : fromStore(found.error()));
                         }
                         meter = meterJson(*found);
                         PREPAID_TRY_STORE(balance, tx.ledger().balanceFen(*meterId));
                         meter["balance_fen"] = *balance;
                         return {};
                       });
                   if (!read) {
                     return std::unexpected(read.error());
                   }
                   return jsonReply(meter);
                 })
               .needs(Permission::AccountsRead));

  core.add(route("POST", "/api/v1/meters", Access::Staff, "site", "Add one meter",
                 [&core](Request& request) -> Result {
                   api::FieldReader fields(request.body);
                   PREPAID_TRY(meter, meterFromJson(fields));
                   PREPAID_TRY(profileKnown, checkProfile(core, meter->profile));
                   Json created;
                   auto written = writeStore(
                       core.store(),
                       [&](store::WriteTransaction& tx) -> std::expected<void, ApiError> {
                         PREPAID_TRY(references, checkMeterReferences(tx, *meter));
                         PREPAID_TRY_STORE(added, tx.meters().add(*meter));
                         created = meterJson(*added);
                         PREPAID_TRY_STORE(audited, core.audit(tx, request, "meter.create",
                                                               "meter:" + std::to_string(added->id),
                                                               nullptr, created));
                         return {};
                       });
                   if (!written) {
                     return std::unexpected(written.error());
                   }
                   return jsonReply(created, 201);
                 })
               .needs(Permission::SiteConfigure)
               .jsonBody());

  core.add(
      route(
          "POST", "/api/v1/meters/import", Access::Staff, "site",
          "Batch import meters from CSV (header row: serial,profile,unit_address,gateway,"
          "shop_number,medium,billing_mode,alarm1_fen,alarm2_fen,overload_threshold_w,"
          "trip_policy); all rows or none, with a per-row error report",
          [&core](Request& request) -> Result {
            Json errors = Json::array();
            auto rowError = [&](std::int64_t row, std::string_view column,
                                const std::string& message) {
              errors.push_back({{"row", row}, {"column", column}, {"message", message}});
            };
            // One pass inside one write transaction: each row's syntax and its references
            // (gateway, shop, serial taken, serial twice in the file) are checked together, so
            // the report lists every problem of every row at once; any problem rolls the
            // whole file back.
            std::int64_t imported = 0;
            auto written = writeStore(
                core.store(), [&](store::WriteTransaction& tx) -> std::expected<void, ApiError> {
                  errors = Json::array();  // in case the store runs this again
                  imported = 0;
                  PREPAID_TRY_STORE(gateways, tx.gateways().gateways());
                  std::istringstream stream(request.raw.body);
                  std::string line;
                  std::int64_t lineNumber = 0;
                  std::int64_t rowCount = 0;
                  std::vector<std::size_t> columnIndex(CsvColumns.size(), SIZE_MAX);
                  bool header = true;
                  std::set<std::string> serials;
                  while (std::getline(stream, line)) {
                    ++lineNumber;
                    if (!line.empty() && line.back() == '\r') {
                      line.pop_back();
                    }
                    if (lineNumber == 1 && line.starts_with("\xEF\xBB\xBF")) {
                      line.erase(0, 3);  // Excel's UTF-8 BOM
                    }
                    if (line.empty()) {
                      continue;
                    }
                    bool ok = true;
                    auto cells = splitCsvLine(line, ok);
                    if (!ok) {
                      rowError(lineNumber, "", "unterminated quoted field");
                      continue;
                    }
                    if (header) {
                      header = false;
                      for (std::size_t i = 0; i < cells.size(); ++i) {
                        const auto it = std::ranges::find(CsvColumns, std::string_view(cells[i]));
                        if (it == CsvColumns.end()) {
                          rowError(lineNumber, cells[i], "unknown column");
                        } else {
                          columnIndex[static_cast<std::size_t>(it - CsvColumns.begin())] = i;
                        }
                      }
                      for (std::size_t c = 0; c < 4; ++c) {
                        if (columnIndex[c] == SIZE_MAX) {
                          rowError(lineNumber, CsvColumns[c], "required column missing");
                        }
                      }
                      if (!errors.empty()) {
                        break;  // rows cannot be read without a good header
                      }
                      continue;
                    }
                    if (++rowCount > 5000) {
                      rowError(lineNumber, "", "at most 5000 meters per import");
                      break;
                    }
                    // Each row becomes the JSON a single create takes, so both paths validate
                    // identically.
                    Json object = Json::object();
                    MeterInput input;
                    bool rowOk = true;
                    for (std::size_t c = 0; c < CsvColumns.size(); ++c) {
                      if (columnIndex[c] == SIZE_MAX || columnIndex[c] >= cells.size() ||
                          cells[columnIndex[c]].empty()) {
                        continue;
                      }
                      const auto& cell = cells[columnIndex[c]];
                      const auto column = CsvColumns[c];
                      if (column == "gateway") {
                        input.gatewayName = cell;
                      } else if (column == "shop_number") {
                        input.shopNumber = cell;
                      } else if (column == "unit_address" || column.ends_with("_fen") ||
                                 column.ends_with("_w")) {
                        std::int64_t number = 0;
                        const auto [ptr, ec] =
                            std::from_chars(cell.data(), cell.data() + cell.size(), number);
                        if (ec != std::errc{} || ptr != cell.data() + cell.size()) {
                          rowError(lineNumber, column, "must be an integer");
                          rowOk = false;
                        } else {
                          object[std::string(column)] = number;
                        }
                      } else {
                        object[std::string(column)] = cell;
                      }
                    }
                    std::optional<store::Meter> meter;
                    if (rowOk) {
                      object["gateway_id"] = 1;  // placeholder; resolved by name below
                      api::FieldReader fields(object);
                      auto parsed = meterFromJson(fields);
                      if (parsed) {
                        meter = *parsed;
                        if (auto profileKnown = checkProfile(core, meter->profile); !profileKnown) {
                          rowError(lineNumber, "profile", profileKnown.error().message);
                          rowOk = false;
                        }
                      } else {
                        rowError(lineNumber, "", parsed.error().message);
                        rowOk = false;
                      }
                    }
                    // References, also for a row whose other cells are wrong.
                    std::optional<store::GatewayId> gatewayId;
                    if (input.gatewayName.empty()) {
                      rowError(lineNumber, "gateway", "required");
                      rowOk = false;
                    } else {
                      const auto gateway = std::ranges::find_if(
                          *gateways, [&](const auto& g) { return g.name == input.gatewayName; });
                      if (gateway == gateways->end()) {
                        rowError(lineNumber, "gateway",
                                 "no gateway named '" + input.gatewayName + "'");
                        rowOk = false;
                      } else {
                        gatewayId = gateway->id;
                      }
                    }
                    std::optional<store::ShopId> shopId;
                    if (!input.shopNumber.empty()) {
                      auto shop = tx.buildings().shopByNumber(input.shopNumber);
                      if (shop) {
                        shopId = shop->id;
                      } else if (shop.error().code == store::StoreErrorCode::NotFound) {
                        rowError(lineNumber, "shop_number", "no shop '" + input.shopNumber + "'");
                        rowOk = false;
                      } else {
                        return std::unexpected(fromStore(shop.error()));
                      }
                    }
                    const auto serial = object.value("serial", std::string());
                    if (!serial.empty() && !serials.insert(serial).second) {
                      rowError(lineNumber, "serial",
                               "serial '" + serial + "' appears twice in the file");
                      rowOk = false;
                    }
                    if (!rowOk || !meter) {
                      continue;
                    }
                    meter->gatewayId = *gatewayId;
                    meter->shopId = shopId;
                    auto added = tx.meters().add(*meter);
                    if (!added) {
                      const bool duplicate = added.error().code == store::StoreErrorCode::Duplicate;
                      rowError(lineNumber, duplicate ? "serial" : "",
                               duplicate ? "serial '" + meter->serial + "' exists already"
                                         : added.error().message);
                      continue;
                    }
                    ++imported;
                  }
                  if (header && errors.empty()) {
                    rowError(0, "", "the file is empty (a header row is required)");
                  }
                  if (!errors.empty()) {
                    // Nothing half-imported: any bad row rolls the whole file back.
                    return std::unexpected(apiError(ErrorCode::InvalidCsv, "import refused"));
                  }
                  PREPAID_TRY_STORE(audited, core.audit(tx, request, "meter.import", "meters",
                                                        nullptr, Json{{"imported", imported}}));
                  return {};
                });
            if (!written && written.error().code != ErrorCode::InvalidCsv) {
              return std::unexpected(written.error());
            }
            if (!errors.empty()) {
              ApiError error =
                  apiError(ErrorCode::InvalidCsv,
                           std::to_string(errors.size()) + " row error(s); nothing was imported");
              error.details = Json{{"rows", errors}};
              return std::unexpected(error);
            }
            return jsonReply(Json{{"imported", imported}}, 201);
          })
          .needs(Permission::SiteConfigure)
          .csvBody());

  // [SECTION] configuration edits: PATCH a shop, gateway or meter (audited before/after).

  core.add(
      route("PATCH", "/api/v1/shops/{shop_id}", Access::Staff, "site",
            "Edit a shop {number?, floor_id? (move), area_centi_m2?, head_count?}",
            [&core](Request& request) -> Result {
              PREPAID_TRY(shopId, pathId(request, "shop_id"));
              api::FieldReader fields(request.body);
              PREPAID_TRY(known,
                          fields.onlyKnown({"floor_id", "number", "area_centi_m2", "head_count"}));
              PREPAID_TRY(floorId, fields.optionalInt("floor_id", api::IntRange{1, MaxId}));
              PREPAID_TRY(number, fields.optionalString("number", api::LengthRange{1, 32}));
              PREPAID_TRY(area,
                          fields.optionalInt("area_centi_m2", api::IntRange{0, 10'000'000'000}));
              PREPAID_TRY(heads, fields.optionalInt("head_count", api::IntRange{0, 100'000}));
              Json after;
              auto written = writeStore(
                  core.store(), [&](store::WriteTransaction& tx) -> std::expected<void, ApiError> {
                    auto before = tx.buildings().shop(*shopId);
                    if (!before) {
                      return std::unexpected(
                          before.error().code == store::StoreErrorCode::NotFound
                              ? apiError(ErrorCode::NotFound, "no shop " + std::to_string(*shopId))
                              : fromStore(before.error()));
                    }
                    auto shop = *before;
                    shop.floorId = floorId->value_or(shop.floorId);
                    shop.number = number->value_or(shop.number);
                    shop.areaCentiM2 = area->value_or(shop.areaCentiM2);
                    shop.headCount = heads->value_or(shop.headCount);
                    if (auto updated = tx.buildings().updateShop(shop); !updated) {
                      if (updated.error().code == store::StoreErrorCode::Constraint) {
                        return std::unexpected(
                            apiError(ErrorCode::InvalidField, "field 'floor_id' names no floor"));
                      }
                      if (updated.error().code == store::StoreErrorCode::Duplicate) {
                        return std::unexpected(apiError(
                            ErrorCode::Conflict, "shop number '" + shop.number + "' is taken"));
                      }
                      return std::unexpected(fromStore(updated.error()));
                    }
                    after = shopJson(shop);
                    PREPAID_TRY_STORE(audited, core.audit(tx, request, "shop.update",
                                                          "shop:" + std::to_string(shop.id),
                                                          shopJson(*before), after));
                    return {};
                  });
              if (!written) {
                return std::unexpected(written.error());
              }
              return jsonReply(after);
            })
          .needs(Permission::SiteConfigure)
          .jsonBody());

  core.add(
      route("PATCH", "/api/v1/gateways/{gateway_id}", Access::Staff, "site",
            "Edit a gateway {name?, transport_uri?, timings?, enabled?}",
            [&core](Request& request) -> Result {
              PREPAID_TRY(gatewayId, pathId(request, "gateway_id"));
              api::FieldReader fields(request.body);
              PREPAID_TRY(known, fields.onlyKnown({"name", "transport_uri", "response_timeout_ms",
                                                   "byte_timeout_ms", "inter_request_delay_ms",
                                                   "retries", "enabled"}));
              PREPAID_TRY(name, fields.optionalString("name", api::LengthRange{1, 64}));
              PREPAID_TRY(uri, fields.optionalString("transport_uri", api::LengthRange{1, 256}));
              PREPAID_TRY(response,
                          fields.optionalInt("response_timeout_ms", api::IntRange{1, 60000}));
              PREPAID_TRY(byteTimeout,
                          fields.optionalInt("byte_timeout_ms", api::IntRange{1, 10000}));
              PREPAID_TRY(delay,
                          fields.optionalInt("inter_request_delay_ms", api::IntRange{0, 10000}));
              PREPAID_TRY(retries, fields.optionalInt("retries", api::IntRange{0, 10}));
              PREPAID_TRY(enabled, fields.optionalBool("enabled"));
              Json after;
              auto written = writeStore(
                  core.store(), [&](store::WriteTransaction& tx) -> std::expected<void, ApiError> {
                    auto before = tx.gateways().gateway(*gatewayId);
                    if (!before) {
                      return std::unexpected(
                          before.error().code == store::StoreErrorCode::NotFound
                              ? apiError(ErrorCode::NotFound,
                                         "no gateway " + std::to_string(*gatewayId))
                              : fromStore(before.error()));
                    }
                    auto gateway = *before;
                    gateway.name = name->value_or(gateway.name);
                    gateway.transportUri = uri->value_or(gateway.transportUri);
                    gateway.responseTimeoutMs = response->value_or(gateway.responseTimeoutMs);
                    gateway.byteTimeoutMs = byteTimeout->value_or(gateway.byteTimeoutMs);
                    gateway.interRequestDelayMs = delay->value_or(gateway.interRequestDelayMs);
                    gateway.retries = retries->value_or(gateway.retries);
                    if (*enabled) {
                      gateway.enabled = **enabled ? store::GatewayEnabled::Enabled
                                                  : store::GatewayEnabled::Disabled;
                    }
                    if (auto updated = tx.gateways().update(gateway); !updated) {
                      if (updated.error().code == store::StoreErrorCode::Duplicate) {
                        return std::unexpected(apiError(
                            ErrorCode::Conflict, "gateway name '" + gateway.name + "' is taken"));
                      }
                      return std::unexpected(fromStore(updated.error()));
                    }
                    after = gatewayJson(gateway);
                    PREPAID_TRY_STORE(audited, core.audit(tx, request, "gateway.update",
                                                          "gateway:" + std::to_string(gateway.id),
                                                          gatewayJson(*before), after));
                    return {};
                  });
              if (!written) {
                return std::unexpected(written.error());
              }
              return jsonReply(after);
            })
          .needs(Permission::SiteConfigure)
          .jsonBody());

  core.add(
      route(
          "PATCH", "/api/v1/meters/{meter_id}", Access::Staff, "site",
          "Edit a meter's configuration {serial? (rename), profile?, gateway_id?, "
          "unit_address? (move on the buses), shop_id? (null: no shop), tariff_id?, alarm1_fen?, "
          "alarm2_fen?, overload_threshold_w?, trip_policy?}; billing mode and state are not "
          "edited here",
          [&core](Request& request) -> Result {
            PREPAID_TRY(meterId, pathId(request, "meter_id"));
            api::FieldReader fields(request.body);
            PREPAID_TRY(known, fields.onlyKnown({"serial", "profile", "unit_address", "gateway_id",
                                                 "shop_id", "tariff_id", "alarm1_fen", "alarm2_fen",
                                                 "overload_threshold_w", "trip_policy"}));
            PREPAID_TRY(serial, fields.optionalString("serial", api::LengthRange{1, 32}));
            PREPAID_TRY(profile, fields.optionalString("profile", api::LengthRange{1, 64}));
            PREPAID_TRY(unit, fields.optionalInt("unit_address", api::IntRange{1, 247}));
            PREPAID_TRY(gateway, fields.optionalInt("gateway_id", api::IntRange{1, MaxId}));
            PREPAID_TRY(tariff, fields.optionalInt("tariff_id", api::IntRange{1, MaxId}));
            PREPAID_TRY(alarm1, fields.optionalInt("alarm1_fen", api::IntRange{1, 100'000'000}));
            PREPAID_TRY(alarm2, fields.optionalInt("alarm2_fen", api::IntRange{1, 100'000'000}));
            PREPAID_TRY(overload,
                        fields.optionalInt("overload_threshold_w", api::IntRange{1, 10'000'000}));
            PREPAID_TRY(trip,
                        fields.optionalEnum("trip_policy", {"immediate", "never", "delayed"}));
            // shop_id may be null (the meter leaves its shop).
            std::optional<std::optional<std::int64_t>> shop;
            if (request.body.contains("shop_id") && request.body["shop_id"].is_null()) {
              shop.emplace(std::nullopt);
            } else {
              PREPAID_TRY(shopId, fields.optionalInt("shop_id", api::IntRange{1, MaxId}));
              if (*shopId) {
                shop.emplace(**shopId);
              }
            }
            if (*profile) {
              PREPAID_TRY(profileKnown, checkProfile(core, **profile));
            }
            Json after;
            auto written = writeStore(
                core.store(), [&](store::WriteTransaction& tx) -> std::expected<void, ApiError> {
                  auto before = tx.meters().meter(*meterId);
                  if (!before) {
                    return std::unexpected(before.error().code == store::StoreErrorCode::NotFound
                                               ? apiError(ErrorCode::UnknownMeter,
                                                          "no meter " + std::to_string(*meterId))
                                               : fromStore(before.error()));
                  }
                  auto meter = *before;
                  meter.serial = serial->value_or(meter.serial);
                  meter.profile = profile->value_or(meter.profile);
                  meter.unitAddress = unit->value_or(meter.unitAddress);
                  meter.gatewayId = gateway->value_or(meter.gatewayId);
                  if (shop) {
                    meter.shopId = *shop;
                  }
                  if (*tariff) {
                    meter.tariffId = **tariff;
                  }
                  if (*alarm1) {
                    meter.alarm1Fen = **alarm1;
                  }
                  if (*alarm2) {
                    meter.alarm2Fen = **alarm2;
                  }
                  if (*overload) {
                    meter.overloadThresholdW = **overload;
                  }
                  if (*trip) {
                    meter.tripPolicy.kind = *domain::parseTripPolicyKind(**trip);
                  }
                  if (meter.alarm1Fen && meter.alarm2Fen && *meter.alarm2Fen >= *meter.alarm1Fen) {
                    return std::unexpected(apiError(
                        ErrorCode::InvalidField, "field 'alarm2_fen' must be below 'alarm1_fen'"));
                  }
                  PREPAID_TRY(references, checkMeterReferences(tx, meter));
                  PREPAID_TRY(address, checkBusAddress(tx, meter));
                  if (auto updated = tx.meters().update(meter); !updated) {
                    if (updated.error().code == store::StoreErrorCode::Duplicate) {
                      return std::unexpected(
                          apiError(ErrorCode::Conflict, "serial '" + meter.serial + "' is taken"));
                    }
                    return std::unexpected(fromStore(updated.error()));
                  }
                  after = meterJson(meter);
                  PREPAID_TRY_STORE(audited, core.audit(tx, request, "meter.update",
                                                        "meter:" + std::to_string(meter.id),
                                                        meterJson(*before), after));
                  return {};
                });
            if (!written) {
              return std::unexpected(written.error());
            }
            return jsonReply(after);
          })
          .needs(Permission::SiteConfigure)
          .jsonBody());

  core.add(route("GET", "/api/v1/settings", Access::Staff, "site", "Site defaults",
                 [&core](Request&) -> Result {
                   Json settings;
                   auto read = readStore(
                       core.store(),
                       [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
                         PREPAID_TRY_STORE(found, tx.site().settings());
                         settings = settingsJson(*found);
                         return {};
                       });
                   if (!read) {
                     return std::unexpected(read.error());
                   }
                   return jsonReply(settings);
                 })
               .needs(Permission::AccountsRead));

  core.add(
      route(
          "PATCH", "/api/v1/settings", Access::Staff, "site",
          "Change site defaults (any subset of the fields of GET /settings)",
          [&core](Request& request) -> Result {
            api::FieldReader fields(request.body);
            PREPAID_TRY(known, fields.onlyKnown(
                                   {"overload_threshold_w", "collection_interval_s", "alarm1_fen",
                                    "alarm2_fen", "default_unit_price_micro_yuan",
                                    "hoarding_cap_fen", "close_allowed_fen", "alarm_sms_number",
                                    "pin_required", "lost_contact_failures", "default_tariff_id",
                                    "order_min_fen", "order_max_fen"}));
            PREPAID_TRY(overload,
                        fields.optionalInt("overload_threshold_w", api::IntRange{1, 10'000'000}));
            PREPAID_TRY(interval,
                        fields.optionalInt("collection_interval_s", api::IntRange{1, 86400}));
            PREPAID_TRY(alarm1, fields.optionalInt("alarm1_fen", api::IntRange{0, 100'000'000}));
            PREPAID_TRY(alarm2, fields.optionalInt("alarm2_fen", api::IntRange{0, 100'000'000}));
            PREPAID_TRY(price, fields.optionalInt("default_unit_price_micro_yuan",
                                                  api::IntRange{0, 1'000'000'000}));
            PREPAID_TRY(cap,
                        fields.optionalInt("hoarding_cap_fen", api::IntRange{1, 1'000'000'000}));
            PREPAID_TRY(orderMin,
                        fields.optionalInt("order_min_fen", api::IntRange{1, 1'000'000'000}));
            PREPAID_TRY(orderMax,
                        fields.optionalInt("order_max_fen", api::IntRange{1, 1'000'000'000}));
            PREPAID_TRY(closeAllowed,
                        fields.optionalInt("close_allowed_fen", api::IntRange{0, 100'000'000}));
            PREPAID_TRY(sms, fields.optionalString("alarm_sms_number", api::LengthRange{0, 20}));
            PREPAID_TRY(pin, fields.optionalBool("pin_required"));
            PREPAID_TRY(lostAfter,
                        fields.optionalInt("lost_contact_failures", api::IntRange{1, 100}));
            // default_tariff_id: a tariff id, or null to fall back to the default unit price.
            const bool clearDefaultTariff = request.body.contains("default_tariff_id") &&
                                            request.body["default_tariff_id"].is_null();
            PREPAID_TRY(defaultTariff,
                        fields.optionalInt("default_tariff_id", api::IntRange{1, MaxId}));
            Json after;
            auto written = writeStore(
                core.store(), [&](store::WriteTransaction& tx) -> std::expected<void, ApiError> {
                  PREPAID_TRY_STORE(before, tx.site().settings());
                  auto settings = *before;
                  settings.overloadThresholdW = overload->value_or(settings.overloadThresholdW);
                  settings.collectionIntervalS = interval->value_or(settings.collectionIntervalS);
                  settings.alarm1Fen = alarm1->value_or(settings.alarm1Fen);
                  settings.alarm2Fen = alarm2->value_or(settings.alarm2Fen);
                  settings.defaultUnitPriceMicroYuan =
                      price->value_or(settings.defaultUnitPriceMicroYuan);
                  settings.hoardingCapFen = cap->value_or(settings.hoardingCapFen);
                  settings.closeAllowedFen = closeAllowed->value_or(settings.closeAllowedFen);
                  settings.orderMinFen = orderMin->value_or(settings.orderMinFen);
                  settings.orderMaxFen = orderMax->value_or(settings.orderMaxFen);
                  settings.alarmSmsNumber = sms->value_or(settings.alarmSmsNumber);
                  if (*pin) {
                    settings.pinPolicy =
                        **pin ? store::PinPolicy::Required : store::PinPolicy::NotRequired;
                  }
                  settings.lostContactFailures = lostAfter->value_or(settings.lostContactFailures);
                  if (*defaultTariff) {
                    if (!tx.tariffs().tariff(**defaultTariff)) {
                      return std::unexpected(apiError(ErrorCode::InvalidField,
                                                      "field 'default_tariff_id' names no tariff"));
                    }
                    settings.defaultTariffId = **defaultTariff;
                  } else if (clearDefaultTariff) {
                    settings.defaultTariffId.reset();
                  }
                  if (settings.alarm2Fen > settings.alarm1Fen) {
                    return std::unexpected(
                        apiError(ErrorCode::InvalidField,
                                 "field 'alarm2_fen' must not be above 'alarm1_fen'"));
                  }
                  if (settings.orderMaxFen < settings.orderMinFen) {
                    return std::unexpected(
                        apiError(ErrorCode::InvalidField,
                                 "field 'order_max_fen' must not be below 'order_min_fen'"));
                  }
                  PREPAID_TRY_STORE(updated, tx.site().updateSettings(settings));
                  after = settingsJson(settings);
                  PREPAID_TRY_STORE(audited, core.audit(tx, request, "settings.update", "settings",
                                                        settingsJson(*before), after));
                  return {};
                });
            if (!written) {
              return std::unexpected(written.error());
            }
            return jsonReply(after);
          })
          .needs(Permission::SiteConfigure)
          .jsonBody());
}

}  // namespace prepaid::backend::http
