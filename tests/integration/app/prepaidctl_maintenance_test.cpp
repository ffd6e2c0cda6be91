// prepaidctl verify / backup / restore / operator add / kiosk add on real site databases: verify
// names an altered balance cache row and an altered audit record; a backup taken while other
// processes keep selling verifies; restore is refused while a prepaid-backend holds the database.

#include <array>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "backend_process.hpp"
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>
#include <sys/wait.h>

namespace prepaid::test {
namespace {

namespace fs = std::filesystem;

struct Run {
  int status = -1;
  std::string out;
};

// stdout only (stderr goes to the test log): the JSON report.
Run prepaidctl(const std::string& args, const std::string& input = {}) {
  Run run;
  std::string command = std::string(PREPAID_CTL) + " " + args;
  if (!input.empty()) {
    command = "printf '%s\\n' '" + input + "' | " + command;
  }
  std::FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return run;
  }
  std::array<char, 4096> buffer{};
  std::size_t got = 0;
  while ((got = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    run.out.append(buffer.data(), got);
  }
  const int status = pclose(pipe);
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

void execSql(const fs::path& db, const std::string& sql) {
  sqlite3* handle = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &handle), SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(handle, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(handle);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

// Drops every trigger on `table` (the store's append-only guards).
void dropTriggers(const fs::path& db, const std::string& table) {
  sqlite3* handle = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &handle), SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(handle,
                               "SELECT name FROM sqlite_master WHERE type = 'trigger' AND "
                               "tbl_name = ?1",
                               -1, &statement, nullptr),
            SQLITE_OK);
  sqlite3_bind_text(statement, 1, table.c_str(), -1, SQLITE_TRANSIENT);
  std::vector<std::string> names;
  while (sqlite3_step(statement) == SQLITE_ROW) {
    names.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(statement, 0)));
  }
  sqlite3_finalize(statement);
  sqlite3_close(handle);
  for (const auto& name : names) {
    execSql(db, "DROP TRIGGER \"" + name + "\"");
  }
}

class PrepaidctlMaintenanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device random;
    m_dir = fs::temp_directory_path() / ("prepaidctl-maint-" + std::to_string(random()));
    fs::create_directories(m_dir);
    std::ofstream site(m_dir / "site.toml");
    // The gateway points at a closed port: the backend runs (and retries) without a simulator.
    site << "[site]\nname = \"Test\"\n"
         << "[[building]]\nname = \"A\"\n[[building.floor]]\nname = \"1F\"\n"
         << "shops = [\"A101\", \"A102\", \"A103\"]\n"
         << "[[gateway]]\nname = \"gw0\"\nuri = \"tcp://127.0.0.1:1\"\n"
         << "[[gateway.meter]]\nserial = \"S1\"\nunit = 1\nshop = \"A101\"\n"
         << "billing = \"server_side\"\ntenant = \"张三\"\n"
         << "[[gateway.meter]]\nserial = \"S2\"\nunit = 2\nshop = \"A102\"\n"
         << "billing = \"server_side\"\ntenant = \"李四\"\n";
    site.close();
    const auto init = prepaidctl("init --site " + (m_dir / "site.toml").string() + " --db " + db());
    ASSERT_EQ(init.status, 0) << init.out;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(m_dir, ec);
  }
  [[nodiscard]] std::string db() const { return (m_dir / "site.db").string(); }

  fs::path m_dir;
};

TEST_F(PrepaidctlMaintenanceTest, OperatorAndKioskAddAreAuditedAndVerified) {
  const auto added = prepaidctl("operator add --db " + db() +
                                    " --username alice --role cashier --iterations 1000 "
                                    "--password-stdin",
                                "correct horse battery");
  ASSERT_EQ(added.status, 0) << added.out;
  EXPECT_EQ(nlohmann::json::parse(added.out)["username"], "alice");
  const auto again = prepaidctl("operator add --db " + db() +
                                " --username alice --iterations 1000 --password x12345678");
  EXPECT_EQ(again.status, 1) << again.out;
  const auto shortPassword = prepaidctl("operator add --db " + db() +
                                        " --username bob --iterations 1000 --password short");
  EXPECT_EQ(shortPassword.status, 1) << shortPassword.out;
  const auto badRole = prepaidctl("operator add --db " + db() +
                                  " --username carol --role pirate --password x12345678");
  EXPECT_EQ(badRole.status, 1) << badRole.out;

  const auto kiosk = prepaidctl("kiosk add --db " + db() + " --name k1");
  ASSERT_EQ(kiosk.status, 0) << kiosk.out;
  EXPECT_TRUE(nlohmann::json::parse(kiosk.out)["key"].get<std::string>().starts_with("pk_"));
  const auto known = prepaidctl("kiosk add --db " + db() + " --name k2 --key pk_known_key_0001");
  ASSERT_EQ(known.status, 0) << known.out;

  const auto verified = prepaidctl("verify --db " + db());
  ASSERT_EQ(verified.status, 0) << verified.out;
  const auto report = nlohmann::json::parse(verified.out);
  EXPECT_TRUE(report["ok"].get<bool>());
  // Built-in roles, alice, two kiosks: every one of them is an audit record.
  EXPECT_GE(report["audit"]["records_checked"].get<int>(), 3);
}

TEST_F(PrepaidctlMaintenanceTest, VerifyNamesAnAlteredBalanceRowAndAnAlteredAuditRecord) {
  for (int i = 0; i < 3; ++i) {
    const auto sold = prepaidctl("sell --db " + db() + " --meter S1 --amount-fen 1000 --key s" +
                                 std::to_string(i));
    ASSERT_EQ(sold.status, 0) << sold.out;
  }
  ASSERT_EQ(prepaidctl("kiosk add --db " + db() + " --name k1").status, 0);
  ASSERT_EQ(prepaidctl("kiosk add --db " + db() + " --name k2").status, 0);
  ASSERT_EQ(prepaidctl("verify --db " + db()).status, 0);

  execSql(db(),
          "UPDATE meter_balances SET balance_fen = balance_fen + 1 WHERE meter_id = "
          "(SELECT id FROM meters WHERE serial = 'S1')");
  auto run = prepaidctl("verify --db " + db());
  EXPECT_EQ(run.status, 4) << run.out;
  auto report = nlohmann::json::parse(run.out);
  EXPECT_FALSE(report["ok"].get<bool>());
  ASSERT_EQ(report["ledger"]["mismatches"].size(), 1u) << run.out;
  EXPECT_EQ(report["ledger"]["mismatches"][0]["cached_fen"], 3001);
  EXPECT_EQ(report["ledger"]["mismatches"][0]["ledger_sum_fen"], 3000);
  EXPECT_TRUE(report["audit"]["problems"].empty());

  execSql(db(),
          "UPDATE meter_balances SET balance_fen = balance_fen - 1 WHERE meter_id = "
          "(SELECT id FROM meters WHERE serial = 'S1')");
  ASSERT_EQ(prepaidctl("verify --db " + db()).status, 0);

  // Alter the first kiosk record (not the newest: the chain must name it, not just the head),
  // as someone with the database file would: the append-only triggers dropped first.
  dropTriggers(db(), "audit_log");
  execSql(db(),
          "UPDATE audit_log SET actor = 'mallory' WHERE action = 'kiosk.create' AND id = "
          "(SELECT MIN(id) FROM audit_log WHERE action = 'kiosk.create')");
  sqlite3* handle = nullptr;
  ASSERT_EQ(sqlite3_open(db().c_str(), &handle), SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(handle, "SELECT id FROM audit_log WHERE actor = 'mallory'", -1,
                               &statement, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(statement), SQLITE_ROW);
  const auto altered = sqlite3_column_int64(statement, 0);
  sqlite3_finalize(statement);
  sqlite3_close(handle);

  run = prepaidctl("verify --db " + db());
  EXPECT_EQ(run.status, 4) << run.out;
  report = nlohmann::json::parse(run.out);
  ASSERT_FALSE(report["audit"]["problems"].empty()) << run.out;
  EXPECT_EQ(report["audit"]["problems"][0]["record_id"], altered) << run.out;
  EXPECT_TRUE(report["ledger"]["mismatches"].empty());
}

TEST_F(PrepaidctlMaintenanceTest, MeterImportReportsEveryBadRowAndImportsNothingThen) {
  const auto csv = m_dir / "meters.csv";
  {
    std::ofstream out(csv);
    out << "\xEF\xBB\xBFserial,profile,unit_address,gateway,shop_number,billing_mode\r\n"
        << "N1,single-phase-prepaid,3,gw0,A103,meter_side\r\n"          // good
        << "N2,single-phase-prepaid,300,gw0,,server_side\n"             // row 3: unit out of range
        << "N3,single-phase-prepaid,4,gw9,,server_side\n"               // row 4: unknown gateway
        << "S1,single-phase-prepaid,5,gw0,,server_side\n"               // row 5: serial exists
        << "N1,single-phase-prepaid,6,gw0,,server_side\n"               // row 6: twice in the file
        << "\"N7, quoted\",three-phase-prepaid,7,gw0,A404,sideways\n";  // row 7: two errors
  }
  const auto refused = prepaidctl("meters import --db " + db() + " " + csv.string());
  ASSERT_EQ(refused.status, 1) << refused.out;
  const auto report = nlohmann::json::parse(refused.out);
  EXPECT_EQ(report["imported"], 0);
  std::set<std::pair<int, std::string>> errors;
  for (const auto& error : report["errors"]) {
    errors.insert({error["row"].get<int>(), error["column"].get<std::string>()});
  }
  // Row 7's bad billing mode is found while parsing; the others need the database, so they are
  // reported when every row parsed.
  EXPECT_TRUE(errors.contains({3, "unit_address"})) << refused.out;
  EXPECT_TRUE(errors.contains({7, "billing_mode"})) << refused.out;

  // Fix the parse errors: the database checks now report per row, and still nothing is written.
  {
    std::ofstream out(csv);
    out << "serial,profile,unit_address,gateway,shop_number,billing_mode\n"
        << "N1,single-phase-prepaid,3,gw0,A103,meter_side\n"
        << "N3,single-phase-prepaid,4,gw9,,server_side\n"
        << "S1,single-phase-prepaid,5,gw0,,server_side\n"
        << "N1,single-phase-prepaid,6,gw0,,server_side\n"
        << "N7,three-phase-prepaid,7,gw0,A404,server_side\n";
  }
  const auto second = prepaidctl("meters import --db " + db() + " " + csv.string());
  ASSERT_EQ(second.status, 1) << second.out;
  errors.clear();
  const auto secondReport = nlohmann::json::parse(second.out);
  for (const auto& error : secondReport["errors"]) {
    errors.insert({error["row"].get<int>(), error["column"].get<std::string>()});
  }
  EXPECT_EQ(errors, (std::set<std::pair<int, std::string>>{
                        {3, "gateway"}, {4, "serial"}, {5, "serial"}, {6, "shop_number"}}))
      << second.out;
  auto status = nlohmann::json::parse(prepaidctl("status --db " + db()).out);
  EXPECT_EQ(status["meters"].size(), 2u);  // S1, S2: N1 was not half-imported

  {
    std::ofstream out(csv);
    out << "serial,profile,unit_address,gateway,shop_number,billing_mode\n"
        << "N1,single-phase-prepaid,3,gw0,A103,meter_side\n"
        << "\"N7\",three-phase-prepaid,7,gw0,,server_side\n";
  }
  const auto imported = prepaidctl("meters import --db " + db() + " " + csv.string());
  ASSERT_EQ(imported.status, 0) << imported.out;
  EXPECT_EQ(nlohmann::json::parse(imported.out)["imported"], 2);
  status = nlohmann::json::parse(prepaidctl("status --db " + db()).out);
  EXPECT_EQ(status["meters"].size(), 4u);
  EXPECT_EQ(prepaidctl("verify --db " + db()).status, 0);  // the import is audited in the chain
}

TEST_F(PrepaidctlMaintenanceTest, BackupWhileOthersWriteIsConsistentAndRestoreWaitsForTheBackend) {
  const auto config = m_dir / "backend.toml";
  {
    std::ofstream out(config);
    out << "[store]\ndatabase = \"site.db\"\n[meters]\nprofile_dir = \"" PREPAID_SOURCE_DIR
           "/assets/meters\"\n";
  }
  const auto baseline =
      nlohmann::json::parse(prepaidctl("verify --db " + db()).out)["ledger"]["entries_checked"]
          .get<int>();
  BackendProcess backend(config.string());
  ASSERT_TRUE(backend.ready());

  // Sales keep committing (separate processes, as staff consoles would) while the backup runs.
  std::atomic<bool> stop{false};
  std::atomic<int> sold{0};
  std::thread writer([&] {
    for (int i = 0; !stop && i < 400; ++i) {
      if (prepaidctl("sell --db " + db() + " --meter S" + std::to_string(1 + i % 2) +
                     " --amount-fen 100 --key w" + std::to_string(i))
              .status == 0) {
        ++sold;
      }
    }
  });
  while (sold < 5) {
    std::this_thread::yield();
  }
  const auto backupFile = (m_dir / "backup.db").string();
  const auto backup = prepaidctl("backup --db " + db() + " " + backupFile);
  const int soldAtBackup = sold;
  stop = true;
  writer.join();
  ASSERT_EQ(backup.status, 0) << backup.out;
  EXPECT_EQ(prepaidctl("backup --db " + db() + " " + backupFile).status, 1);  // never overwrites

  const auto verified = prepaidctl("verify --db " + backupFile);
  ASSERT_EQ(verified.status, 0) << verified.out;
  const auto entries = nlohmann::json::parse(verified.out)["ledger"]["entries_checked"].get<int>();
  EXPECT_GE(entries, baseline + 5);
  EXPECT_LE(entries, baseline + soldAtBackup + 1);

  // The backend holds the database: restore is refused and changes nothing.
  const auto refused = prepaidctl("restore --db " + db() + " " + backupFile);
  EXPECT_EQ(refused.status, 5) << refused.out;
  EXPECT_EQ(backend.stop(), 0);

  const auto restored = prepaidctl("restore --db " + db() + " " + backupFile);
  ASSERT_EQ(restored.status, 0) << restored.out;
  const auto after = prepaidctl("verify --db " + db());
  ASSERT_EQ(after.status, 0) << after.out;
  EXPECT_EQ(nlohmann::json::parse(after.out)["ledger"]["entries_checked"].get<int>(), entries);
  EXPECT_TRUE(fs::exists(db() + ".before-restore"));
}

}  // namespace
}  // namespace prepaid::test
