// prepaidctl init with opening balances (期初余额): `opening_balance_fen` (and for meter-side meters
// `purchase_count`) per meter is posted in the same init as one transfer_in entry under
// "opening:<meter id>", with the backend's purchase count set and nothing queued for the meter;
// bad values are refused naming the row and the meter, writing nothing. The demo site's opening
// balances and purchase counts match the simulator fleet meter for meter.

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "prepaidctl_harness.hpp"
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <toml++/toml.h>

namespace prepaid::test {
namespace {

namespace fs = std::filesystem;

class InitOpeningTest : public PrepaidctlTest {
 protected:
  CtlRun init(const fs::path& site) const {
    return runPrepaidctl("init --site " + site.string() + " --db " + db().string());
  }
};

// One gateway; `meters` are [[gateway.meter]] tables (without the header line).
std::string site(const std::vector<std::string>& meters) {
  std::string text =
      "[[building]]\nname = \"A\"\n  [[building.floor]]\n  name = \"1F\"\n"
      "  shops = [\"A101\", \"A102\", \"A103\", \"A104\"]\n"
      "[[gateway]]\nname = \"gw\"\nuri = \"tcp://127.0.0.1:1502\"\n";
  for (const auto& meter : meters) {
    text += "  [[gateway.meter]]\n" + meter;
  }
  return text;
}

std::string meter(int unit, const std::string& billing, const std::string& extra) {
  return "  serial = \"S" + std::to_string(unit) + "\"\n  unit = " + std::to_string(unit) +
         "\n  billing = \"" + billing + "\"\n  shop = \"A10" + std::to_string(unit) + "\"\n" +
         extra;
}

TEST_F(InitOpeningTest, PostsOpeningBalancesInTheSameInit) {
  const auto run = init(write(
      "site.toml",
      site({meter(1, "meter_side",
                  "  tenant = \"张三\"\n  opening_balance_fen = 15000\n  purchase_count = 7\n"),
            meter(2, "server_side", "  tenant = \"李四\"\n  opening_balance_fen = 8000\n"),
            meter(3, "meter_side", "  tenant = \"王五\"\n  opening_balance_fen = 0\n"),
            meter(4, "meter_side", "  purchase_count = 3\n")})));
  ASSERT_EQ(run.status, 0) << run.out;
  EXPECT_NE(run.out.find("opening balances: 2 meters, 230.00 yuan"), std::string::npos) << run.out;

  const auto entries =
      query(db(),
            "SELECT m.serial, l.kind, l.amount_fen, l.idempotency_key = 'opening:' || m.id, "
            "l.purchase_count, l.account_id IS NOT NULL, l.source FROM ledger_entries l "
            "JOIN meters m ON m.id = l.meter_id ORDER BY m.serial");
  ASSERT_EQ(entries.size(), 2U);
  EXPECT_EQ(entries[0], (Row{"S1", "transfer_in", "15000", "1", "7", "1", "prepaidctl init"}));
  EXPECT_EQ(entries[1],
            (Row{"S2", "transfer_in", "8000", "1", std::nullopt, "1", "prepaidctl init"}));
  EXPECT_EQ(count("SELECT balance_fen FROM meter_balances WHERE meter_id = "
                  "(SELECT id FROM meters WHERE serial = 'S1')"),
            15000);
  EXPECT_EQ(count("SELECT purchase_count FROM meters WHERE serial = 'S1'"), 7);
  EXPECT_EQ(count("SELECT purchase_count FROM meters WHERE serial = 'S4'"), 3);
  // A zero opening balance posts nothing; nothing at all is sent to the meters.
  EXPECT_EQ(count("SELECT COUNT(*) FROM ledger_entries WHERE meter_id = "
                  "(SELECT id FROM meters WHERE serial = 'S3')"),
            0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM commands"), 0);
  // Healthy balances open no alarm; the ledger verifies.
  EXPECT_EQ(count("SELECT COUNT(*) FROM alarms WHERE kind IN ('alarm1', 'alarm2', 'arrears') AND "
                  "meter_id IN (SELECT id FROM meters WHERE serial IN ('S1', 'S2'))"),
            0);
  const auto verify = runPrepaidctl("verify --db " + db().string());
  EXPECT_EQ(verify.status, 0) << verify.out;
}

TEST_F(InitOpeningTest, LowOpeningBalanceShowsItsAlarmLevel) {
  const auto run = init(write(
      "site.toml",
      "[settings]\nalarm1_fen = 2000\nalarm2_fen = 500\n" +
          site({meter(1, "meter_side", "  tenant = \"张三\"\n  opening_balance_fen = 300\n")})));
  ASSERT_EQ(run.status, 0) << run.out;
  const auto alarms = query(db(), "SELECT kind FROM alarms WHERE cleared_at IS NULL");
  ASSERT_EQ(alarms.size(), 1U);
  EXPECT_EQ(alarms[0][0], "alarm2");
}

TEST_F(InitOpeningTest, BadOpeningBalancesAreRefusedNamingTheRowAndWriteNothing) {
  struct Case {
    std::string extra;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"  tenant = \"张三\"\n  opening_balance_fen = 150.5\n",
       "gateway[0].meter[1].opening_balance_fen: meter S2: must be a whole number of fen"},
      {"  tenant = \"张三\"\n  opening_balance_fen = 150.5\n", "floating-point number 150.5"},
      {"  tenant = \"张三\"\n  opening_balance_fen = \"15000\"\n", "the string \"15000\""},
      {"  tenant = \"张三\"\n  opening_balance_fen = -100\n", "got -100"},
      {"  tenant = \"张三\"\n  opening_balance_fen = true\n",
       "gateway[0].meter[1].opening_balance_fen"},
      {"  opening_balance_fen = 1000\n", "meter S2: an opening balance needs a tenant"},
      {"  tenant = \"张三\"\n  opening_balance_fen = 1000\n  purchase_count = -1\n",
       "gateway[0].meter[1].purchase_count"},
  };
  int i = 0;
  for (const auto& c : cases) {
    // The first meter is fine: the bad second row must undo it too.
    const auto run = init(
        write("case" + std::to_string(i++) + ".toml",
              site({meter(1, "meter_side", "  tenant = \"李四\"\n  opening_balance_fen = 5000\n"),
                    meter(2, "meter_side", c.extra)})));
    EXPECT_EQ(run.status, 1) << c.extra << "\n" << run.out;
    EXPECT_NE(run.out.find(c.expected), std::string::npos) << c.expected << "\n" << run.out;
    EXPECT_NE(run.out.find("nothing written"), std::string::npos) << run.out;
    EXPECT_EQ(count("SELECT COUNT(*) FROM meters"), 0) << c.extra;
    EXPECT_EQ(count("SELECT COUNT(*) FROM ledger_entries"), 0) << c.extra;
  }
}

// The demo: every let meter-side meter's opening balance and purchase count are what the
// simulator's meter starts with, so the backend's first reading mirrors cleanly.
TEST_F(InitOpeningTest, DemoSiteOpeningBalancesMatchTheSimulatorFleet) {
  const fs::path demo = fs::path(PREPAID_SOURCE_DIR) / "assets/demo";
  const auto run = init(demo / "site.toml");
  ASSERT_EQ(run.status, 0) << run.out;

  // The fleet's starting balance and count per serial (gateway index and unit, 6 digits each).
  const auto fleet = toml::parse_file((demo / "fleet.toml").string());
  const auto defaultBalance = fleet["defaults"]["balance_fen"].value_or<std::int64_t>(10000);
  const auto defaultCount = fleet["defaults"]["purchase_count"].value_or<std::int64_t>(0);
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> simulated;
  const auto* gateways = fleet["gateway"].as_array();
  ASSERT_NE(gateways, nullptr);
  for (std::size_t g = 0; g < gateways->size(); ++g) {
    const auto& gateway = *(*gateways)[g].as_table();
    const auto serial = [&](std::int64_t unit) {
      const auto six = [](std::string digits) {
        return std::string(6 - digits.size(), '0') + digits;
      };
      return six(std::to_string(g)) + six(std::to_string(unit));
    };
    for (std::int64_t unit = 1; unit <= gateway["meters"].value_or<std::int64_t>(0); ++unit) {
      simulated[serial(unit)] = {defaultBalance, defaultCount};
    }
    if (const auto* meters = gateway["meter"].as_array()) {
      for (const auto& node : *meters) {
        const auto& m = *node.as_table();
        const auto unit = m["unit"].value_or<std::int64_t>(0);
        simulated[serial(unit)] = {m["balance_fen"].value_or(defaultBalance),
                                   m["purchase_count"].value_or(defaultCount)};
      }
    }
  }

  const auto meters =
      query(db(),
            "SELECT m.serial, COALESCE(b.balance_fen, 0), m.purchase_count FROM meters m "
            "JOIN account_meters am ON am.meter_id = m.id AND am.removed_at IS NULL "
            "LEFT JOIN meter_balances b ON b.meter_id = m.id WHERE m.billing_mode = 'meter_side'");
  ASSERT_GE(meters.size(), 60U);
  for (const auto& row : meters) {
    const auto& serial = *row[0];
    ASSERT_TRUE(simulated.contains(serial)) << serial;
    EXPECT_EQ(std::stoll(*row[1]), simulated[serial].first) << "balance of meter " << serial;
    EXPECT_EQ(std::stoll(*row[2]), simulated[serial].second)
        << "purchase count of meter " << serial;
  }

  // Every let shop has a balance; the mix shows each status colour (normal, alarm 1, alarm 2,
  // arrears) with alarm 1 = 20.00 and alarm 2 = 5.00 in the demo settings.
  EXPECT_EQ(count("SELECT COUNT(*) FROM meters m JOIN account_meters am ON am.meter_id = m.id "
                  "WHERE m.profile <> 'energy-meter' AND m.id NOT IN "
                  "(SELECT meter_id FROM ledger_entries WHERE kind = 'transfer_in')"),
            1);  // the one meter in arrears (balance 0: no entry)
  EXPECT_GE(count("SELECT COUNT(*) FROM meter_balances WHERE balance_fen >= 2000"), 80);
  EXPECT_GE(count("SELECT COUNT(*) FROM meter_balances WHERE balance_fen >= 500 AND "
                  "balance_fen < 2000"),
            2);
  EXPECT_GE(count("SELECT COUNT(*) FROM meter_balances WHERE balance_fen > 0 AND "
                  "balance_fen < 500"),
            2);
  // Server-side meters all start with money: billing charges them instead of tripping them.
  EXPECT_EQ(count("SELECT COUNT(*) FROM meters m JOIN account_meters am ON am.meter_id = m.id "
                  "LEFT JOIN meter_balances b ON b.meter_id = m.id "
                  "WHERE m.billing_mode = 'server_side' AND COALESCE(b.balance_fen, 0) <= 0"),
            0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM commands"), 0);
}

}  // namespace
}  // namespace prepaid::test
