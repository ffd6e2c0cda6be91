// bench-api: the kiosk balance query under load. Builds a demo-size site (default 120 shops, one
// server-side meter each, every shop with an open account, 30 days of readings), starts the real
// HttpServer on a free loopback port and runs wrk (Debian package) with 50 connections against
// GET /api/v1/kiosk/accounts/{id} (balance, status, relay, last reading, today's energy, days
// left). Prints requests/s and the p50/p99 latency wrk reports. Goal: p99 < 20 ms.

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <regex>
#include <string>

#include <CLI/CLI.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <stdlib.h>

#include "prepaid/billing/billing_service.hpp"
#include "prepaid/http/access_admin.hpp"
#include "prepaid/http/http_server.hpp"
#include "prepaid/version.hpp"

namespace {

using namespace prepaid;
using Json = nlohmann::json;

domain::Instant now() {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

bool seed(store::Store& db, int shops) {
  std::vector<store::MeterId> meters;
  auto written =
      db.write([&](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
        auto building = tx.buildings().addBuilding("Tower");
        if (!building) {
          return std::unexpected(building.error());
        }
        auto floor = tx.buildings().addFloor(building->id, "1F", 1);
        store::Gateway gateway;
        gateway.name = "gw1";
        gateway.transportUri = "tcp://127.0.0.1:1502";
        auto gw = tx.gateways().add(gateway);
        if (!floor || !gw) {
          return std::unexpected(store::StoreError{store::StoreErrorCode::Internal, "seed"});
        }
        for (int i = 1; i <= shops; ++i) {
          store::Shop shop;
          shop.floorId = floor->id;
          shop.number = "S" + std::to_string(1000 + i);
          auto addedShop = tx.buildings().addShop(shop);
          store::Meter meter;
          meter.serial = "M" + std::to_string(1000 + i);
          meter.profile = "ddsy1352";
          meter.unitAddress = 1 + (i % 32);
          meter.gatewayId = gw->id;
          meter.shopId = addedShop->id;
          auto addedMeter = tx.meters().add(meter);
          if (!addedShop || !addedMeter) {
            return std::unexpected(store::StoreError{store::StoreErrorCode::Internal, "seed"});
          }
          store::Tenant tenant;
          tenant.name = "商户" + std::to_string(i);
          auto addedTenant = tx.accounts().addTenant(tenant);
          auto account = tx.accounts().openAccount(addedTenant->id, {addedMeter->id}, now());
          auto status = tx.meters().setStatus(addedMeter->id, store::MeterStatus::Opened);
          if (!account || !status) {
            return std::unexpected(store::StoreError{store::StoreErrorCode::Internal, "seed"});
          }
          meters.push_back(addedMeter->id);
        }
        return {};
      });
  if (!written) {
    std::cerr << "seed failed: " << written.error().message << "\n";
    return false;
  }
  // 30 days of readings, four a day, so today's energy and days left have roll-ups to read.
  std::vector<store::Reading> readings;
  const auto start = now() - std::chrono::days(30);
  for (const auto meter : meters) {
    for (int step = 0; step <= 30 * 4; ++step) {
      store::Reading reading;
      reading.meterId = meter;
      reading.readAt = start + std::chrono::hours(6 * step);
      reading.energyTotalCentiKwh = 100000 + step * 250;
      reading.energyByRateCentiKwh = {0, step * 100, step * 100, step * 50};
      reading.relay = domain::RelayState::Closed;
      readings.push_back(reading);
    }
  }
  if (!db.writeReadings(readings)) {
    std::cerr << "readings failed\n";
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bench-api: wrk load on the kiosk balance query"};
  app.set_version_flag("--version", std::string(prepaid::Version));
  int shops = 120;
  int seconds = 10;
  int connections = 50;
  int threads = 2;
  app.add_option("--shops", shops, "shops (one meter and one account each)")
      ->check(CLI::Range(1, 5000));
  app.add_option("--seconds", seconds, "wrk duration")->check(CLI::Range(1, 600));
  app.add_option("--connections", connections, "wrk connections")->check(CLI::Range(1, 1000));
  app.add_option("--threads", threads, "wrk threads")->check(CLI::Range(1, 64));
  CLI11_PARSE(app, argc, argv);
  threads = std::min(threads, connections);

  std::string pattern = (std::filesystem::temp_directory_path() / "bench-api-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    std::cerr << "mkdtemp failed\n";
    return 1;
  }
  const std::filesystem::path dir = pattern;
  int status = 1;
  {
    store::StoreOptions storeOptions;
    storeOptions.readerConnections = 8;  // what prepaid-backend should configure for the API
    auto opened = store::openSqliteStore(dir / "site.db", storeOptions);
    if (!opened) {
      std::cerr << "cannot open store\n";
      return 1;
    }
    auto& db = **opened;
    if (!seed(db, shops)) {
      return 1;
    }
    backend::billing::BillingService billing(db, now);
    backend::http::HttpOptions options;
    options.threads = static_cast<std::size_t>(connections) + 8;  // one per keep-alive connection
    options.tenantTokenTtl = std::chrono::hours(1);
    backend::http::HttpServer server(backend::http::HttpServices{db, &billing, nullptr, {}, now},
                                     options);
    const auto port = server.start("127.0.0.1", 0, std::nullopt);
    if (!port) {
      std::cerr << "cannot start: " << port.error().message << "\n";
      return 1;
    }
    const auto kiosk = backend::http::createKiosk(db, "bench", now(), "bench").value();
    httplib::Client client("127.0.0.1", *port);
    auto identify =
        client.Post("/api/v1/kiosk/identify", {{"X-Kiosk-Key", kiosk.key}},
                    Json{{"shop_number", "S" + std::to_string(1000 + (shops + 1) / 2)}}.dump(),
                    "application/json");
    if (!identify || identify->status != 200) {
      std::cerr << "identify failed\n";
      return 1;
    }
    const auto body = Json::parse(identify->body);
    const auto path =
        "/api/v1/kiosk/accounts/" + std::to_string(body["account_id"].get<std::int64_t>());
    const auto token = body["tenant_token"].get<std::string>();

    const auto command = "wrk -t" + std::to_string(threads) + " -c" + std::to_string(connections) +
                         " -d" + std::to_string(seconds) +
                         "s --latency -H 'X-Kiosk-Key: " + kiosk.key +
                         "' -H 'X-Tenant-Token: " + token +
                         "' http://127.0.0.1:" + std::to_string(*port) + path + " 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    std::string output;
    if (pipe != nullptr) {
      char buffer[512];
      while (std::fgets(buffer, sizeof(buffer), pipe) != nullptr) {
        output += buffer;
      }
      status = pclose(pipe) == 0 ? 0 : 1;
    }
    server.stop();
    std::smatch match;
    const std::regex rps(R"(Requests/sec:\s+([0-9.]+))");
    const std::regex p50(R"(\n\s+50%\s+([0-9.]+\w+))");
    const std::regex p99(R"(\n\s+99%\s+([0-9.]+\w+))");
    const std::regex errors(R"(Non-2xx or 3xx responses:\s+(\d+))");
    std::cout << "bench-api: " << shops << " shops, wrk " << connections << " connections, "
              << seconds << " s on GET " << path << "\n";
    if (std::regex_search(output, match, rps)) {
      std::cout << "requests/s: " << match[1] << "\n";
    } else {
      std::cout << output;
      status = 1;
    }
    if (std::regex_search(output, match, p50)) {
      std::cout << "latency p50: " << match[1] << "\n";
    }
    if (std::regex_search(output, match, p99)) {
      std::cout << "latency p99: " << match[1] << " (goal < 20ms)\n";
    }
    if (std::regex_search(output, match, errors)) {
      std::cout << "non-2xx responses: " << match[1] << "\n";
      status = 1;
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return status;
}
