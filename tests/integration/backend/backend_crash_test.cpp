// Crash test: prepaid-backend is killed with SIGKILL at random (seeded) moments during a storm of
// recharges sold on the same database file, and restarted each time. At the end every recharge
// is credited to its simulated meter exactly once (purchase count and balance compared with the
// ledger) and the ledger verifies. PREPAID_CRASH_ROUNDS (default 50) and PREPAID_CRASH_SEED
// choose a longer or different run.

#include <cstdlib>
#include <map>
#include <random>

#include "engine_site.hpp"
#include <gtest/gtest.h>

namespace prepaid::test {
namespace {

int envInt(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::atoi(value) : fallback;
}

constexpr int Gateways = 2;
constexpr int MetersPerGateway = 3;
constexpr std::int64_t InitialBalanceFen = 10000;

TEST(BackendCrashTest, EveryRechargeIsCreditedExactlyOnceAcrossKills) {
  const int rounds = envInt("PREPAID_CRASH_ROUNDS", 50);
  const auto seed = static_cast<std::uint32_t>(envInt("PREPAID_CRASH_SEED", 20261121));
  std::mt19937 random(seed);

  EngineSite site;
  // No consumption (peak_w = 0), so a meter's balance is exactly its initial balance plus what
  // was credited.
  const auto fleet = site.dir() / "fleet.toml";
  {
    std::FILE* file = std::fopen(fleet.c_str(), "w");
    ASSERT_NE(file, nullptr);
    std::fprintf(file,
                 "profile_dir = \"%s\"\n[defaults]\nbalance_fen = %lld\npeak_w = 0\n"
                 "[[gateway]]\nprotocol = \"modbus-tcp\"\nport = 0\nmeters = %d\n"
                 "[[gateway]]\nprotocol = \"rtu-over-tcp\"\nport = 0\nmeters = %d\n",
                 PREPAID_SOURCE_DIR "/assets/meters", static_cast<long long>(InitialBalanceFen),
                 MetersPerGateway, MetersPerGateway);
    std::fclose(file);
  }
  ASSERT_TRUE(site.startSim({"--fleet", fleet.string()}));
  site.settings(1, 3);
  site.addGateway(0, "tcp");
  site.addGateway(1, "rtu+tcp");
  struct Slot {
    int gateway;
    int unit;
    store::Meter meter;
  };
  std::vector<Slot> meters;
  for (int g = 0; g < Gateways; ++g) {
    for (int unit = 1; unit <= MetersPerGateway; ++unit) {
      meters.push_back({g, unit, site.addMeter(EngineSite::spec(g, unit))});
    }
  }

  std::map<store::MeterId, std::int64_t> soldFen;
  std::map<store::MeterId, std::int64_t> soldCount;
  int sales = 0;
  int kills = 0;
  for (int round = 0; round < rounds; ++round) {
    if (round % 5 == 4) {
      // Now and then a meter loses the reply of the recharge it applies.
      const auto& slot = meters[random() % meters.size()];
      const auto reply =
          site.sim().control("fault " + std::to_string(slot.gateway) + " " +
                             std::to_string(slot.unit) + " reply-lost-after-recharge*1");
      ASSERT_EQ(reply.substr(0, 2), "ok") << reply;
    }
    ASSERT_TRUE(site.startBackend()) << "round " << round << "\n" << site.log();
    const int storm = 1 + static_cast<int>(random() % 4);
    for (int i = 0; i < storm; ++i) {
      const auto& slot = meters[random() % meters.size()];
      const auto fen = 1 + static_cast<std::int64_t>(random() % 500);
      const auto receipt =
          site.sell(slot.meter.id, fen, "crash-" + std::to_string(round) + "-" + std::to_string(i));
      ASSERT_TRUE(receipt.has_value()) << receipt.error().message;
      soldFen[slot.meter.id] += fen;
      ++soldCount[slot.meter.id];
      ++sales;
    }
    // A random moment: before the claim, during the exchange, between send and record, after.
    std::this_thread::sleep_for(std::chrono::milliseconds(random() % 400));
    site.backend().kill();
    ++kills;
  }

  // A last, clean run delivers whatever is left.
  ASSERT_TRUE(site.startBackend());
  ASSERT_TRUE(eventually(
      [&] {
        for (const auto& slot : meters) {
          if (site.unfinished(slot.meter.id) != 0) {
            return false;
          }
        }
        return true;
      },
      60s))
      << site.log();
  EXPECT_EQ(site.backend().stop(), 0);

  for (const auto& slot : meters) {
    const auto id = slot.meter.id;
    const auto row = site.meter(id);
    EXPECT_EQ(row.purchaseCount, soldCount[id]) << row.serial;
    EXPECT_EQ(site.sim().field(slot.gateway, slot.unit, "purchase_count"), soldCount[id])
        << row.serial;
    EXPECT_EQ(site.sim().field(slot.gateway, slot.unit, "balance_fen"),
              InitialBalanceFen + soldFen[id])
        << row.serial << ": credited " << soldFen[id] << " fen in " << soldCount[id] << " sales";
    for (const auto& command : site.commandsOf(id)) {
      if (command.kind == store::CommandKind::Recharge) {
        EXPECT_EQ(command.state, store::CommandState::Done) << command.lastError;
      }
    }
  }
  const auto verified = site.db().verifyLedger();
  ASSERT_TRUE(verified.has_value());
  EXPECT_TRUE(verified->ok());
  std::printf("crash test: %d kills, %d recharges sold, seed %u\n", kills, sales, seed);
}

}  // namespace
}  // namespace prepaid::test
