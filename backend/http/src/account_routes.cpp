// Accounts (DOMAIN.md group 3): open (one or many meters), add a meter later (with the old meter's
// balance transferred), close (settles and closes every meter, with a record), queries, QR card,
// PIN.

#include "server_core.hpp"

#include "prepaid/api/json_fields.hpp"
#include "prepaid/api/privacy.hpp"
#include "prepaid/api/time_format.hpp"
#include "prepaid/billing/billing_service.hpp"
#include "prepaid/http/crypto.hpp"

namespace prepaid::backend::http {

namespace {

// Works on a read or a write transaction (both hand out the same repositories).
template <typename Transaction>
std::expected<Json, ApiError> accountJson(Transaction& tx, store::AccountId accountId) {
  auto account = tx.accounts().account(accountId);
  if (!account) {
    return std::unexpected(account.error().code == store::StoreErrorCode::NotFound
                               ? apiError(ErrorCode::UnknownAccount, "no such account")
                               : fromStore(account.error()));
  }
  PREPAID_TRY_STORE(tenant, tx.accounts().tenant(account->tenantId));
  PREPAID_TRY_STORE(site, tx.site().site());
  PREPAID_TRY_STORE(links,
                    tx.accounts().metersOf(accountId, store::AccountRepository::History::Include));
  Json meters = Json::array();
  for (const auto& link : *links) {
    PREPAID_TRY_STORE(meter, tx.meters().meter(link.meterId));
    PREPAID_TRY_STORE(balance, tx.ledger().balanceFen(link.meterId));
    meters.push_back(
        {{"meter_id", link.meterId},
         {"serial", meter->serial},
         {"balance_fen", *balance},
         {"added_at", api::formatRfc3339(link.addedAt, site->timeZone)},
         {"removed_at", link.removedAt ? Json(api::formatRfc3339(*link.removedAt, site->timeZone))
                                       : Json(nullptr)}});
  }
  return Json{
      {"account_id", account->id},
      {"state", account->state == store::AccountState::Open ? "open" : "closed"},
      {"tenant",
       {{"tenant_id", tenant->id},
        {"name", tenant->name},
        {"phone", tenant->phone},
        {"has_pin", !tenant->pinHash.empty()}}},
      {"opened_at", api::formatRfc3339(account->openedAt, site->timeZone)},
      {"closed_at", account->closedAt ? Json(api::formatRfc3339(*account->closedAt, site->timeZone))
                                      : Json(nullptr)},
      {"meters", meters}};
}

/// A meter that may join an account: known, not replaced, not on an open account.
std::expected<store::Meter, ApiError> availableMeter(store::WriteTransaction& tx,
                                                     store::MeterId id) {
  auto meter = tx.meters().meter(id);
  if (!meter) {
    return std::unexpected(meter.error().code == store::StoreErrorCode::NotFound
                               ? apiError(ErrorCode::UnknownMeter, "no meter " + std::to_string(id))
                               : fromStore(meter.error()));
  }
  if (meter->replacedBy) {
    return std::unexpected(
        apiError(ErrorCode::InvalidState, "meter " + std::to_string(id) + " was replaced"));
  }
  PREPAID_TRY_STORE(open, tx.accounts().openAccountOfMeter(id));
  if (*open) {
    return std::unexpected(apiError(
        ErrorCode::Conflict,
        "meter " + std::to_string(id) + " is on open account " + std::to_string((*open)->id)));
  }
  return *meter;
}

std::expected<billing::BillingService*, ApiError> billingOf(ServerCore& core) {
  if (core.services().billing == nullptr) {
    return std::unexpected(apiError(ErrorCode::Unavailable, "billing is not running"));
  }
  return core.services().billing;
}

std::expected<std::string, ApiError> readPin(const api::FieldReader& fields) {
  PREPAID_TRY(pin, fields.requiredString("pin", api::LengthRange{4, 12}));
  if (!std::ranges::all_of(*pin, [](char c) { return c >= '0' && c <= '9'; })) {
    return std::unexpected(apiError(ErrorCode::InvalidField, "field 'pin' must be 4 to 12 digits"));
  }
  return *pin;
}

}  // namespace

void registerAccountRoutes(ServerCore& core) {
  core.add(route("GET", "/api/v1/accounts", Access::Staff, "accounts",
                 "Open-account query by shop_number (the shop's open account)",
                 [&core](Request& request) -> Result {
                   const auto number = request.query("shop_number");
                   if (!number || number->empty() || number->size() > 32) {
                     return std::unexpected(apiError(ErrorCode::InvalidParameter,
                                                     "query parameter 'shop_number' is required"));
                   }
                   Json result;
                   auto read = readStore(
                       core.store(),
                       [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
                         auto shop = tx.buildings().shopByNumber(*number);
                         if (!shop) {
                           return std::unexpected(
                               shop.error().code == store::StoreErrorCode::NotFound
                                   ? apiError(ErrorCode::UnknownShop, "no shop '" + *number + "'")
                                   : fromStore(shop.error()));
                         }
                         PREPAID_TRY_STORE(meters, tx.meters().meters());
                         for (const auto& meter : *meters) {
                           if (meter.shopId != shop->id) {
                             continue;
                           }
                           PREPAID_TRY_STORE(open, tx.accounts().openAccountOfMeter(meter.id));
                           if (*open) {
                             PREPAID_TRY(json, accountJson(tx, (*open)->id));
                             result = std::move(*json);
                             return {};
                           }
                         }
                         return std::unexpected(
                             apiError(ErrorCode::UnknownAccount,
                                      "shop '" + *number + "' has no open account"));
                       });
                   if (!read) {
                     return std::unexpected(read.error());
                   }
                   return jsonReply(result);
                 })
               .needs(Permission::AccountsRead));

  core.add(route("GET", "/api/v1/accounts/{account_id}", Access::Staff, "accounts",
                 "One account (open or closed) with its meters and balances",
                 [&core](Request& request) -> Result {
                   PREPAID_TRY(accountId, pathId(request, "account_id"));
                   Json result;
                   auto read = readStore(
                       core.store(),
                       [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
                         PREPAID_TRY(json, accountJson(tx, *accountId));
                         result = std::move(*json);
                         return {};
                       });
                   if (!read) {
                     return std::unexpected(read.error());
                   }
                   return jsonReply(result);
                 })
               .needs(Permission::AccountsRead));

  core.add(
      route("POST", "/api/v1/accounts", Access::Staff, "accounts",
            "Open an account {tenant_name, phone?, pin?, meter_ids[1..16]}",
            [&core](Request& request) -> Result {
              api::FieldReader fields(request.body);
              PREPAID_TRY(known, fields.onlyKnown({"tenant_name", "phone", "pin", "meter_ids"}));
              PREPAID_TRY(name, fields.requiredString("tenant_name", api::LengthRange{1, 64}));
              PREPAID_TRY(phone, fields.optionalString("phone", api::LengthRange{0, 20}));
              PREPAID_TRY(meterIds, fields.requiredIntArray("meter_ids", api::IntRange{1, 16},
                                                            api::IntRange{1, INT64_MAX}));
              std::string pinHash;
              if (fields.has("pin")) {
                PREPAID_TRY(pin, readPin(fields));
                pinHash = core.hasher().hash(*pin);
              }
              std::set<std::int64_t> distinct(meterIds->begin(), meterIds->end());
              if (distinct.size() != meterIds->size()) {
                return std::unexpected(
                    apiError(ErrorCode::InvalidField, "field 'meter_ids' lists a meter twice"));
              }
              const auto now = core.now();
              Json result;
              auto written = writeStore(
                  core.store(), [&](store::WriteTransaction& tx) -> std::expected<void, ApiError> {
                    for (const auto id : *meterIds) {
                      PREPAID_TRY(meter, availableMeter(tx, id));
                    }
                    store::Tenant tenant;
                    tenant.name = *name;
                    tenant.phone = phone->value_or("");
                    tenant.pinHash = pinHash;
                    PREPAID_TRY_STORE(added, tx.accounts().addTenant(tenant));
                    PREPAID_TRY_STORE(account,
                                      tx.accounts().openAccount(added->id, *meterIds, now));
                    for (const auto id : *meterIds) {
                      PREPAID_TRY_STORE(status,
                                        tx.meters().setStatus(id, store::MeterStatus::Opened));
                    }
                    PREPAID_TRY(json, accountJson(tx, account->id));
                    result = std::move(*json);
                    PREPAID_TRY_STORE(audited, core.audit(tx, request, "account.open",
                                                          "account:" + std::to_string(account->id),
                                                          nullptr, result));
                    return {};
                  });
              if (!written) {
                return std::unexpected(written.error());
              }
              return jsonReply(result, 201);
            })
          .needs(Permission::AccountsManage)
          .jsonBody());

  core.add(
      route(
          "POST", "/api/v1/accounts/{account_id}/meters", Access::Staff, "accounts",
          "Add a meter to an open account {meter_id, replaces_meter_id?}; a replaced meter's "
          "positive balance is transferred to the new one (老表金额转入)",
          [&core](Request& request) -> Result {
            PREPAID_TRY(accountId, pathId(request, "account_id"));
            api::FieldReader fields(request.body);
            PREPAID_TRY(known, fields.onlyKnown({"meter_id", "replaces_meter_id"}));
            PREPAID_TRY(meterId, fields.requiredInt("meter_id", api::IntRange{1, INT64_MAX}));
            PREPAID_TRY(oldId,
                        fields.optionalInt("replaces_meter_id", api::IntRange{1, INT64_MAX}));
            if (*oldId && **oldId == *meterId) {
              return std::unexpected(
                  apiError(ErrorCode::InvalidField, "a meter cannot replace itself"));
            }
            const auto now = core.now();
            Json before;
            Json result;
            std::int64_t transferred = 0;
            std::int64_t finalChargeFen = 0;
            Json rechargeCommand = nullptr;
            auto written = writeStore(
                core.store(), [&](store::WriteTransaction& tx) -> std::expected<void, ApiError> {
                  PREPAID_TRY(current, accountJson(tx, *accountId));
                  before = *current;
                  if (before["state"] != "open") {
                    return std::unexpected(
                        apiError(ErrorCode::InvalidState, "the account is closed"));
                  }
                  PREPAID_TRY(meter, availableMeter(tx, *meterId));
                  PREPAID_TRY_STORE(addedMeter, tx.accounts().addMeter(*accountId, *meterId, now));
                  PREPAID_TRY_STORE(status,
                                    tx.meters().setStatus(*meterId, store::MeterStatus::Opened));
                  if (*oldId) {
                    PREPAID_TRY_STORE(onAccount, tx.accounts().openAccountOfMeter(**oldId));
                    if (!*onAccount || (*onAccount)->id != *accountId) {
                      return std::unexpected(
                          apiError(ErrorCode::InvalidField,
                                   "field 'replaces_meter_id' is not a meter of this account"));
                    }
                    // Billing settles the old meter (last reading, undelivered recharges) and
                    // delivers the balance to a meter-side new meter as a recharge.
                    PREPAID_TRY(service, billingOf(core));
                    billing::TransferRequest move;
                    move.fromMeterId = **oldId;
                    move.toMeterId = *meterId;
                    move.idempotencyKey =
                        "transfer:" + std::to_string(**oldId) + "->" + std::to_string(*meterId);
                    move.source = request.actor();
                    auto moved = (*service)->transferBalance(tx, move);
                    if (!moved) {
                      return std::unexpected(fromBilling(moved.error()));
                    }
                    transferred = moved->amountFen;
                    finalChargeFen = moved->finalChargeFen;
                    if (moved->in && moved->in->rechargeCommandId) {
                      rechargeCommand = *moved->in->rechargeCommandId;
                    }
                    PREPAID_TRY_STORE(removed, tx.accounts().removeMeter(*accountId, **oldId, now));
                    PREPAID_TRY_STORE(replaced, tx.meters().setReplacedBy(**oldId, *meterId));
                    PREPAID_TRY_STORE(closed,
                                      tx.meters().setStatus(**oldId, store::MeterStatus::Closed));
                  }
                  PREPAID_TRY(after, accountJson(tx, *accountId));
                  result = std::move(*after);
                  result["transferred_fen"] = transferred;
                  if (*oldId) {
                    result["old_meter_final_charge_fen"] = finalChargeFen;
                    result["recharge_command_id"] = rechargeCommand;
                  }
                  PREPAID_TRY_STORE(
                      audited, core.audit(tx, request,
                                          *oldId ? "account.replace_meter" : "account.add_meter",
                                          "account:" + std::to_string(*accountId), before, result));
                  return {};
                });
            if (!written) {
              return std::unexpected(written.error());
            }
            return jsonReply(result);
          })
          .needs(Permission::AccountsManage)
          .jsonBody());

  core.add(
      route("POST", "/api/v1/accounts/{account_id}/close", Access::Staff, "accounts",
            "Close an account (销户): settles every meter's balance to zero with a close "
            "settlement entry and closes the meters; returns the settlement record",
            [&core](Request& request) -> Result {
              PREPAID_TRY(accountId, pathId(request, "account_id"));
              api::FieldReader fields(request.body);
              PREPAID_TRY(known, fields.onlyKnown({"note"}));
              PREPAID_TRY(note, fields.optionalString("note", api::LengthRange{0, 200}));
              PREPAID_TRY(service, billingOf(core));
              const auto now = core.now();
              Json record;
              auto written = writeStore(
                  core.store(), [&](store::WriteTransaction& tx) -> std::expected<void, ApiError> {
                    PREPAID_TRY(before, accountJson(tx, *accountId));
                    if ((*before)["state"] != "open") {
                      return std::unexpected(
                          apiError(ErrorCode::InvalidState, "the account is already closed"));
                    }
                    PREPAID_TRY_STORE(
                        links, tx.accounts().metersOf(
                                   *accountId, store::AccountRepository::History::CurrentOnly));
                    Json settlements = Json::array();
                    std::int64_t total = 0;
                    for (const auto& link : *links) {
                      // Billing settles each meter: final charge, undelivered recharges
                      // cancelled, balance to 0, relay tripped, meter closed.
                      billing::CloseMeterRequest close;
                      close.meterId = link.meterId;
                      close.idempotencyKey = "close:" + std::to_string(*accountId) + ":" +
                                             std::to_string(link.meterId);
                      close.source = request.actor();
                      close.note = note->value_or("");
                      auto closed = (*service)->closeMeter(tx, close);
                      if (!closed) {
                        return std::unexpected(fromBilling(closed.error()));
                      }
                      total += closed->settledFen;
                      // balance_fen > 0: paid back to the tenant; < 0: arrears the tenant owes.
                      settlements.push_back(
                          {{"meter_id", link.meterId},
                           {"balance_fen", closed->settledFen},
                           {"final_charge_fen", closed->finalChargeFen},
                           {"settlement_entry_id", closed->settlementEntryId
                                                       ? Json(*closed->settlementEntryId)
                                                       : Json(nullptr)},
                           {"cancelled_command_ids", closed->cancelledCommands},
                           {"queued_command_ids", closed->queuedCommands}});
                    }
                    PREPAID_TRY_STORE(closed, tx.accounts().closeAccount(*accountId, now));
                    PREPAID_TRY(after, accountJson(tx, *accountId));
                    record = {{"account", *after},
                              {"settlements", settlements},
                              {"total_settled_fen", total}};
                    PREPAID_TRY_STORE(audited, core.audit(tx, request, "account.close",
                                                          "account:" + std::to_string(*accountId),
                                                          *before, record));
                    return {};
                  });
              if (!written) {
                return std::unexpected(written.error());
              }
              return jsonReply(record);
            })
          .needs(Permission::AccountsManage)
          .jsonBody());

  core.add(
      route("POST", "/api/v1/accounts/{account_id}/card", Access::Staff, "accounts",
            "Issue (or replace) the account's QR card; the token is returned once",
            [&core](Request& request) -> Result {
              PREPAID_TRY(accountId, pathId(request, "account_id"));
              const auto token = randomHex(24);
              auto written = writeStore(
                  core.store(), [&](store::WriteTransaction& tx) -> std::expected<void, ApiError> {
                    PREPAID_TRY(current, accountJson(tx, *accountId));
                    if ((*current)["state"] != "open") {
                      return std::unexpected(
                          apiError(ErrorCode::InvalidState, "the account is closed"));
                    }
                    PREPAID_TRY_STORE(set, tx.access().setAccountCard(store::AccountCard{
                                               *accountId, sha256Hex(token), core.now()}));
                    PREPAID_TRY_STORE(audited, core.audit(tx, request, "account.card",
                                                          "account:" + std::to_string(*accountId),
                                                          nullptr, Json{{"issued", true}}));
                    return {};
                  });
              if (!written) {
                return std::unexpected(written.error());
              }
              return jsonReply(Json{{"account_id", *accountId}, {"card_token", token}}, 201);
            })
          .needs(Permission::AccountsManage));

  core.add(
      route("PUT", "/api/v1/accounts/{account_id}/pin", Access::Staff, "accounts",
            "Set the tenant's kiosk PIN {pin: 4-12 digits}; clears a PIN lockout",
            [&core](Request& request) -> Result {
              PREPAID_TRY(accountId, pathId(request, "account_id"));
              api::FieldReader fields(request.body);
              PREPAID_TRY(known, fields.onlyKnown({"pin"}));
              PREPAID_TRY(pin, readPin(fields));
              const auto hash = core.hasher().hash(*pin);
              auto written = writeStore(
                  core.store(), [&](store::WriteTransaction& tx) -> std::expected<void, ApiError> {
                    auto account = tx.accounts().account(*accountId);
                    if (!account) {
                      return std::unexpected(
                          apiError(ErrorCode::UnknownAccount, "no such account"));
                    }
                    PREPAID_TRY_STORE(tenant, tx.accounts().tenant(account->tenantId));
                    auto updated = *tenant;
                    updated.pinHash = hash;
                    PREPAID_TRY_STORE(saved, tx.accounts().updateTenant(updated));
                    PREPAID_TRY_STORE(unlocked, tx.access().clearThrottle(
                                                    "pin:account:" + std::to_string(*accountId)));
                    PREPAID_TRY_STORE(audited, core.audit(tx, request, "account.pin",
                                                          "account:" + std::to_string(*accountId),
                                                          nullptr, Json{{"pin_set", true}}));
                    return {};
                  });
              if (!written) {
                return std::unexpected(written.error());
              }
              return jsonReply(Json{{"account_id", *accountId}, {"pin_set", true}});
            })
          .needs(Permission::AccountsManage)
          .jsonBody());
}

}  // namespace prepaid::backend::http
