#include "status_command.hpp"

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "ctl_audit.hpp"
#include <nlohmann/json.hpp>

#include "prepaid/collect/command_service.hpp"
#include "prepaid/store/store.hpp"

namespace prepaid::backend::ctl {

namespace {

using json = nlohmann::json;

std::string linkName(store::LinkState state) {
  return state == store::LinkState::Online ? "online" : "lost";
}

json errorJson(std::string_view code, const std::string& message) {
  return json{{"error", {{"code", std::string(code)}, {"message", message}}}};
}

std::unique_ptr<store::Store> openExisting(const std::string& path, int& exitCode) {
  store::StoreOptions options;
  options.create = store::StoreOptions::Create::MustExist;
  auto opened = store::openSqliteStore(path, options);
  if (!opened) {
    std::cout << errorJson(store::toString(opened.error().code), opened.error().message).dump()
              << "\n";
    exitCode = 3;
    return nullptr;
  }
  return std::move(*opened);
}

int status(const std::string& path, const std::string& serial) {
  int exitCode = 0;
  auto db = openExisting(path, exitCode);
  if (!db) {
    return exitCode;
  }
  json out;
  const auto read =
      db->read([&](const store::ReadTransaction& tx) -> std::expected<void, store::StoreError> {
        auto gateways = tx.gateways().gateways();
        if (!gateways) {
          return std::unexpected(gateways.error());
        }
        out["gateways"] = json::array();
        for (const auto& gateway : *gateways) {
          out["gateways"].push_back({{"name", gateway.name},
                                     {"uri", gateway.transportUri},
                                     {"link", linkName(gateway.linkState)}});
        }
        auto meters = tx.meters().meters();
        if (!meters) {
          return std::unexpected(meters.error());
        }
        out["meters"] = json::array();
        for (const auto& meter : *meters) {
          if (!serial.empty() && meter.serial != serial) {
            continue;
          }
          auto balance = tx.ledger().balanceFen(meter.id);
          if (!balance) {
            return std::unexpected(balance.error());
          }
          auto latest = tx.readings().latest(meter.id);
          if (!latest) {
            return std::unexpected(latest.error());
          }
          json row{{"serial", meter.serial},
                   {"link", linkName(meter.linkState)},
                   {"billing", std::string(domain::toString(meter.billingMode))},
                   {"purchase_count", meter.purchaseCount},
                   {"balance_fen", *balance},
                   {"sales_blocked", meter.salesBlock == store::SalesBlock::Blocked},
                   {"sales_block_reason", meter.salesBlockReason},
                   {"keep_power", meter.keepPower == store::KeepPower::On}};
          if (*latest) {
            const auto& r = **latest;
            row["last_reading"] = {
                {"read_at", r.readAt.time_since_epoch().count()},
                {"energy_centi_kwh", r.energyTotalCentiKwh},
                {"meter_balance_fen", r.balanceFen ? json(*r.balanceFen) : json(nullptr)},
                {"meter_purchase_count", r.purchaseCount ? json(*r.purchaseCount) : json(nullptr)},
                {"relay", r.relay ? json(std::string(domain::toString(*r.relay))) : json(nullptr)}};
          } else {
            row["last_reading"] = nullptr;
          }
          out["meters"].push_back(row);
        }
        json commands;
        for (const auto state :
             {store::CommandState::Queued, store::CommandState::Sending, store::CommandState::Done,
              store::CommandState::Failed, store::CommandState::OutcomeUnknown}) {
          auto inState = tx.commands().inState(state, 1000000);
          if (!inState) {
            return std::unexpected(inState.error());
          }
          commands[std::string(store::toString(state))] = inState->size();
        }
        out["commands"] = commands;
        auto alarms = tx.alarms().openAlarms();
        if (!alarms) {
          return std::unexpected(alarms.error());
        }
        out["alarms"] = json::array();
        for (const auto& alarm : *alarms) {
          json row{{"kind", std::string(store::toString(alarm.kind))}, {"detail", alarm.detail}};
          if (alarm.subject.meterId) {
            auto meter = tx.meters().meter(*alarm.subject.meterId);
            row["meter"] = meter ? json(meter->serial) : json(*alarm.subject.meterId);
          }
          if (alarm.subject.gatewayId) {
            auto gateway = tx.gateways().gateway(*alarm.subject.gatewayId);
            row["gateway"] = gateway ? json(gateway->name) : json(*alarm.subject.gatewayId);
          }
          out["alarms"].push_back(row);
        }
        return {};
      });
  if (!read) {
    std::cout << errorJson(store::toString(read.error().code), read.error().message).dump() << "\n";
    return 3;
  }
  const auto verification = db->verifyLedger();
  out["ledger_consistent"] = verification && verification->ok();
  std::cout << out.dump(2) << "\n";
  return 0;
}

struct RemoteOptions {
  std::string db;
  std::string kind;
  std::vector<std::string> meters;
  std::string payload;
  std::string batch;
};

int remote(const RemoteOptions& options) {
  const auto kind = collect::parseCommandKind(options.kind);
  if (!kind) {
    std::cout << errorJson("invalid_argument", "unknown command kind '" + options.kind + "'").dump()
              << "\n";
    return 1;
  }
  int exitCode = 0;
  auto db = openExisting(options.db, exitCode);
  if (!db) {
    return exitCode;
  }
  std::vector<store::MeterId> ids;
  const auto read =
      db->read([&](const store::ReadTransaction& tx) -> std::expected<void, store::StoreError> {
        for (const auto& serial : options.meters) {
          auto meter = tx.meters().meterBySerial(serial);
          if (!meter) {
            return std::unexpected(store::StoreError{
                meter.error().code, "meter " + serial + ": " + meter.error().message});
          }
          ids.push_back(meter->id);
        }
        return {};
      });
  if (!read) {
    std::cout << errorJson("unknown_meter", read.error().message).dump() << "\n";
    return 1;
  }
  collect::CommandService service(*db, collect::systemNow);
  const auto batch = service.sendBatch(ids, {*kind, options.payload}, options.batch);
  const json asked{{"meters", options.meters}, {"meter_ids", ids}, {"payload", options.payload}};
  const std::string action = "command." + std::string(store::toString(*kind));
  if (!batch) {
    recordAudit(*db, auditEntry(action, "meters", asked, nullptr,
                                std::string(collect::toString(batch.error().code))));
    std::cout << errorJson(collect::toString(batch.error().code), batch.error().message).dump()
              << "\n";
    return batch.error().code == collect::CollectErrorCode::Store ? 3 : 1;
  }
  json out{{"batch", batch->batchId}, {"commands", json::array()}};
  for (const auto& command : batch->commands) {
    out["commands"].push_back({{"id", command.id}, {"meter_id", command.meterId}});
  }
  recordAudit(*db, auditEntry(action, "batch:" + batch->batchId, asked, out));
  std::cout << out.dump() << "\n";
  return 0;
}

}  // namespace

void registerStatusCommands(CLI::App& app, CommandResult& result) {
  auto db = std::make_shared<std::string>();
  auto serial = std::make_shared<std::string>();
  auto* statusCommand = app.add_subcommand("status", "site status as JSON");
  statusCommand->add_option("--db", *db, "site database file")->required();
  statusCommand->add_option("--meter", *serial, "only this meter (serial)");
  statusCommand->callback([db, serial, &result] { result.exitCode = status(*db, *serial); });

  auto options = std::make_shared<RemoteOptions>();
  auto* command = app.add_subcommand("command", "queue a remote command for meters (one batch)");
  command->add_option("--db", options->db, "site database file")->required();
  command
      ->add_option("--kind", options->kind,
                   "price, settings, keep_power_on, keep_power_off, resume_prepaid, trip, "
                   "close, read_now")
      ->required();
  command->add_option("--meter", options->meters, "meter serial (repeat for a batch)")->required();
  command->add_option("--payload", options->payload,
                      "price: sharp=…;peak=…;flat=…;valley=… (micro-yuan/kWh); settings: "
                      "alarm1_fen=…;alarm2_fen=…;overload_w=…");
  command->add_option("--batch", options->batch, "batch id (default: generated)");
  command->callback([options, &result] { result.exitCode = remote(*options); });
}

}  // namespace prepaid::backend::ctl
