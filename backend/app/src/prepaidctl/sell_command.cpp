#include "sell_command.hpp"

#include <iostream>
#include <memory>
#include <string>

#include "ctl_audit.hpp"
#include <nlohmann/json.hpp>

#include "prepaid/billing/billing_service.hpp"
#include "prepaid/store/store.hpp"

namespace prepaid::backend::ctl {

namespace {

using json = nlohmann::json;

struct SellOptions {
  std::string db;
  std::string meter;
  std::int64_t amountFen = 0;
  std::string key;
  std::string source = "prepaidctl";
  std::string note;
};

domain::Instant now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

int sell(const SellOptions& options) {
  store::StoreOptions storeOptions;
  storeOptions.create = store::StoreOptions::Create::MustExist;
  auto opened = store::openSqliteStore(options.db, storeOptions);
  if (!opened) {
    std::cout << json{{"error",
                       {{"code", std::string(store::toString(opened.error().code))},
                        {"message", opened.error().message}}}}
                     .dump()
              << "\n";
    return 3;
  }
  auto& db = **opened;
  store::MeterId meterId = 0;
  const auto found =
      db.read([&](const store::ReadTransaction& tx) -> std::expected<void, store::StoreError> {
        auto meter = tx.meters().meterBySerial(options.meter);
        if (!meter) {
          return std::unexpected(meter.error());
        }
        meterId = meter->id;
        return {};
      });
  if (!found) {
    std::cout
        << json{{"error", {{"code", "unknown_meter"}, {"message", found.error().message}}}}.dump()
        << "\n";
    return 1;
  }
  billing::BillingService billingService(db, now);
  billing::SaleRequest request;
  request.meterId = meterId;
  request.amountFen = options.amountFen;
  request.idempotencyKey = options.key;
  request.source = options.source;
  request.note = options.note;
  const auto receipt = billingService.sell(request);
  const std::string target = "meter:" + std::to_string(meterId);
  const json asked{{"meter", options.meter},
                   {"amount_fen", options.amountFen},
                   {"idempotency_key", options.key},
                   {"source", options.source}};
  if (!receipt) {
    const auto code = receipt.error().code;
    // Refused sales are audited too (as the HTTP layer does), with the error code as outcome.
    recordAudit(db,
                auditEntry("sale", target, asked, nullptr, std::string(billing::toString(code))));
    std::cout << json{{"error",
                       {{"code", std::string(billing::toString(code))},
                        {"message", receipt.error().message}}}}
                     .dump()
              << "\n";
    return code == billing::BillingErrorCode::Storage || code == billing::BillingErrorCode::Busy
               ? 3
               : 5;
  }
  json out{{"entry_id", receipt->entryId},
           {"meter", options.meter},
           {"amount_fen", receipt->amountFen},
           {"balance_after_fen", receipt->balanceAfterFen},
           {"replayed", receipt->replay == billing::Replay::Replayed}};
  out["purchase_count"] = receipt->purchaseCount ? json(*receipt->purchaseCount) : json(nullptr);
  out["recharge_command_id"] =
      receipt->rechargeCommandId ? json(*receipt->rechargeCommandId) : json(nullptr);
  out["close_command_id"] =
      receipt->closeCommandId ? json(*receipt->closeCommandId) : json(nullptr);
  if (receipt->replay == billing::Replay::New) {
    recordAudit(db, auditEntry("sale", target, asked,
                               json{{"entry_id", receipt->entryId},
                                    {"amount_fen", receipt->amountFen},
                                    {"balance_after_fen", receipt->balanceAfterFen}}));
  }
  std::cout << out.dump() << "\n";
  return 0;
}

}  // namespace

void registerSellCommand(CLI::App& app, CommandResult& result) {
  auto options = std::make_shared<SellOptions>();
  auto* command = app.add_subcommand("sell", "sell electricity to a meter (售电)");
  command->add_option("--db", options->db, "site database file")->required();
  command->add_option("--meter", options->meter, "meter serial (表号)")->required();
  command->add_option("--amount-fen", options->amountFen, "amount in fen (> 0)")
      ->required()
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{100000000000}));
  command
      ->add_option("--key", options->key,
                   "idempotency key (order number): a retry with the "
                   "same key never sells twice")
      ->required();
  command->add_option("--source", options->source, "operator or channel (ledger source)");
  command->add_option("--note", options->note, "note kept with the ledger entry");
  command->callback([options, &result] { result.exitCode = sell(*options); });
}

}  // namespace prepaid::backend::ctl
