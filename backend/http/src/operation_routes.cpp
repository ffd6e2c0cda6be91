// Operations: meter status list with colours, reading history, realtime alarms, batch commands.

#include "meter_views.hpp"
#include "server_core.hpp"

#include "prepaid/api/json_fields.hpp"
#include "prepaid/api/time_format.hpp"
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
      route("POST", "/api/v1/commands", Access::Staff, "operations",
            "Batch command {kind: price|settings|keep_power|resume_prepaid|trip|close|"
            "read_now, meter_ids[1..500]} with a result per meter",
            [&core](Request& request) -> Result {
              api::FieldReader fields(request.body);
              PREPAID_TRY(known, fields.onlyKnown({"kind", "meter_ids"}));
              PREPAID_TRY(kindName, fields.requiredEnum(
                                        "kind", {"price", "settings", "keep_power",
                                                 "resume_prepaid", "trip", "close", "read_now"}));
              PREPAID_TRY(meterIds, fields.requiredIntArray("meter_ids", api::IntRange{1, 500},
                                                            api::IntRange{1, INT64_MAX}));
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
              auto result = core.services().commands->dispatch(batch);
              if (!result) {
                return std::unexpected(apiError(ErrorCode::Unavailable, result.error()));
              }
              Json results = Json::array();
              std::int64_t accepted = 0;
              for (const auto& item : result->results) {
                accepted += item.accepted ? 1 : 0;
                results.push_back(
                    {{"meter_id", item.meterId},
                     {"accepted", item.accepted},
                     {"command_id", item.commandId ? Json(*item.commandId) : Json(nullptr)},
                     {"error_code", item.accepted ? Json(nullptr) : Json(item.errorCode)},
                     {"message", item.message}});
              }
              Json body{{"batch_id", result->batchId},
                        {"kind", *kindName},
                        {"accepted", accepted},
                        {"refused", static_cast<std::int64_t>(result->results.size()) - accepted},
                        {"results", results}};
              core.auditAfter(request, "command." + *kindName, "batch:" + result->batchId,
                              Json{{"meter_ids", *meterIds}},
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
