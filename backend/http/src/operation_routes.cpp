// Operations: meter status list with colours, reading history, realtime alarms, batch commands.

#include "meter_views.hpp"
#include "server_core.hpp"

#include "prepaid/api/json_fields.hpp"
#include "prepaid/api/time_format.hpp"
#include "prepaid/collect/command_payload.hpp"
#include "prepaid/domain/tariff_codec.hpp"
#include "prepaid/http/command_dispatcher.hpp"

namespace prepaid::backend::http {

namespace {

Json alarmJson(const store::Alarm& alarm, const domain::SiteTimeZone& zone) {
  return {{"alarm_id", alarm.id},
          {"meter_id", alarm.subject.meterId ? Json(*alarm.subject.meterId) : Json(nullptr)},
          {"gateway_id", alarm.subject.gatewayId ? Json(*alarm.subject.gatewayId) : Json(nullptr)},
          {"kind", store::toString(alarm.kind)},
          {"raised_at", api::formatRfc3339(alarm.raisedAt, zone)},
          {"cleared_at",
           alarm.clearedAt ? Json(api::formatRfc3339(*alarm.clearedAt, zone)) : Json(nullptr)},
          {"detail", alarm.detail}};
}

bool validBatchId(const std::string& id) {
  return !id.empty() && id.size() <= 64 && std::ranges::all_of(id, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == ':';
  });
}

// What a price dispatch (电价下发) sends to one meter: the unit price of each rate of the meter's
// tariff (or the site's default tariff) in force now. A meter holds one price per rate and no
// tiers, so a tiered tariff sends its first tier (step price, or rate price + first surcharge);
// a flat tariff sends its price for every rate. Without a tariff, the site's default unit price.
struct PriceDispatch {
  std::string payload;
  std::optional<store::TariffId> tariffId;
  Json prices = Json::object();
};

std::expected<PriceDispatch, ApiError> priceDispatchFor(const store::ReadTransaction& tx,
                                                        const store::Meter& meter,
                                                        const store::Settings& settings,
                                                        domain::Instant now) {
  PriceDispatch dispatch;
  collect::PricePayload payload;
  std::optional<domain::Tariff> tariff;
  const auto tariffId = meter.tariffId ? meter.tariffId : settings.defaultTariffId;
  if (tariffId) {
    PREPAID_TRY_STORE(version, tx.tariffs().versionAt(*tariffId, now));
    if (*version) {
      auto decoded = domain::decodeTariff((*version)->definition);
      if (!decoded) {
        return std::unexpected(apiError(
            ErrorCode::Internal, "tariff " + std::to_string(*tariffId) +
                                     " has an unreadable definition: " + decoded.error().message));
      }
      tariff = std::move(*decoded);
      dispatch.tariffId = tariffId;
    }
  }
  if (!tariff) {
    payload.microYuan.fill(settings.defaultUnitPriceMicroYuan);
  } else {
    std::optional<domain::Tier> firstTier;
    if (tariff->tiering && !tariff->tiering->tiers.empty()) {
      firstTier = tariff->tiering->tiers.front();
    }
    const bool stepPrices = firstTier && tariff->tiering->pricing == domain::TierPricing::StepPrice;
    for (const auto rate : domain::AllRates) {
      // A flat tariff costs the same at every rate the meter's own clock may select.
      const auto source = tariff->kind == domain::TariffKind::Flat ? domain::Rate::Flat : rate;
      const auto& price = tariff->prices.at(domain::indexOf(source));
      std::optional<std::int64_t> microYuan;
      if (stepPrices) {
        microYuan = firstTier->price.microYuan();
      } else if (price) {
        microYuan = price->microYuan() + (firstTier ? firstTier->price.microYuan() : 0);
      }
      // A rate the tariff does not price is left out: the meter gets the site default for it.
      payload.microYuan.at(domain::indexOf(rate)) = microYuan;
    }
  }
  for (const auto rate : domain::AllRates) {
    if (const auto& value = payload.microYuan.at(domain::indexOf(rate))) {
      dispatch.prices[std::string(domain::toString(rate))] = *value;
    }
  }
  dispatch.payload = collect::formatPricePayload(payload);
  return dispatch;
}

}  // namespace

void registerOperationRoutes(ServerCore& core) {
  core.add(
      route("GET", "/api/v1/meters/status", Access::Staff, "operations",
            "Status of every meter with its colour (opened, alarm1, alarm2, arrears, "
            "not_opened, lost_contact); filter by building_id or floor_id",
            [&core](Request& request) -> Result {
              PREPAID_TRY(buildingId, queryInt(request, "building_id", 1, INT64_MAX));
              PREPAID_TRY(floorId, queryInt(request, "floor_id", 1, INT64_MAX));
              Json items = Json::array();
              std::map<std::string, std::int64_t> counts;
              auto read = readStore(
                  core.store(),
                  [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
                    PREPAID_TRY_STORE(settings, tx.site().settings());
                    PREPAID_TRY_STORE(site, tx.site().site());
                    PREPAID_TRY_STORE(shops, tx.buildings().shops(std::nullopt));
                    std::map<store::ShopId, store::Shop> shopById;
                    for (const auto& shop : *shops) {
                      shopById[shop.id] = shop;
                    }
                    std::set<store::FloorId> floorsOfBuilding;
                    if (*buildingId) {
                      PREPAID_TRY_STORE(floors, tx.buildings().floors(**buildingId));
                      for (const auto& floor : *floors) {
                        floorsOfBuilding.insert(floor.id);
                      }
                    }
                    PREPAID_TRY_STORE(meters, tx.meters().meters());
                    const auto now = core.now();
                    for (const auto& meter : *meters) {
                      if (meter.replacedBy) {
                        continue;
                      }
                      std::optional<store::Shop> shop;
                      if (meter.shopId && shopById.contains(*meter.shopId)) {
                        shop = shopById[*meter.shopId];
                      }
                      if (*floorId && (!shop || shop->floorId != **floorId)) {
                        continue;
                      }
                      if (*buildingId && (!shop || !floorsOfBuilding.contains(shop->floorId))) {
                        continue;
                      }
                      PREPAID_TRY(facts, meterFacts(tx, meter, *settings, site->timeZone, now,
                                                    WithDaysLeft::No));
                      const auto colour = api::toString(facts->colour);
                      ++counts[std::string(colour)];
                      items.push_back(
                          {{"meter_id", meter.id},
                           {"serial", meter.serial},
                           {"shop_number", shop ? Json(shop->number) : Json(nullptr)},
                           {"colour", colour},
                           {"colour_hex", api::colourHex(facts->colour)},
                           {"status", api::toString(facts->status)},
                           {"balance_fen", facts->balanceFen},
                           {"relay", facts->latest && facts->latest->relay
                                         ? Json(domain::toString(*facts->latest->relay))
                                         : Json("unknown")},
                           {"last_reading_at",
                            facts->latest
                                ? Json(api::formatRfc3339(facts->latest->readAt, site->timeZone))
                                : Json(nullptr)},
                           {"keep_power", meter.keepPower == store::KeepPower::On},
                           {"sales_blocked", meter.salesBlock == store::SalesBlock::Blocked}});
                    }
                    return {};
                  });
              if (!read) {
                return std::unexpected(read.error());
              }
              return jsonReply(Json{{"meters", items}, {"counts", counts}});
            })
          .needs(Permission::AccountsRead));

  core.add(
      route("GET", "/api/v1/meters/{meter_id}/readings", Access::Staff, "operations",
            "Reading history of a meter (from?, to?, limit? <= 5000; default last 7 days)",
            [&core](Request& request) -> Result {
              PREPAID_TRY(meterId, pathId(request, "meter_id"));
              PREPAID_TRY(from, queryTime(request, "from"));
              PREPAID_TRY(to, queryTime(request, "to"));
              PREPAID_TRY(limit, queryInt(request, "limit", 1, 5000));
              const auto now = core.now();
              Json items = Json::array();
              auto read = readStore(
                  core.store(),
                  [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
                    if (!tx.meters().meter(*meterId)) {
                      return std::unexpected(apiError(ErrorCode::UnknownMeter, "no such meter"));
                    }
                    PREPAID_TRY_STORE(site, tx.site().site());
                    PREPAID_TRY_STORE(
                        readings,
                        tx.readings().readings(*meterId, from->value_or(now - std::chrono::days(7)),
                                               to->value_or(now + std::chrono::seconds(1)),
                                               limit->value_or(1000)));
                    for (const auto& reading : *readings) {
                      items.push_back(
                          {{"read_at", api::formatRfc3339(reading.readAt, site->timeZone)},
                           {"energy_total_centi_kwh", reading.energyTotalCentiKwh},
                           {"energy_by_rate_centi_kwh", reading.energyByRateCentiKwh},
                           {"voltage_deci_v",
                            reading.voltageDeciV ? Json(*reading.voltageDeciV) : Json(nullptr)},
                           {"current_milli_a",
                            reading.currentMilliA ? Json(*reading.currentMilliA) : Json(nullptr)},
                           {"power_w", reading.powerW ? Json(*reading.powerW) : Json(nullptr)},
                           {"balance_fen",
                            reading.balanceFen ? Json(*reading.balanceFen) : Json(nullptr)},
                           {"purchase_count",
                            reading.purchaseCount ? Json(*reading.purchaseCount) : Json(nullptr)},
                           {"relay", reading.relay ? Json(domain::toString(*reading.relay))
                                                   : Json(nullptr)}});
                    }
                    return {};
                  });
              if (!read) {
                return std::unexpected(read.error());
              }
              return jsonReply(Json{{"meter_id", *meterId}, {"readings", items}});
            })
          .needs(Permission::AccountsRead));

  core.add(route("GET", "/api/v1/alarms", Access::Staff, "operations",
                 "Realtime alarms (open now); with from/to: alarm history",
                 [&core](Request& request) -> Result {
                   PREPAID_TRY(from, queryTime(request, "from"));
                   PREPAID_TRY(to, queryTime(request, "to"));
                   Json items = Json::array();
                   auto read = readStore(
                       core.store(),
                       [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
                         PREPAID_TRY_STORE(site, tx.site().site());
                         std::vector<store::Alarm> alarms;
                         if (*from || *to) {
                           PREPAID_TRY_STORE(
                               history,
                               tx.alarms().history(
                                   from->value_or(domain::Instant{}),
                                   to->value_or(core.now() + std::chrono::seconds(1)), 5000));
                           alarms = std::move(*history);
                         } else {
                           PREPAID_TRY_STORE(open, tx.alarms().openAlarms());
                           alarms = std::move(*open);
                         }
                         for (const auto& alarm : alarms) {
                           items.push_back(alarmJson(alarm, site->timeZone));
                         }
                         return {};
                       });
                   if (!read) {
                     return std::unexpected(read.error());
                   }
                   return jsonReply(Json{{"alarms", items}});
                 })
               .needs(Permission::ReportsRead));

  core.add(
      route(
          "POST", "/api/v1/commands", Access::Staff, "operations",
          "Batch command {kind: price|settings|keep_power|resume_prepaid|trip|close|"
          "read_now, meter_ids[1..500], tariff_id? (price: assign this tariff first)} with a "
          "result per meter; price sends the prices of each meter's tariff in force now",
          [&core](Request& request) -> Result {
            api::FieldReader fields(request.body);
            PREPAID_TRY(known, fields.onlyKnown({"kind", "meter_ids", "tariff_id"}));
            PREPAID_TRY(kindName, fields.requiredEnum(
                                      "kind", {"price", "settings", "keep_power", "resume_prepaid",
                                               "trip", "close", "read_now"}));
            PREPAID_TRY(meterIds, fields.requiredIntArray("meter_ids", api::IntRange{1, 500},
                                                          api::IntRange{1, INT64_MAX}));
            PREPAID_TRY(tariffId, fields.optionalInt("tariff_id", api::IntRange{1, INT64_MAX}));
            if (*tariffId && *kindName != "price") {
              return std::unexpected(apiError(ErrorCode::InvalidField,
                                              "field 'tariff_id' goes only with kind 'price'"));
            }
            std::set<std::int64_t> distinct(meterIds->begin(), meterIds->end());
            if (distinct.size() != meterIds->size()) {
              return std::unexpected(
                  apiError(ErrorCode::InvalidField, "field 'meter_ids' lists a meter twice"));
            }
            if (core.services().commands == nullptr) {
              return std::unexpected(
                  apiError(ErrorCode::Unavailable, "the collection service is not running"));
            }
            BatchCommandRequest batch;
            batch.kind = *parseBatchCommandKind(*kindName);
            batch.meters = *meterIds;
            batch.operatorName = request.actor();
            std::map<store::MeterId, PriceDispatch> prices;
            if (*tariffId) {
              // 一表一价: the meters take this tariff first (one transaction, audited with the
              // tariff each had), then its prices are dispatched below. Unknown meters are
              // skipped here and refused in their own row by the dispatcher.
              auto assigned = writeStore(
                  core.store(), [&](store::WriteTransaction& tx) -> std::expected<void, ApiError> {
                    auto tariff = tx.tariffs().tariff(**tariffId);
                    if (!tariff) {
                      if (tariff.error().code == store::StoreErrorCode::NotFound) {
                        return std::unexpected(
                            apiError(ErrorCode::UnknownTariff,
                                     "no tariff with id " + std::to_string(**tariffId)));
                      }
                      return std::unexpected(fromStore(tariff.error()));
                    }
                    Json before = Json::object();
                    Json changed = Json::array();
                    for (const auto id : *meterIds) {
                      auto meter = tx.meters().meter(id);
                      if (!meter || meter->tariffId == **tariffId) {
                        continue;
                      }
                      before[std::to_string(id)] =
                          meter->tariffId ? Json(*meter->tariffId) : Json(nullptr);
                      meter->tariffId = **tariffId;
                      PREPAID_TRY_STORE(updated, tx.meters().update(*meter));
                      changed.push_back(id);
                    }
                    if (!changed.empty()) {
                      PREPAID_TRY_STORE(audited, core.audit(tx, request, "meter.tariff.assign",
                                                            "tariff:" + std::to_string(**tariffId),
                                                            Json{{"tariff_by_meter", before}},
                                                            Json{{"tariff_id", **tariffId},
                                                                 {"meter_ids", changed}}));
                      request.audited = false;  // the batch itself is audited below
                    }
                    return {};
                  });
              if (!assigned) {
                return std::unexpected(assigned.error());
              }
            }
            if (batch.kind == BatchCommandKind::Price) {
              // Prices are taken now, from the tariff in force now; an unknown meter gets no
              // payload and is refused by the dispatcher in its own row.
              auto read =
                  readStore(core.store(),
                            [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
                              PREPAID_TRY_STORE(settings, tx.site().settings());
                              const auto now = core.now();
                              for (const auto id : *meterIds) {
                                auto meter = tx.meters().meter(id);
                                if (!meter) {
                                  continue;
                                }
                                PREPAID_TRY(dispatch, priceDispatchFor(tx, *meter, *settings, now));
                                batch.payloads[id] = dispatch->payload;
                                prices[id] = std::move(*dispatch);
                              }
                              return {};
                            });
              if (!read) {
                return std::unexpected(read.error());
              }
            }
            auto result = core.services().commands->dispatch(batch);
            if (!result) {
              return std::unexpected(apiError(ErrorCode::Unavailable, result.error()));
            }
            Json results = Json::array();
            std::int64_t accepted = 0;
            for (const auto& item : result->results) {
              accepted += item.accepted ? 1 : 0;
              Json row{{"meter_id", item.meterId},
                       {"accepted", item.accepted},
                       {"command_id", item.commandId ? Json(*item.commandId) : Json(nullptr)},
                       {"error_code", item.accepted ? Json(nullptr) : Json(item.errorCode)},
                       {"message", item.message}};
              if (const auto price = prices.find(item.meterId); price != prices.end()) {
                row["tariff_id"] =
                    price->second.tariffId ? Json(*price->second.tariffId) : Json(nullptr);
                row["prices_micro_yuan"] = price->second.prices;
              }
              results.push_back(std::move(row));
            }
            Json body{{"batch_id", result->batchId},
                      {"kind", *kindName},
                      {"accepted", accepted},
                      {"refused", static_cast<std::int64_t>(result->results.size()) - accepted},
                      {"results", results}};
            core.auditAfter(request, "command." + *kindName, "batch:" + result->batchId,
                            Json{{"meter_ids", *meterIds},
                                 {"tariff_id", *tariffId ? Json(**tariffId) : Json(nullptr)}},
                            Json{{"accepted", accepted}, {"results", results}});
            return jsonReply(body, 202);
          })
          .needs(Permission::BatchControl)
          .jsonBody());

  core.add(
      route("GET", "/api/v1/commands/batches/{batch_id}", Access::Staff, "operations",
            "Per-meter progress of a batch (queued, sending, done, failed, outcome_unknown)",
            [&core](Request& request) -> Result {
              const auto batchId = request.pathParams["batch_id"];
              if (!validBatchId(batchId)) {
                return std::unexpected(apiError(ErrorCode::InvalidParameter, "malformed batch id"));
              }
              Json items = Json::array();
              auto read = readStore(
                  core.store(),
                  [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
                    PREPAID_TRY_STORE(site, tx.site().site());
                    PREPAID_TRY_STORE(commands, tx.commands().forBatch(batchId));
                    if (commands->empty()) {
                      return std::unexpected(
                          apiError(ErrorCode::NotFound, "no batch '" + batchId + "'"));
                    }
                    for (const auto& command : *commands) {
                      items.push_back(
                          {{"command_id", command.id},
                           {"meter_id", command.meterId},
                           {"kind", store::toString(command.kind)},
                           {"state", store::toString(command.state)},
                           {"attempts", command.attempts},
                           {"last_error", command.lastError},
                           {"updated_at", api::formatRfc3339(command.updatedAt, site->timeZone)}});
                    }
                    return {};
                  });
              if (!read) {
                return std::unexpected(read.error());
              }
              return jsonReply(Json{{"batch_id", batchId}, {"commands", items}});
            })
          .needs(Permission::BatchControl));
}

}  // namespace prepaid::backend::http
