// bench-pay-credit: the time from the provider's payment to the meter's confirmed credit, with
// the 9600-baud buses busy polling (issue 7, "Tests and measurement").
//
//   prepaid-meter-sim       G gateways x M meter-side meters, RTU over TCP, 9600 baud 8E1
//   collection engine       in process, as prepaid-backend wires it: the real drivers
//                           (backend/app's DeviceBusFactory), the billing sink, collection
//                           interval 1 s so every bus polls without pause
//   PaymentService          the real WeChat Pay / Alipay clients against prepaid-pay-sim (in
//                           process, its own loopback server); notifications are posted to the
//                           backend's HTTP notification routes (HttpServer on a free port)
//
// N QR orders spread over the meters (gateway i % G, so every bus gets its share) are paid one
// after the other through pay-sim's control API (POST /sim/trades/{no}/pay), one every
// --pay-interval-ms. For each order, from t0 = the simulator marks the trade paid: paid (the
// verified notification through the HTTP route), crediting (ledger entry + Recharge command),
// credited (the bus worker delivered the recharge, read the purchase count back, marked the
// command done, and the payment worker saw it: at most one --tick-ms later). Printed: p50 / p95
// / max of t0 -> credited and of each leg. Goal: p95 < 2 s.
//
// The fixture (simulator process, store, gateways, meters with their MAC keys and open accounts)
// is tests/integration/backend's EngineSite, so the program runs as one GoogleTest.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "billing_sink.hpp"
#include "device_bus_factory.hpp"
#include "engine_site.hpp"
#include <CLI/CLI.hpp>
#include <gtest/gtest.h>
#include <httplib.h>
#include <spdlog/spdlog.h>

#include "prepaid/collect/collection_engine.hpp"
#include "prepaid/http/http_server.hpp"
#include "prepaid/payments/payment_service.hpp"
#include "prepaid/payments/provider_settings.hpp"
#include "prepaid/sim/pay_sim_server.hpp"
#include "prepaid/version.hpp"

namespace {

using namespace prepaid;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;
using OrderState = store::PaymentOrderState;

struct BenchOptions {
  int gateways = 4;
  int meters = 32;
  int orders = 100;
  int payIntervalMs = 250;
  int baud = 9600;
  double turnaroundMs = 20;
  int responseTimeoutMs = 500;
  int tickMs = 50;
  bool wake = true;                // PaymentOptions::commandsQueued wakes the bus workers
  bool lostNotifications = false;  // pay-sim sends none: the service's polling finds the payment
  int commandCheckMs = 250;
  double goalS = 2.0;
  bool check = false;
};

BenchOptions g_options;
bool g_goalMet = true;

struct Timeline {
  std::string orderNo;
  store::MeterId meterId = 0;
  std::optional<SteadyClock::time_point> paid;
  std::optional<SteadyClock::time_point> crediting;
  std::optional<SteadyClock::time_point> credited;
};

double percentile(std::vector<double> values, double p) {
  if (values.empty()) {
    return 0;
  }
  std::ranges::sort(values);
  // Nearest rank: the smallest value with at least p of the samples at or below it.
  const auto rank =
      static_cast<std::size_t>(std::max(1.0, std::ceil(p * static_cast<double>(values.size()))));
  return values[std::min(rank, values.size()) - 1];
}

void report(const char* what, const std::vector<double>& seconds) {
  std::printf("  %-38s n=%3zu  p50 %6.3f s  p95 %6.3f s  max %6.3f s\n", what, seconds.size(),
              percentile(seconds, 0.50), percentile(seconds, 0.95),
              seconds.empty() ? 0.0 : *std::ranges::max_element(seconds));
}

double secondsBetween(SteadyClock::time_point from, SteadyClock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

TEST(BenchPayCredit, PaymentToConfirmedCredit) {
  const auto& o = g_options;
  test::EngineSite site;
  ASSERT_TRUE(site.startSim({"--gateways", std::to_string(o.gateways), "--meters-per-gateway",
                             std::to_string(o.meters), "--protocol", "rtu-over-tcp", "--baud",
                             std::to_string(o.baud), "--parity", "E", "--turnaround-ms",
                             std::to_string(o.turnaroundMs), "--profile-dir",
                             PREPAID_SOURCE_DIR "/assets/meters"}));
  // Interval 1 s: every meter is due again before its bus finishes a pass, so the buses never
  // idle — a recharge always finds a poll in flight ahead of it.
  site.settings(1, 3);
  std::vector<store::Gateway> gateways;
  for (int g = 0; g < o.gateways; ++g) {
    gateways.push_back(site.addGateway(g, "rtu+tcp"));
  }
  site.write([&](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
    for (auto gateway : gateways) {
      gateway.responseTimeoutMs = o.responseTimeoutMs;  // the shared machine answers late at times
      if (auto updated = tx.gateways().update(gateway); !updated) {
        return updated;
      }
    }
    return {};
  });
  std::vector<std::vector<store::MeterId>> meters(static_cast<std::size_t>(o.gateways));
  for (int g = 0; g < o.gateways; ++g) {
    for (int unit = 1; unit <= o.meters; ++unit) {
      meters[static_cast<std::size_t>(g)].push_back(
          site.addMeter(test::EngineSite::spec(g, unit)).id);
    }
  }

  // The engine, wired as prepaid-backend does.
  backend::app::BillingSink sink(site.billing());
  backend::app::DeviceBusFactory factory(PREPAID_SOURCE_DIR "/assets/meters", 20);
  backend::collect::CollectOptions collectOptions;
  collectOptions.commandCheck = std::chrono::milliseconds(o.commandCheckMs);
  collectOptions.retryBase = 500ms;
  collectOptions.maxBackoff = 2000ms;
  collectOptions.commandRetryBase = 200ms;
  collectOptions.commandRetryMax = 1000ms;
  collectOptions.batchDelay = 50ms;
  collectOptions.workerStackBytes = 512 * 1024;
  backend::collect::CollectionEngine engine(site.db(), factory, &sink, collectOptions);
  sink.onCommands([&engine] { engine.commandsQueued(); });
  ASSERT_TRUE(engine.start().has_value());
  // Billing mirrors each meter's purchase count from its first reading; sell before that and
  // the count check has nothing to compare with.
  ASSERT_TRUE(test::eventually(
      [&] {
        for (const auto& bus : meters) {
          for (const auto id : bus) {
            const auto reading = site.latestReading(id);
            if (!reading || !reading->purchaseCount) {
              return false;
            }
          }
        }
        return true;
      },
      120s))
      << "not every meter was read";

  // Payments: the service, the backend's HTTP server (notification routes), pay-sim.
  std::mutex timesMutex;
  std::map<std::string, Timeline> times;
  backend::payments::PaymentOptions paymentOptions;
  if (o.wake) {
    paymentOptions.commandsQueued = [&engine] { engine.commandsQueued(); };
  }
  paymentOptions.onTransition = [&](const store::PaymentOrder& order, OrderState) {
    const auto now = SteadyClock::now();
    std::scoped_lock lock(timesMutex);
    auto& timeline = times[order.orderNo];
    switch (order.state) {
      case OrderState::Paid:
        timeline.paid = now;
        break;
      case OrderState::Crediting:
        timeline.crediting = now;
        break;
      case OrderState::Credited:
        timeline.credited = now;
        break;
      default:
        break;
    }
  };
  backend::payments::PaymentService payments(site.db(), site.billing(), test::wallNow,
                                             paymentOptions);
  backend::http::HttpOptions httpOptions;
  httpOptions.threads = 8;
  httpOptions.log = [](const std::string& line) { spdlog::warn("http: {}", line); };
  backend::http::HttpServices services{site.db(), &site.billing(), nullptr, {}, test::wallNow};
  services.payments = &payments;
  backend::http::HttpServer server(services, httpOptions);
  const auto port = server.start("127.0.0.1", 0, std::nullopt);
  ASSERT_TRUE(port.has_value()) << port.error().message;
  const auto keysDir = site.dir() / "pay-sim";
  auto keys = devices::sim::loadOrCreatePaySimKeys(keysDir);
  ASSERT_TRUE(keys.has_value()) << keys.error();
  devices::sim::PaySimServer paySim(*keys);
  ASSERT_TRUE(paySim.start("127.0.0.1", 0).has_value());
  if (o.lostNotifications) {
    devices::sim::PaySimFaults faults;
    faults.notify = devices::sim::NotifyMode::Lost;
    paySim.setFaults(faults);
  }
  ASSERT_TRUE(devices::sim::writeProviderSettings(
                  keysDir, *keys, paySim.baseUrl(),
                  "http://127.0.0.1:" + std::to_string(*port) + "/api/v1/payments/notify")
                  .has_value());
  auto settings = backend::payments::loadProviderSettings(keysDir / "providers.json");
  ASSERT_TRUE(settings.has_value()) << settings.error().message;
  auto providers = backend::payments::makeProviders(*settings, test::wallNow);
  ASSERT_TRUE(providers.has_value()) << providers.error().message;
  for (auto& provider : *providers) {
    payments.addProvider(std::move(provider));
  }
  payments.start(o.tickMs, 3600);

  // Orders spread over the buses: order i goes to gateway i % G.
  std::vector<store::PaymentOrder> orders;
  for (int i = 0; i < o.orders; ++i) {
    const auto& bus = meters[static_cast<std::size_t>(i % o.gateways)];
    backend::payments::CreateOrderRequest request;
    request.meterId = bus[static_cast<std::size_t>((i / o.gateways) % o.meters)];
    request.amountFen = 100 + i;
    request.provider = i % 2 == 0 ? backend::payments::ProviderKind::Wechat
                                  : backend::payments::ProviderKind::Alipay;
    request.idempotencyKey = "bench-" + std::to_string(i);
    request.source = "kiosk:bench";
    auto order = payments.createOrder(request);
    ASSERT_TRUE(order.has_value()) << order.error().message;
    ASSERT_EQ(order->state, OrderState::Pending);
    orders.push_back(*order);
    std::scoped_lock lock(timesMutex);
    times[order->orderNo].orderNo = order->orderNo;
    times[order->orderNo].meterId = order->meterId;
  }

  // The customers pay, one every --pay-interval-ms (pacing, not waiting for readiness).
  httplib::Client control(paySim.baseUrl());
  const auto firstPayment = SteadyClock::now();
  for (const auto& order : orders) {
    auto paid = control.Post("/sim/trades/" + order.orderNo + "/pay", "", "application/json");
    ASSERT_TRUE(paid && paid->status == 200) << (paid ? paid->body : "no answer");
    std::this_thread::sleep_for(std::chrono::milliseconds(o.payIntervalMs));
  }

  // Every order credited: the meter confirmed its recharge (command done) and the payment
  // service saw it (within one worker tick).
  const bool allCredited = test::eventually(
      [&] {
        std::scoped_lock lock(timesMutex);
        return std::ranges::all_of(
            times, [](const auto& item) { return item.second.credited.has_value(); });
      },
      180s);
  EXPECT_TRUE(allCredited);
  const auto lastCredit = SteadyClock::now();
  payments.stop();
  server.stop();
  paySim.stop();
  engine.stop();
  const auto stats = engine.stats();

  std::vector<double> total;
  std::vector<double> notify;
  std::vector<double> post;
  std::vector<double> meter;
  std::size_t missing = 0;
  for (const auto& order : orders) {
    const auto& timeline = times.at(order.orderNo);
    const auto paidAt = paySim.paidAt(order.orderNo);
    if (!paidAt || !timeline.paid || !timeline.crediting || !timeline.credited) {
      ++missing;
      continue;
    }
    total.push_back(secondsBetween(*paidAt, *timeline.credited));
    notify.push_back(secondsBetween(*paidAt, *timeline.paid));
    post.push_back(secondsBetween(*timeline.paid, *timeline.crediting));
    meter.push_back(secondsBetween(*timeline.crediting, *timeline.credited));
  }
  std::printf(
      "bench-pay-credit: %d gateways x %d meter-side meters, %d baud 8E1 (RTU over TCP), "
      "turnaround %.0f ms, collection interval 1 s (buses always busy)\n",
      o.gateways, o.meters, o.baud, o.turnaroundMs);
  std::printf(
      "  %d QR orders (WeChat/Alipay alternating), one paid every %d ms over %.1f s; "
      "notifications %s; worker wake on credit: %s; payment worker tick %d ms; idle-bus command "
      "check %d ms\n",
      o.orders, o.payIntervalMs, secondsBetween(firstPayment, lastCredit),
      o.lostNotifications ? "lost (found by polling)" : "sent", o.wake ? "on" : "off", o.tickMs,
      o.commandCheckMs);
  report("payment -> credited (meter confirmed)", total);
  report("  payment -> paid (notified / polled)", notify);
  report("  paid -> crediting (entry + command)", post);
  report("  crediting -> credited (bus + meter)", meter);
  std::printf("  engine: %lld polls, %lld failed polls, %lld commands done, %lld retried\n",
              static_cast<long long>(stats.polls), static_cast<long long>(stats.pollFailures),
              static_cast<long long>(stats.commandsDone),
              static_cast<long long>(stats.commandsRetried));
  const double p95 = percentile(total, 0.95);
  g_goalMet = missing == 0 && p95 < o.goalS;
  std::printf("  goal p95 < %.1f s: %s\n", o.goalS,
              missing > 0 ? "NOT met (orders not credited)"
              : g_goalMet ? "met"
                          : "NOT met");
  EXPECT_EQ(missing, 0U) << "orders not credited in time";

  // Exactly once: each meter's purchase count (simulator) equals the orders paid into it.
  std::map<store::MeterId, int> perMeter;
  for (const auto& order : orders) {
    ++perMeter[order.meterId];
  }
  for (int g = 0; g < o.gateways; ++g) {
    for (int unit = 1; unit <= o.meters; ++unit) {
      const auto id = meters[static_cast<std::size_t>(g)][static_cast<std::size_t>(unit - 1)];
      EXPECT_EQ(site.sim().field(g, unit, "purchase_count"), perMeter[id]) << "meter " << id;
    }
  }
  const auto verified = site.db().verifyLedger();
  ASSERT_TRUE(verified.has_value());
  EXPECT_TRUE(verified->ok());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "bench-pay-credit: provider payment -> meter's confirmed credit, busy 9600-baud "
      "buses"};
  app.set_version_flag("--version", std::string("bench-pay-credit ") + prepaid::Version);
  auto& o = g_options;
  app.add_option("--gateways", o.gateways, "gateways (buses)")->check(CLI::Range(1, 64));
  app.add_option("--meters", o.meters, "meter-side meters per gateway")->check(CLI::Range(1, 32));
  app.add_option("--orders", o.orders, "orders to pay")->check(CLI::Range(1, 10000));
  app.add_option("--pay-interval-ms", o.payIntervalMs, "time between two payments")
      ->check(CLI::Range(0, 60000));
  app.add_option("--baud", o.baud, "line speed (8E1)")->check(CLI::Range(1200, 921600));
  app.add_option("--turnaround-ms", o.turnaroundMs, "meter think time")
      ->check(CLI::Range(0.0, 1000.0));
  app.add_option("--timeout-ms", o.responseTimeoutMs, "bus response timeout")
      ->check(CLI::Range(50, 10000));
  app.add_option("--tick-ms", o.tickMs, "payment worker tick")->check(CLI::Range(10, 10000));
  app.add_option("--command-check-ms", o.commandCheckMs, "idle bus: command queue check")
      ->check(CLI::Range(10, 10000));
  app.add_option("--goal-s", o.goalS, "p95 goal")->check(CLI::Range(0.01, 3600.0));
  bool noWake = false;
  app.add_flag("--no-wake", noWake, "do not wake the bus workers when a credit is queued");
  app.add_flag("--lost-notifications", o.lostNotifications,
               "pay-sim sends no notifications: the payment is found by polling the provider");
  app.add_flag("--check", o.check, "exit 1 when the p95 goal is not met");
  std::string logLevel = "error";
  app.add_option("--log-level", logLevel, "engine log level (spdlog names)");
  CLI11_PARSE(app, argc, argv);
  o.wake = !noWake;
  spdlog::set_level(spdlog::level::from_str(logLevel));
  int gtestArgc = 1;
  ::testing::InitGoogleTest(&gtestArgc, argv);
  const int failed = RUN_ALL_TESTS();
  if (failed != 0) {
    return 1;
  }
  return o.check && !g_goalMet ? 1 : 0;
}
