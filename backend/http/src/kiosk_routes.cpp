// Tenant look-ups at a kiosk: identify by shop number or QR card (+ PIN per site policy), then
// balance/status, usage, alarms, recent recharges and receipts with a short-lived tenant token.

#include "meter_views.hpp"
#include "server_core.hpp"

#include "prepaid/api/json_fields.hpp"
#include "prepaid/api/privacy.hpp"
#include "prepaid/api/time_format.hpp"
#include "prepaid/http/crypto.hpp"

namespace prepaid::backend::http {

namespace {

struct AccountContext {
  store::Account account;
  store::Tenant tenant;
  std::string shopNumber;
  std::vector<store::Meter> meters;
};

std::expected<AccountContext, ApiError> loadAccount(const store::ReadTransaction& tx,
                                                    store::AccountId accountId) {
  AccountContext context;
  auto account = tx.accounts().account(accountId);
  if (!account) {
    if (account.error().code == store::StoreErrorCode::NotFound) {
      return std::unexpected(apiError(ErrorCode::UnknownAccount, "no such account"));
    }
    return std::unexpected(fromStore(account.error()));
  }
  if (account->state != store::AccountState::Open) {
    return std::unexpected(apiError(ErrorCode::UnknownAccount, "the account is closed"));
  }
  context.account = *account;
  PREPAID_TRY_STORE(tenant, tx.accounts().tenant(account->tenantId));
  context.tenant = *tenant;
  PREPAID_TRY_STORE(
      links, tx.accounts().metersOf(accountId, store::AccountRepository::History::CurrentOnly));
  for (const auto& link : *links) {
    PREPAID_TRY_STORE(meter, tx.meters().meter(link.meterId));
    if (context.shopNumber.empty() && meter->shopId) {
      PREPAID_TRY_STORE(shop, tx.buildings().shop(*meter->shopId));
      context.shopNumber = shop->number;
    }
    context.meters.push_back(*meter);
  }
  return context;
}

std::expected<api::AccountView, ApiError> accountView(const store::ReadTransaction& tx,
                                                      const AccountContext& context, bool personal,
                                                      domain::Instant now) {
  PREPAID_TRY_STORE(settings, tx.site().settings());
  PREPAID_TRY_STORE(site, tx.site().site());
  api::AccountView view;
  view.accountId = context.account.id;
  view.shopNumber = context.shopNumber;
  view.tenantName = api::maskName(context.tenant.name);
  view.phone = personal ? api::maskPhone(context.tenant.phone) : std::string();
  view.pinRequired = settings->pinPolicy == store::PinPolicy::Required;
  view.personal = personal;
  for (const auto& meter : context.meters) {
    PREPAID_TRY(facts, meterFacts(tx, meter, *settings, site->timeZone, now,
                                  personal ? WithDaysLeft::Yes : WithDaysLeft::No));
    view.meters.push_back(meterView(*facts, *settings, site->timeZone, personal));
  }
  return view;
}

std::expected<void, ApiError> requireGrant(const Request& request, store::AccountId account) {
  if (!request.tenant || request.tenant->accountId != account) {
    return std::unexpected(
        apiError(ErrorCode::Forbidden, "the tenant token is for another account"));
  }
  return {};
}

}  // namespace

void registerKioskRoutes(ServerCore& core) {
  core.add(
      route(
          "POST", "/api/v1/kiosk/identify", Access::Kiosk, "kiosk",
          "Find an account by shop number or QR-card token; with the PIN (where required) returns "
          "the personal view and a tenant token",
          [&core](Request& request) -> Result {
            api::FieldReader fields(request.body);
            PREPAID_TRY(known, fields.onlyKnown({"shop_number", "card_token", "pin"}));
            PREPAID_TRY(shopNumber, fields.optionalString("shop_number", api::LengthRange{1, 32}));
            PREPAID_TRY(cardToken, fields.optionalString("card_token", api::LengthRange{16, 128}));
            PREPAID_TRY(pin, fields.optionalString("pin", api::LengthRange{4, 12}));
            if (shopNumber.value().has_value() == cardToken.value().has_value()) {
              return std::unexpected(apiError(
                  ErrorCode::MissingField, "send exactly one of 'shop_number' and 'card_token'"));
            }
            const auto now = core.now();
            std::optional<AccountContext> context;
            bool pinRequired = false;
            std::optional<domain::Instant> locked;
            auto read = readStore(
                core.store(),
                [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
                  std::optional<store::AccountId> accountId;
                  if (*shopNumber) {
                    auto shop = tx.buildings().shopByNumber(**shopNumber);
                    if (!shop) {
                      if (shop.error().code == store::StoreErrorCode::NotFound) {
                        return std::unexpected(apiError(
                            ErrorCode::UnknownShop, "no shop with number '" + **shopNumber + "'"));
                      }
                      return std::unexpected(fromStore(shop.error()));
                    }
                    PREPAID_TRY_STORE(meters, tx.meters().meters());
                    for (const auto& meter : *meters) {
                      if (meter.shopId == shop->id && !meter.replacedBy) {
                        PREPAID_TRY_STORE(account, tx.accounts().openAccountOfMeter(meter.id));
                        if (*account) {
                          accountId = (*account)->id;
                          break;
                        }
                      }
                    }
                  } else {
                    PREPAID_TRY_STORE(card, tx.access().cardByTokenHash(sha256Hex(**cardToken)));
                    if (*card) {
                      accountId = (*card)->accountId;
                    }
                  }
                  if (!accountId) {
                    return std::unexpected(apiError(ErrorCode::UnknownAccount,
                                                    "no open account for this shop or card"));
                  }
                  PREPAID_TRY(loaded, loadAccount(tx, *accountId));
                  context = std::move(*loaded);
                  PREPAID_TRY_STORE(settings, tx.site().settings());
                  pinRequired = settings->pinPolicy == store::PinPolicy::Required;
                  return {};
                });
            if (!read) {
              return std::unexpected(read.error());
            }
            bool personal = !pinRequired;
            if (pinRequired && *pin) {
              const auto subject = "pin:account:" + std::to_string(context->account.id);
              // Check the lock and count this attempt in one transaction before the PBKDF2
              // check (parallel guesses are counted before any is verified); a right PIN
              // forgets the count again.
              auto admitted = writeStore(
                  core.store(), [&](store::WriteTransaction& tx) -> std::expected<void, ApiError> {
                    PREPAID_TRY_STORE(until,
                                      core.admitAttempt(tx, subject, core.options().maxPinFailures,
                                                        core.options().pinWindow));
                    locked = *until;
                    return {};
                  });
              if (!admitted) {
                return std::unexpected(admitted.error());
              }
              if (locked) {
                return std::unexpected(
                    apiError(ErrorCode::AccountLocked,
                             "too many wrong PINs; try again after " +
                                 api::formatRfc3339(*locked, domain::SiteTimeZone{})));
              }
              if (context->tenant.pinHash.empty() ||
                  !core.hasher().verify(**pin, context->tenant.pinHash)) {
                return std::unexpected(apiError(ErrorCode::InvalidPin, "wrong PIN"));
              }
              auto cleared = writeStore(
                  core.store(), [&](store::WriteTransaction& tx) -> std::expected<void, ApiError> {
                    PREPAID_TRY_STORE(
                        done, core.clearFailures(tx, subject, core.options().maxPinFailures));
                    return {};
                  });
              if (!cleared) {
                return std::unexpected(cleared.error());
              }
              personal = true;
            }
            api::AccountView view;
            auto built =
                readStore(core.store(),
                          [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
                            PREPAID_TRY(made, accountView(tx, *context, personal, now));
                            view = std::move(*made);
                            return {};
                          });
            if (!built) {
              return std::unexpected(built.error());
            }
            if (personal) {
              view.tenantToken = core.issueTenantToken(context->account.id, request.kiosk->id);
              view.tenantTokenExpiresInS = core.options().tenantTokenTtl.count();
            }
            return jsonReply(Json(view));
          })
          .jsonBody());

  core.add(route("GET", "/api/v1/kiosk/accounts/{account_id}", Access::Tenant, "kiosk",
                 "The personal account view: per meter balance, status, relay, last reading, "
                 "today's energy, days left",
                 [&core](Request& request) -> Result {
                   PREPAID_TRY(accountId, pathId(request, "account_id"));
                   PREPAID_TRY(granted, requireGrant(request, *accountId));
                   api::AccountView view;
                   auto read = readStore(
                       core.store(),
                       [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
                         PREPAID_TRY(context, loadAccount(tx, *accountId));
                         PREPAID_TRY(made, accountView(tx, *context, true, core.now()));
                         view = std::move(*made);
                         return {};
                       });
                   if (!read) {
                     return std::unexpected(read.error());
                   }
                   return jsonReply(Json(view));
                 }));

  core.add(route(
      "GET", "/api/v1/kiosk/accounts/{account_id}/meters/{meter_id}/usage", Access::Tenant, "kiosk",
      "Usage series of a meter: granularity=hour (today), day (30 days), month (12 months); "
      "energy and money split by TOU rate",
      [&core](Request& request) -> Result {
        PREPAID_TRY(accountId, pathId(request, "account_id"));
        PREPAID_TRY(meterId, pathId(request, "meter_id"));
        PREPAID_TRY(granted, requireGrant(request, *accountId));
        const auto granularity = request.query("granularity").value_or("hour");
        if (granularity != "hour" && granularity != "day" && granularity != "month") {
          return std::unexpected(
              apiError(ErrorCode::InvalidParameter, "granularity must be hour, day or month"));
        }
        api::UsageSeries series;
        auto read = readStore(
            core.store(), [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
              PREPAID_TRY(context, loadAccount(tx, *accountId));
              const bool mine = std::ranges::any_of(
                  context->meters, [&](const store::Meter& meter) { return meter.id == *meterId; });
              if (!mine) {
                return std::unexpected(
                    apiError(ErrorCode::UnknownMeter, "the meter is not on this account"));
              }
              PREPAID_TRY_STORE(site, tx.site().site());
              PREPAID_TRY(made, usageSeries(tx, *meterId, granularity, site->timeZone, core.now()));
              series = std::move(*made);
              return {};
            });
        if (!read) {
          return std::unexpected(read.error());
        }
        return jsonReply(Json(series));
      }));

  core.add(route(
      "GET", "/api/v1/kiosk/accounts/{account_id}/alarms", Access::Tenant, "kiosk",
      "Open alarms of the account's meters", [&core](Request& request) -> Result {
        PREPAID_TRY(accountId, pathId(request, "account_id"));
        PREPAID_TRY(granted, requireGrant(request, *accountId));
        Json alarms = Json::array();
        auto read = readStore(
            core.store(), [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
              PREPAID_TRY(context, loadAccount(tx, *accountId));
              PREPAID_TRY_STORE(site, tx.site().site());
              for (const auto& meter : context->meters) {
                PREPAID_TRY_STORE(open,
                                  tx.alarms().openAlarmsOf(store::AlarmSubject::meter(meter.id)));
                for (const auto& alarm : *open) {
                  api::AlarmView view;
                  view.alarmId = alarm.id;
                  view.meterId = alarm.subject.meterId;
                  view.kind = std::string(store::toString(alarm.kind));
                  view.raisedAt = api::formatRfc3339(alarm.raisedAt, site->timeZone);
                  alarms.push_back(Json(view));
                }
              }
              return {};
            });
        if (!read) {
          return std::unexpected(read.error());
        }
        return jsonReply(Json{{"alarms", alarms}});
      }));

  core.add(route(
      "GET", "/api/v1/kiosk/accounts/{account_id}/recharges", Access::Tenant, "kiosk",
      "The 10 most recent recharges, refunds and corrections of the account's meters",
      [&core](Request& request) -> Result {
        PREPAID_TRY(accountId, pathId(request, "account_id"));
        PREPAID_TRY(granted, requireGrant(request, *accountId));
        std::vector<store::LedgerEntry> sales;
        Json items = Json::array();
        auto read = readStore(
            core.store(), [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
              PREPAID_TRY(context, loadAccount(tx, *accountId));
              PREPAID_TRY_STORE(site, tx.site().site());
              const auto now = core.now();
              for (const auto& meter : context->meters) {
                PREPAID_TRY_STORE(entries,
                                  tx.ledger().entries(meter.id, now - std::chrono::days(366),
                                                      now + std::chrono::seconds(1), 100000));
                for (const auto& entry : *entries) {
                  if (entry.kind == domain::EntryKind::Recharge ||
                      entry.kind == domain::EntryKind::Refund ||
                      entry.kind == domain::EntryKind::Correction) {
                    sales.push_back(entry);
                  }
                }
              }
              std::ranges::sort(sales, [](const auto& a, const auto& b) { return a.id > b.id; });
              if (sales.size() > 10) {
                sales.resize(10);
              }
              for (const auto& entry : sales) {
                api::RechargeView view;
                view.entryId = entry.id;
                view.meterId = entry.meterId;
                view.kind = std::string(domain::toString(entry.kind));
                view.amountFen = entry.amountFen;
                view.purchaseCount = entry.purchaseCount;
                view.source = isOnlinePaymentSource(entry.source) ? "online" : "counter";
                view.createdAt = api::formatRfc3339(entry.createdAt, site->timeZone);
                items.push_back(Json(view));
              }
              return {};
            });
        if (!read) {
          return std::unexpected(read.error());
        }
        return jsonReply(Json{{"recharges", items}});
      }));

  core.add(route("GET", "/api/v1/kiosk/accounts/{account_id}/receipts/{entry_id}", Access::Tenant,
                 "kiosk", "Receipt data of one of the account's recharges (reprint)",
                 [&core](Request& request) -> Result {
                   PREPAID_TRY(accountId, pathId(request, "account_id"));
                   PREPAID_TRY(entryId, pathId(request, "entry_id"));
                   PREPAID_TRY(granted, requireGrant(request, *accountId));
                   api::Receipt receipt;
                   auto read = readStore(
                       core.store(),
                       [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
                         PREPAID_TRY(context, loadAccount(tx, *accountId));
                         PREPAID_TRY(made, receiptOf(tx, *entryId, core.now()));
                         const bool mine = std::ranges::any_of(
                             context->meters,
                             [&](const store::Meter& meter) { return meter.id == made->meterId; });
                         if (!mine) {
                           return std::unexpected(apiError(ErrorCode::NotFound, "no such receipt"));
                         }
                         receipt = std::move(*made);
                         return {};
                       });
                   if (!read) {
                     return std::unexpected(read.error());
                   }
                   receipt.operatorName.clear();  // staff names are not shown at a kiosk
                   return jsonReply(Json(receipt));
                 }));
}

}  // namespace prepaid::backend::http
