#include "prepaid/http/audit_log.hpp"

#include "temp_store.hpp"
#include <gtest/gtest.h>
#include <sqlite3.h>

namespace prepaid::backend::http {
namespace {

AuditEntry entry(int i) {
  AuditEntry e;
  e.at = domain::Instant(std::chrono::seconds(1'700'000'000 + i));
  e.actor = "admin";
  e.action = "sale";
  e.target = "meter:" + std::to_string(i);
  e.afterJson = "{\"amount_fen\":" + std::to_string(i * 100) + "}";
  e.client = "127.0.0.1:5000";
  return e;
}

void rawExec(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* handle = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &handle), SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(handle, sql.c_str(), nullptr, nullptr, &error);
  EXPECT_EQ(rc, SQLITE_OK) << (error != nullptr ? error : "");
  sqlite3_free(error);
  sqlite3_close(handle);
}

TEST(AuditLogTest, ChainLinksEveryRecordToThePrevious) {
  testing::TempStore temp;
  std::string previous;
  for (int i = 1; i <= 5; ++i) {
    const auto record = appendAudit(temp.store(), entry(i)).value();
    EXPECT_EQ(record.previousHash, previous);
    EXPECT_EQ(record.hash, auditRecordHash(record));
    previous = record.hash;
  }
  const auto verification = verifyAuditChain(temp.store()).value();
  EXPECT_TRUE(verification.ok());
  EXPECT_EQ(verification.recordsChecked, 5);
  EXPECT_EQ(verification.headHash, previous);
  EXPECT_TRUE(verifyAuditChain(temp.store(), previous).value().ok());
}

TEST(AuditLogTest, AlteredRecordIsNamed) {
  testing::TempStore temp;
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(appendAudit(temp.store(), entry(i)));
  }
  // The append-only trigger stops a plain UPDATE; a tamperer drops it first.
  rawExec(temp.dbPath(),
          "DROP TRIGGER audit_log_no_update; "
          "UPDATE audit_log SET after_json = '{\"amount_fen\":999999}' WHERE id = 3;");
  const auto verification = verifyAuditChain(temp.store()).value();
  ASSERT_FALSE(verification.ok());
  ASSERT_EQ(verification.problems.size(), 1u);
  EXPECT_EQ(verification.problems[0].recordId, 3);
  EXPECT_NE(verification.problems[0].reason.find("altered"), std::string::npos);
}

TEST(AuditLogTest, RecomputedHashOrDeletedRecordBreaksTheNextLink) {
  testing::TempStore temp;
  for (int i = 1; i <= 4; ++i) {
    ASSERT_TRUE(appendAudit(temp.store(), entry(i)));
  }
  rawExec(temp.dbPath(), "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE id = 2;");
  const auto verification = verifyAuditChain(temp.store()).value();
  ASSERT_EQ(verification.problems.size(), 1u);
  EXPECT_EQ(verification.problems[0].recordId, 3);
}

TEST(AuditLogTest, TruncationIsFoundAgainstAKnownHead) {
  testing::TempStore temp;
  std::string head;
  for (int i = 1; i <= 3; ++i) {
    head = appendAudit(temp.store(), entry(i)).value().hash;
  }
  rawExec(temp.dbPath(), "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE id = 3;");
  EXPECT_TRUE(verifyAuditChain(temp.store()).value().ok());
  EXPECT_FALSE(verifyAuditChain(temp.store(), head).value().ok());
}

TEST(AuditLogTest, StoreRefusesUpdateAndDelete) {
  testing::TempStore temp;
  ASSERT_TRUE(appendAudit(temp.store(), entry(1)));
  sqlite3* handle = nullptr;
  ASSERT_EQ(sqlite3_open(temp.dbPath().c_str(), &handle), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(handle, "UPDATE audit_log SET actor = 'x'", nullptr, nullptr, nullptr),
            SQLITE_OK);
  EXPECT_NE(sqlite3_exec(handle, "DELETE FROM audit_log", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(handle);
}

}  // namespace
}  // namespace prepaid::backend::http
