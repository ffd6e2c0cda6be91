// Sales (DOMAIN.md group 4): sell, refund, correction through BillingService, each with an
// Idempotency-Key and receipt data; sales query; receipt reprint.

#include "meter_views.hpp"
#include "server_core.hpp"

#include "prepaid/api/json_fields.hpp"
#include "prepaid/api/time_format.hpp"
#include "prepaid/billing/billing_service.hpp"

namespace prepaid::backend::http {

namespace {

constexpr std::int64_t MaxSaleFen = 100'000'000;  // 1,000,000 yuan: far above any hoarding cap

std::expected<billing::BillingService*, ApiError> billingOf(ServerCore& core) {
  if (core.services().billing == nullptr) {
    return std::unexpected(apiError(ErrorCode::Unavailable, "billing is not running"));
  }
  return core.services().billing;
}

/// The reply of a money operation: receipt data of the posted (or replayed) entry.
Result receiptReply(ServerCore& core, Request& request, const billing::Receipt& receipt,
                    const std::string& action) {
  api::Receipt data;
  auto read = readStore(core.store(),
                        [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
                          PREPAID_TRY(made, receiptOf(tx, receipt.entryId, core.now()));
                          data = std::move(*made);
                          return {};
                        });
  if (!read) {
    return std::unexpected(read.error());
  }
  // Billing knows the balance right after the entry exactly; prefer it over the recomputation.
  data.balanceAfterFen = receipt.balanceAfterFen;
  Json body{{"receipt", Json(data)},
            {"replayed", receipt.replay == billing::Replay::Replayed},
            {"recharge_command_id",
             receipt.rechargeCommandId ? Json(*receipt.rechargeCommandId) : Json(nullptr)}};
  if (receipt.replay == billing::Replay::New) {
    core.auditAfter(request, action, "meter:" + std::to_string(receipt.meterId), nullptr,
                    Json{{"entry_id", receipt.entryId},
                         {"amount_fen", receipt.amountFen},
                         {"balance_after_fen", receipt.balanceAfterFen}});
  }
  request.audited = true;
  return jsonReply(body, 201);
}

}  // namespace

void registerSalesRoutes(ServerCore& core) {
  core.add(
      route("POST", "/api/v1/sales", Access::Staff, "sales",
            "Sell (售电) {meter_id, amount_fen, payment_method?, note?}; Idempotency-Key "
            "required; returns receipt data",
            [&core](Request& request) -> Result {
              PREPAID_TRY(service, billingOf(core));
              api::FieldReader fields(request.body);
              PREPAID_TRY(known,
                          fields.onlyKnown({"meter_id", "amount_fen", "payment_method", "note"}));
              PREPAID_TRY(meterId, fields.requiredInt("meter_id", api::IntRange{1, INT64_MAX}));
              PREPAID_TRY(amount, fields.requiredInt("amount_fen", api::IntRange{1, MaxSaleFen}));
              PREPAID_TRY(method, fields.optionalEnum("payment_method", {"cash", "card", "transfer",
                                                                         "wechat", "alipay"}));
              PREPAID_TRY(note, fields.optionalString("note", api::LengthRange{0, 200}));
              billing::SaleRequest sale;
              sale.meterId = *meterId;
              sale.amountFen = *amount;
              sale.idempotencyKey = request.idempotencyKey;
              sale.source = request.actor();
              sale.note = saleNote(method->value_or("cash"), note->value_or(""));
              auto receipt = (*service)->sell(sale);
              if (!receipt) {
                return std::unexpected(fromBilling(receipt.error()));
              }
              return receiptReply(core, request, *receipt, "sale");
            })
          .needs(Permission::SalesSell)
          .jsonBody()
          .idempotent());

  core.add(
      route("POST", "/api/v1/refunds", Access::Staff, "sales",
            "Refund (退电) {meter_id, amount_fen, note?} of a server-side meter; "
            "Idempotency-Key required; returns receipt data",
            [&core](Request& request) -> Result {
              PREPAID_TRY(service, billingOf(core));
              api::FieldReader fields(request.body);
              PREPAID_TRY(known, fields.onlyKnown({"meter_id", "amount_fen", "note"}));
              PREPAID_TRY(meterId, fields.requiredInt("meter_id", api::IntRange{1, INT64_MAX}));
              PREPAID_TRY(amount, fields.requiredInt("amount_fen", api::IntRange{1, MaxSaleFen}));
              PREPAID_TRY(note, fields.optionalString("note", api::LengthRange{0, 200}));
              billing::RefundRequest refund;
              refund.meterId = *meterId;
              refund.amountFen = *amount;
              refund.idempotencyKey = request.idempotencyKey;
              refund.source = request.actor();
              refund.note = note->value_or("");
              auto receipt = (*service)->refund(refund);
              if (!receipt) {
                return std::unexpected(fromBilling(receipt.error()));
              }
              return receiptReply(core, request, *receipt, "refund");
            })
          .needs(Permission::SalesRefund)
          .jsonBody()
          .idempotent());

  core.add(
      route("POST", "/api/v1/corrections", Access::Staff, "sales",
            "Correction (冲正) {entry_id, note?}: reverses one sale or refund exactly; "
            "Idempotency-Key required; returns receipt data",
            [&core](Request& request) -> Result {
              PREPAID_TRY(service, billingOf(core));
              api::FieldReader fields(request.body);
              PREPAID_TRY(known, fields.onlyKnown({"entry_id", "note"}));
              PREPAID_TRY(entryId, fields.requiredInt("entry_id", api::IntRange{1, INT64_MAX}));
              PREPAID_TRY(note, fields.optionalString("note", api::LengthRange{0, 200}));
              billing::CorrectionRequest correction;
              correction.entryId = *entryId;
              correction.idempotencyKey = request.idempotencyKey;
              correction.source = request.actor();
              correction.note = note->value_or("");
              auto receipt = (*service)->correct(correction);
              if (!receipt) {
                return std::unexpected(fromBilling(receipt.error()));
              }
              return receiptReply(core, request, *receipt, "correction");
            })
          .needs(Permission::SalesCorrect)
          .jsonBody()
          .idempotent());

  core.add(
      route(
          "GET", "/api/v1/sales", Access::Staff, "sales",
          "Sales, refunds and corrections (meter_id?, from?, to?, kind?=recharge|refund|"
          "correction, limit?)",
          [&core](Request& request) -> Result {
            PREPAID_TRY(meterId, queryInt(request, "meter_id", 1, INT64_MAX));
            PREPAID_TRY(from, queryTime(request, "from"));
            PREPAID_TRY(to, queryTime(request, "to"));
            PREPAID_TRY(limit, queryInt(request, "limit", 1, 1000));
            const auto kind = request.query("kind");
            std::optional<domain::EntryKind> wanted;
            if (kind) {
              wanted = domain::parseEntryKind(*kind);
              if (!wanted ||
                  (*wanted != domain::EntryKind::Recharge && *wanted != domain::EntryKind::Refund &&
                   *wanted != domain::EntryKind::Correction)) {
                return std::unexpected(apiError(ErrorCode::InvalidParameter,
                                                "kind must be recharge, refund or correction"));
              }
            }
            const auto now = core.now();
            const auto start = from->value_or(now - std::chrono::days(31));
            const auto end = to->value_or(now + std::chrono::seconds(1));
            std::vector<store::LedgerEntry> found;
            Json items = Json::array();
            auto read = readStore(
                core.store(),
                [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
                  std::vector<store::MeterId> meters;
                  if (*meterId) {
                    meters.push_back(**meterId);
                  } else {
                    PREPAID_TRY_STORE(all, tx.meters().meters());
                    for (const auto& meter : *all) {
                      meters.push_back(meter.id);
                    }
                  }
                  for (const auto id : meters) {
                    PREPAID_TRY_STORE(entries, tx.ledger().entries(id, start, end, 100000));
                    for (const auto& entry : *entries) {
                      const bool sale = entry.kind == domain::EntryKind::Recharge ||
                                        entry.kind == domain::EntryKind::Refund ||
                                        entry.kind == domain::EntryKind::Correction;
                      if (sale && (!wanted || entry.kind == *wanted)) {
                        found.push_back(entry);
                      }
                    }
                  }
                  std::ranges::sort(found,
                                    [](const auto& a, const auto& b) { return a.id > b.id; });
                  found.resize(std::min<std::size_t>(
                      found.size(), static_cast<std::size_t>(limit->value_or(200))));
                  PREPAID_TRY_STORE(site, tx.site().site());
                  for (const auto& entry : found) {
                    items.push_back(
                        {{"entry_id", entry.id},
                         {"meter_id", entry.meterId},
                         {"kind", domain::toString(entry.kind)},
                         {"amount_fen", entry.amountFen},
                         {"purchase_count",
                          entry.purchaseCount ? Json(*entry.purchaseCount) : Json(nullptr)},
                         {"corrects_entry_id",
                          entry.referencedEntryId ? Json(*entry.referencedEntryId) : Json(nullptr)},
                         {"source", entry.source},
                         {"note", entry.note},
                         {"created_at", api::formatRfc3339(entry.createdAt, site->timeZone)}});
                  }
                  return {};
                });
            if (!read) {
              return std::unexpected(read.error());
            }
            return jsonReply(Json{{"sales", items}});
          })
          .needs(Permission::SalesRead));

  core.add(route("GET", "/api/v1/receipts/{entry_id}", Access::Staff, "sales",
                 "Receipt data of a sale, refund or correction (reprint)",
                 [&core](Request& request) -> Result {
                   PREPAID_TRY(entryId, pathId(request, "entry_id"));
                   api::Receipt receipt;
                   auto read = readStore(
                       core.store(),
                       [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
                         PREPAID_TRY(made, receiptOf(tx, *entryId, core.now()));
                         receipt = std::move(*made);
                         return {};
                       });
                   if (!read) {
                     return std::unexpected(read.error());
                   }
                   return jsonReply(Json(receipt));
                 })
               .needs(Permission::SalesRead));
}

}  // namespace prepaid::backend::http
