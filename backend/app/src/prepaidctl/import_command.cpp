#include "import_command.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "ctl_audit.hpp"
#include <nlohmann/json.hpp>

#include "prepaid/domain/billing_mode.hpp"
#include "prepaid/domain/trip_policy.hpp"
#include "prepaid/http/audit_log.hpp"
#include "prepaid/store/store.hpp"

namespace prepaid::backend::ctl {

namespace {

using json = nlohmann::json;

constexpr std::array<std::string_view, 11> Columns = {
    "serial",     "profile",      "unit_address", "gateway",    "shop_number",
    "medium",     "billing_mode", "alarm1_fen",   "alarm2_fen", "overload_threshold_w",
    "trip_policy"};
constexpr std::size_t RequiredColumns = 4;  // serial, profile, unit_address, gateway
constexpr std::size_t MaxRows = 5000;

// RFC 4180 fields: quotes around a field, "" inside quotes. False for an unterminated quote.
bool splitCsv(const std::string& line, std::vector<std::string>& cells) {
  cells.assign(1, "");
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cells.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cells.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      cells.emplace_back();
    } else {
      cells.back() += c;
    }
  }
  return !quoted;
}

struct Row {
  std::int64_t line = 0;
  store::Meter meter;
  std::string gateway;
  std::string shop;
};

struct Report {
  json errors = json::array();
  void add(std::int64_t row, std::string_view column, const std::string& message) {
    errors.push_back({{"row", row}, {"column", column}, {"message", message}});
  }
};

std::optional<std::int64_t> integer(const std::string& cell, std::int64_t low, std::int64_t high) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
  if (ec != std::errc{} || end != cell.data() + cell.size() || value < low || value > high) {
    return std::nullopt;
  }
  return value;
}

// One data row into a meter; problems go to the report under the row's line number.
std::optional<Row> parseRow(std::int64_t line, const std::vector<std::string>& cells,
                            const std::vector<std::size_t>& index, Report& report) {
  Row row;
  row.line = line;
  auto& meter = row.meter;
  meter.billingMode = domain::BillingMode::ServerSide;
  bool ok = true;
  const auto bad = [&](std::string_view column, const std::string& message) {
    report.add(line, column, message);
    ok = false;
  };
  for (std::size_t c = 0; c < Columns.size(); ++c) {
    const auto column = Columns[c];
    const std::string cell =
        index[c] < cells.size() ? cells[index[c]] : std::string();  // SIZE_MAX: absent column
    if (cell.empty()) {
      if (c < RequiredColumns) {
        bad(column, "required");
      }
      continue;
    }
    if (column == "serial") {
      if (cell.size() > 32) {
        bad(column, "at most 32 characters");
      }
      meter.serial = cell;
    } else if (column == "profile") {
      meter.profile = cell;
    } else if (column == "unit_address") {
      const auto unit = integer(cell, 1, 247);
      unit ? void(meter.unitAddress = *unit) : bad(column, "must be an integer 1..247");
    } else if (column == "gateway") {
      row.gateway = cell;
    } else if (column == "shop_number") {
      row.shop = cell;
    } else if (column == "medium") {
      if (cell != "electricity" && cell != "water") {
        bad(column, "electricity or water");
      }
      meter.medium = cell == "water" ? domain::Medium::Water : domain::Medium::Electricity;
    } else if (column == "billing_mode") {
      const auto mode = domain::parseBillingMode(cell);
      mode ? void(meter.billingMode = *mode) : bad(column, "meter_side or server_side");
    } else if (column == "trip_policy") {
      const auto kind = domain::parseTripPolicyKind(cell);
      kind ? void(meter.tripPolicy.kind = *kind) : bad(column, "immediate, never or delayed");
    } else {
      const auto high = column.ends_with("_w") ? 10'000'000 : 100'000'000;
      const auto value = integer(cell, 1, high);
      if (!value) {
        bad(column, "must be an integer 1.." + std::to_string(high));
      } else if (column == "alarm1_fen") {
        meter.alarm1Fen = *value;
      } else if (column == "alarm2_fen") {
        meter.alarm2Fen = *value;
      } else {
        meter.overloadThresholdW = *value;
      }
    }
  }
  if (meter.alarm1Fen && meter.alarm2Fen && *meter.alarm2Fen >= *meter.alarm1Fen) {
    bad("alarm2_fen", "must be below alarm1_fen");
  }
  return ok ? std::optional<Row>(std::move(row)) : std::nullopt;
}

int importMeters(const std::string& dbFile, const std::string& csvFile) {
  std::ifstream in(csvFile, std::ios::binary);
  if (!in) {
    std::cerr << "prepaidctl: cannot read " << csvFile << "\n";
    return 1;
  }
  Report report;
  std::vector<Row> rows;
  std::vector<std::size_t> index(Columns.size(), SIZE_MAX);
  bool header = true;
  std::string line;
  std::vector<std::string> cells;
  for (std::int64_t number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    if (number == 1 && line.starts_with("\xEF\xBB\xBF")) {
      line.erase(0, 3);  // Excel's UTF-8 BOM
    }
    if (line.empty()) {
      continue;
    }
    if (!splitCsv(line, cells)) {
      report.add(number, "", "unterminated quoted field");
      continue;
    }
    if (header) {
      header = false;
      for (std::size_t i = 0; i < cells.size(); ++i) {
        const auto it = std::ranges::find(Columns, std::string_view(cells[i]));
        if (it == Columns.end()) {
          report.add(number, cells[i], "unknown column");
        } else {
          index[static_cast<std::size_t>(it - Columns.begin())] = i;
        }
      }
      for (std::size_t c = 0; c < RequiredColumns; ++c) {
        if (index[c] == SIZE_MAX) {
          report.add(number, Columns[c], "required column missing");
        }
      }
      if (!report.errors.empty()) {
        break;
      }
      continue;
    }
    if (rows.size() >= MaxRows) {
      report.add(number, "", "at most 5000 meters per import");
      break;
    }
    if (auto row = parseRow(number, cells, index, report)) {
      rows.push_back(std::move(*row));
    }
  }
  if (header && report.errors.empty()) {
    report.add(0, "", "the file is empty (a header row is required)");
  }

  std::int64_t imported = 0;
  if (report.errors.empty()) {
    store::StoreOptions options;
    options.create = store::StoreOptions::Create::MustExist;
    auto opened = store::openSqliteStore(dbFile, options);
    if (!opened) {
      std::cerr << "prepaidctl: " << dbFile << ": " << opened.error().message << "\n";
      return 3;
    }
    // One write transaction: any bad row rolls the whole file back (nothing half-imported).
    const store::StoreError refused{store::StoreErrorCode::InvalidArgument, "import refused"};
    auto written = (*opened)->write(
        [&](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
          auto gateways = tx.gateways().gateways();
          if (!gateways) {
            return std::unexpected(gateways.error());
          }
          std::set<std::string> serials;
          for (auto& row : rows) {
            const auto gateway = std::ranges::find_if(
                *gateways, [&](const auto& g) { return g.name == row.gateway; });
            if (gateway == gateways->end()) {
              report.add(row.line, "gateway", "no gateway named '" + row.gateway + "'");
              continue;
            }
            row.meter.gatewayId = gateway->id;
            if (!row.shop.empty()) {
              auto shop = tx.buildings().shopByNumber(row.shop);
              if (!shop) {
                report.add(row.line, "shop_number", "no shop '" + row.shop + "'");
                continue;
              }
              row.meter.shopId = shop->id;
            }
            if (!serials.insert(row.meter.serial).second) {
              report.add(row.line, "serial",
                         "serial '" + row.meter.serial + "' appears twice in the file");
              continue;
            }
            auto added = tx.meters().add(row.meter);
            if (!added) {
              const bool duplicate = added.error().code == store::StoreErrorCode::Duplicate;
              report.add(row.line, duplicate ? "serial" : "",
                         duplicate ? "serial '" + row.meter.serial + "' exists already"
                                   : added.error().message);
              continue;
            }
            ++imported;
          }
          if (!report.errors.empty()) {
            return std::unexpected(refused);
          }
          http::AuditEntry entry;
          entry.at = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
          entry.actor = auditActor();
          entry.client = AuditClient;
          entry.action = "meter.import";
          entry.target = "meters";
          entry.afterJson = json{{"imported", imported}, {"file", csvFile}}.dump();
          if (auto audited = http::appendAudit(tx, entry); !audited) {
            return std::unexpected(audited.error());
          }
          return {};
        });
    if (!written && report.errors.empty()) {
      std::cerr << "prepaidctl: " << written.error().message << "\n";
      return 3;
    }
  }
  if (!report.errors.empty()) {
    for (const auto& error : report.errors) {
      std::cerr << csvFile << ":" << error["row"].get<std::int64_t>() << ": "
                << error["column"].get<std::string>()
                << (error["column"].get<std::string>().empty() ? "" : ": ")
                << error["message"].get<std::string>() << "\n";
    }
    std::cout << json{{"imported", 0}, {"errors", report.errors}}.dump() << "\n";
    return 1;
  }
  std::cout << json{{"imported", imported}}.dump() << "\n";
  return 0;
}

}  // namespace

void registerImportCommand(CLI::App& app, CommandResult& result) {
  auto* meters = app.add_subcommand("meters", "meter administration");
  meters->require_subcommand(1);
  auto db = std::make_shared<std::string>();
  auto file = std::make_shared<std::string>();
  auto* import = meters->add_subcommand(
      "import", "import meters from CSV: all rows or none, with a per-row error report");
  import->add_option("--db", *db, "site database file")->required();
  import->add_option("FILE", *file, "CSV file (header row; columns as POST /api/v1/meters/import)")
      ->required();
  import->callback([db, file, &result] { result.exitCode = importMeters(*db, *file);
});
}  // namespace prepaid::backend::ctl

}  // namespace prepaid::backend::ctl
