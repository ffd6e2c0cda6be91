// prepaidctl init's [[operator]] tables (password as a stored hash or from an environment
// variable, never in the file) and prepaidctl's audit records: init, operators, sell, command,
// meter control and restore append to the same hash chain as the HTTP layer, with actor
// "prepaidctl:<OS user>" and client "prepaidctl"; restore refuses a backup whose audit chain or
// ledger does not verify and replaces nothing.

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "prepaidctl_harness.hpp"
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pwd.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include "prepaid/http/password_hasher.hpp"

namespace prepaid::test {
namespace {

namespace fs = std::filesystem;

std::string expectedActor() {
  const passwd* entry = getpwuid(geteuid());
  return entry != nullptr ? std::string("prepaidctl:") + entry->pw_name
                          : "prepaidctl:uid" + std::to_string(geteuid());
}

class OperatorAuditTest : public PrepaidctlTest {
 protected:
  CtlRun prepaidctl(const std::string& args, const std::string& input = {}) const {
    const auto in = write("stdin.txt", input);
    const auto err = m_dir / "stderr.txt";
    auto run = runPrepaidctl(args, "<" + in.string() + " 2>" + err.string());
    run.err = readWholeFile(err);
    return run;
  }
  CtlRun init(const std::string& siteText, const fs::path& db) const {
    return prepaidctl("init --site " + write("site.toml", siteText).string() + " --db " +
                      db.string());
  }

  static void exec(const fs::path& db, const std::string& sql) {
    sqlite3* handle = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &handle), SQLITE_OK);
    char* error = nullptr;
    const int rc = sqlite3_exec(handle, sql.c_str(), nullptr, nullptr, &error);
    const std::string message = error != nullptr ? error : "";
    sqlite3_free(error);
    sqlite3_close(handle);
    ASSERT_EQ(rc, SQLITE_OK) << message;
  }
  /// (actor, action, client, outcome) of the audit records, oldest first.
  std::vector<Row> audit(const fs::path& file) const {
    return query(file, "SELECT actor, action, client, outcome, target FROM audit_log ORDER BY id");
  }
  std::int64_t auditCount(const fs::path& file, const std::string& action) const {
    return queryCount(file, "SELECT COUNT(*) FROM audit_log WHERE action = '" + action + "'");
  }
};

const char* const Site = R"(
[[building]]
name = "A"
  [[building.floor]]
  name = "1F"
  shops = ["A101"]
[[gateway]]
name = "gw"
uri = "tcp://127.0.0.1:1"
  [[gateway.meter]]
  serial = "S1"
  unit = 1
  billing = "server_side"
  shop = "A101"
  tenant = "张三"
  opening_balance_fen = 5000
)";

TEST_F(OperatorAuditTest, InitLoadsOperatorsFromAStoredHashOrAnEnvironmentVariable) {
  const auto hashed = prepaidctl("operator hash", "correct horse battery\n");
  ASSERT_EQ(hashed.status, 0) << hashed.err;
  const std::string aliceHash = hashed.out.substr(0, hashed.out.find('\n'));
  ASSERT_EQ(aliceHash.rfind("pbkdf2-sha256$600000$", 0), 0U) << aliceHash;
  ASSERT_EQ(setenv("PREPAID_TEST_BOB_PASSWORD", "bob's long secret", 1), 0);

  const auto run = init(std::string(Site) + R"(
[[operator]]
username = "alice"
name = "Alice"
role = "cashier"
password_hash = ")" + aliceHash +
                            R"("
[[operator]]
username = "bob"
password_env = "PREPAID_TEST_BOB_PASSWORD"
)",
                        db());
  ASSERT_EQ(run.status, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("operators: 2"), std::string::npos) << run.out;

  const auto ops = query(db(),
                         "SELECT o.username, o.display_name, r.name, o.password_hash, o.state "
                         "FROM operators o JOIN roles r ON r.id = o.role_id ORDER BY o.username");
  ASSERT_EQ(ops.size(), 2U);
  EXPECT_EQ(ops[0][0], "alice");
  EXPECT_EQ(ops[0][1], "Alice");
  EXPECT_EQ(ops[0][2], "cashier");
  EXPECT_EQ(ops[0][3], aliceHash);  // stored as given
  EXPECT_EQ(ops[0][4], "active");
  EXPECT_EQ(ops[1][0], "bob");
  EXPECT_EQ(ops[1][1], "bob");    // display name defaults to the username
  EXPECT_EQ(ops[1][2], "admin");  // role defaults to admin
  ASSERT_TRUE(ops[1][3]);
  EXPECT_EQ(ops[1][3]->rfind("pbkdf2-sha256$600000$", 0), 0U);
  const backend::http::PasswordHasher hasher;
  EXPECT_TRUE(hasher.verify("correct horse battery", *ops[0][3]));
  EXPECT_TRUE(hasher.verify("bob's long secret", *ops[1][3]));
  EXPECT_FALSE(hasher.verify("bob's long secreT", *ops[1][3]));
  // The password itself is nowhere in the database.
  EXPECT_EQ(
      queryCount(db(), "SELECT COUNT(*) FROM audit_log WHERE after_json LIKE '%long secret%'"), 0);

  const auto records = audit(db());
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(auditCount(db(), "operator.create"), 2);
  EXPECT_EQ(auditCount(db(), "site.init"), 1);
  for (const auto& record : records) {
    if (record[1] == "operator.create" || record[1] == "site.init") {
      EXPECT_EQ(record[0], expectedActor());
      EXPECT_EQ(record[2], "prepaidctl");
      EXPECT_EQ(record[3], "ok");
    }
  }
  EXPECT_EQ(prepaidctl("verify --db " + db().string()).status, 0);
}

TEST_F(OperatorAuditTest, BadOperatorRowsAreRefusedNamingTheRowAndNothingIsWritten) {
  ASSERT_EQ(setenv("PREPAID_TEST_SHORT_PASSWORD", "short", 1), 0);
  ASSERT_EQ(unsetenv("PREPAID_TEST_UNSET_PASSWORD"), 0);
  const std::string weak =
      "pbkdf2-sha256$1000$00112233445566778899aabbccddeeff$"
      "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"username = \"x\"\npassword = \"hunter22hunter\"\n", "operator[0].password"},
      {"username = \"x\"\n", "operator[0].password_hash"},
      {"username = \"x\"\npassword_env = \"A\"\npassword_hash = \"" + weak + "\"\n",
       "operator[0].password_hash"},
      {"username = \"x\"\npassword_hash = \"" + weak + "\"\n", "iteration count 1000"},
      {"username = \"x\"\npassword_hash = \"pbkdf2-sha256$600000$zz$00\"\n",
       "operator[0].password_hash"},
      {"username = \"x\"\npassword_env = \"PREPAID_TEST_UNSET_PASSWORD\"\n", "is not set"},
      {"username = \"x\"\npassword_env = \"PREPAID_TEST_SHORT_PASSWORD\"\n", "8 to 128 bytes"},
      {"password_env = \"PREPAID_TEST_SHORT_PASSWORD\"\n", "operator[0].username"},
      {"username = \"x\"\nrole = \"emperor\"\npassword_hash = \"" +
           std::string("pbkdf2-sha256$600000$00112233445566778899aabbccddeeff$") +
           std::string(64, 'a') + "\"\n",
       "no role 'emperor'"},
      {"username = \"x\"\npassword_env = 7\n", "operator[0].password_env"},
  };
  int n = 0;
  for (const auto& [row, expected] : cases) {
    const auto file = m_dir / ("bad" + std::to_string(n++) + ".db");
    const auto run = init(std::string(Site) + "[[operator]]\n" + row, file);
    EXPECT_EQ(run.status, 1) << row << run.err;
    EXPECT_NE(run.err.find(expected), std::string::npos) << row << "\n" << run.err;
    EXPECT_NE(run.err.find("nothing written"), std::string::npos) << run.err;
    if (fs::exists(file)) {
      EXPECT_EQ(queryCount(file, "SELECT COUNT(*) FROM operators"), 0) << row;
      EXPECT_EQ(queryCount(file, "SELECT COUNT(*) FROM meters"), 0) << row;
      EXPECT_EQ(queryCount(file, "SELECT COUNT(*) FROM ledger_entries"), 0) << row;
    }
  }
  // A username twice in one file, and one that exists already.
  const std::string good =
      "pbkdf2-sha256$600000$00112233445566778899aabbccddeeff$" + std::string(64, 'b');
  const std::string twice = "[[operator]]\nusername = \"x\"\npassword_hash = \"" + good +
                            "\"\n[[operator]]\nusername = \"x\"\npassword_hash = \"" + good +
                            "\"\n";
  auto run = init(std::string(Site) + twice, db());
  EXPECT_EQ(run.status, 1);
  EXPECT_NE(run.err.find("operator[1].username"), std::string::npos) << run.err;
  const std::string once = "[[operator]]\nusername = \"x\"\npassword_hash = \"" + good + "\"\n";
  ASSERT_EQ(init(once, db()).status, 0);
  run = init(once, db());
  EXPECT_EQ(run.status, 1);
  EXPECT_NE(run.err.find("exists already"), std::string::npos) << run.err;
  EXPECT_EQ(queryCount(db(), "SELECT COUNT(*) FROM operators"), 1);
}

TEST_F(OperatorAuditTest, SellCommandAndMeterControlAreAudited) {
  ASSERT_EQ(init(Site, db()).status, 0);
  auto run = prepaidctl("sell --db " + db().string() + " --meter S1 --amount-fen 1000 --key k1");
  ASSERT_EQ(run.status, 0) << run.out << run.err;
  // A replay posts nothing and records nothing new; a refused sale is recorded with its code.
  ASSERT_EQ(
      prepaidctl("sell --db " + db().string() + " --meter S1 --amount-fen 1000 --key k1").status,
      0);
  run = prepaidctl("sell --db " + db().string() + " --meter S1 --amount-fen 999 --key k1");
  EXPECT_EQ(run.status, 5) << run.out;
  const auto sales = query(db(),
                           "SELECT actor, client, outcome, target, after_json FROM audit_log "
                           "WHERE action = 'sale' ORDER BY id");
  ASSERT_EQ(sales.size(), 2U);
  EXPECT_EQ(sales[0][0], expectedActor());
  EXPECT_EQ(sales[0][1], "prepaidctl");
  EXPECT_EQ(sales[0][2], "ok");
  const auto after = nlohmann::json::parse(sales[0][4].value_or("null"));
  EXPECT_EQ(after["amount_fen"], 1000);
  EXPECT_EQ(after["balance_after_fen"], 6000);
  EXPECT_EQ(sales[1][2], "idempotency_conflict");

  run = prepaidctl("command --db " + db().string() + " --kind trip --meter S1");
  ASSERT_EQ(run.status, 0) << run.out << run.err;
  EXPECT_EQ(auditCount(db(), "command.trip"), 1);

  // Nothing listens on port 1: the control fails, and the attempt is still recorded.
  run = prepaidctl("meter control --transport tcp://127.0.0.1:1 --command trip --key " +
                   std::string(32, '0') + " --purchase-count 0 --db " + db().string());
  EXPECT_EQ(run.status, 3) << run.out << run.err;
  const auto control =
      query(db(), "SELECT actor, outcome, target FROM audit_log WHERE action = 'meter.control'");
  ASSERT_EQ(control.size(), 1U);
  EXPECT_EQ(control[0][0], expectedActor());
  EXPECT_EQ(control[0][1], "exit_3");
  EXPECT_EQ(control[0][2], "device:tcp://127.0.0.1:1#1");
  // A database that cannot be opened stops the action before the meter is touched.
  run = prepaidctl("meter control --transport tcp://127.0.0.1:1 --command trip --key " +
                   std::string(32, '0') + " --db " + (m_dir / "missing.db").string());
  EXPECT_EQ(run.status, 3);
  EXPECT_NE(run.err.find("nothing sent"), std::string::npos) << run.err;
  run = prepaidctl("meter control --transport tcp://127.0.0.1:1 --command trip --key " +
                   std::string(32, '0') + " --purchase-count 0");
  EXPECT_NE(run.err.find("not audited"), std::string::npos) << run.err;

  EXPECT_EQ(prepaidctl("verify --db " + db().string()).status, 0);
}

TEST_F(OperatorAuditTest, RestoreRefusesABackupWhoseAuditChainIsBrokenAndIsAuditedOtherwise) {
  ASSERT_EQ(init(Site, db()).status, 0);
  ASSERT_EQ(
      prepaidctl("sell --db " + db().string() + " --meter S1 --amount-fen 700 --key k1").status, 0);
  const auto good = m_dir / "good.backup";
  ASSERT_EQ(prepaidctl("backup --db " + db().string() + " " + good.string()).status, 0);
  ASSERT_EQ(
      prepaidctl("sell --db " + db().string() + " --meter S1 --amount-fen 300 --key k2").status, 0);
  const auto liveRecords = auditCount(db(), "sale");
  ASSERT_EQ(liveRecords, 2);

  // A copy of the backup with its first sale record altered (triggers dropped, as someone with
  // the file would).
  const auto bad = m_dir / "bad.backup";
  fs::copy_file(good, bad);
  for (const auto& trigger : query(bad,
                                   "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                   "AND tbl_name = 'audit_log'")) {
    exec(bad, "DROP TRIGGER \"" + trigger[0].value_or("") + "\"");
  }
  exec(bad, "UPDATE audit_log SET after_json = '{\"amount_fen\":7}' WHERE action = 'sale'");
  const auto altered = queryCount(bad, "SELECT id FROM audit_log WHERE action = 'sale'");

  auto run = prepaidctl("restore --db " + db().string() + " " + bad.string());
  EXPECT_EQ(run.status, 4) << run.out << run.err;
  const auto report = nlohmann::json::parse(run.out);
  EXPECT_EQ(report["error"]["code"], "backup_does_not_verify");
  ASSERT_FALSE(report["error"]["details"]["audit"]["problems"].empty()) << run.out;
  EXPECT_EQ(report["error"]["details"]["audit"]["problems"][0]["record_id"], altered);
  EXPECT_NE(run.err.find("backup: audit: record " + std::to_string(altered)), std::string::npos)
      << run.err;
  // The live database is untouched.
  EXPECT_FALSE(fs::exists(db().string() + ".before-restore"));
  EXPECT_FALSE(fs::exists(db().string() + ".restoring"));
  EXPECT_EQ(auditCount(db(), "sale"), 2);
  EXPECT_EQ(prepaidctl("verify --db " + db().string()).status, 0);

  // A backup whose ledger disagrees with its balance cache is refused the same way.
  const auto skewed = m_dir / "skewed.backup";
  fs::copy_file(good, skewed);
  exec(skewed, "UPDATE meter_balances SET balance_fen = balance_fen + 1");
  run = prepaidctl("restore --db " + db().string() + " " + skewed.string());
  EXPECT_EQ(run.status, 4) << run.out << run.err;
  EXPECT_NE(run.err.find("backup: ledger: meter"), std::string::npos) << run.err;

  run = prepaidctl("restore --db " + db().string() + " " + good.string());
  ASSERT_EQ(run.status, 0) << run.out << run.err;
  EXPECT_EQ(auditCount(db(), "sale"), 1);  // the backup's history
  const auto restore = query(db(),
                             "SELECT actor, client, after_json FROM audit_log WHERE action = "
                             "'database.restore'");
  ASSERT_EQ(restore.size(), 1U);
  EXPECT_EQ(restore[0][0], expectedActor());
  EXPECT_EQ(restore[0][1], "prepaidctl");
  EXPECT_EQ(nlohmann::json::parse(restore[0][2].value_or("null"))["from"], good.string());
  EXPECT_EQ(prepaidctl("verify --db " + db().string()).status, 0);
}

}  // namespace
}  // namespace prepaid::test
