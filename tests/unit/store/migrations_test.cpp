// Migrations: from an empty file, re-open, refusal of newer schemas and of non-databases.

#include <fstream>

#include "store_fixture.hpp"

namespace prepaid::store::testing {
namespace {

TEST(Migrations, CreatesLatestSchemaInEmptyFileWithWalAndUserVersion) {
  TempDir dir;
  const auto path = dir.path() / "new.db";
  auto store = openSqliteStore(path);
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_EQ((*store)->schemaVersion(), latestSchemaVersion());
  EXPECT_GE(latestSchemaVersion(), 1);

  RawDb raw(path);
  EXPECT_EQ(raw.queryInt("PRAGMA user_version"), latestSchemaVersion());
  EXPECT_EQ(raw.queryText("PRAGMA journal_mode"), "wal");
  for (const char* table :
       {"site", "settings", "buildings", "floors", "shops", "tenants", "accounts", "account_meters",
        "gateways", "meters", "tariffs", "tariff_versions", "readings", "rollups", "ledger_entries",
        "meter_balances", "commands", "alarms", "idempotency_records"}) {
    EXPECT_EQ(raw.queryInt(std::string("SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND "
                                       "name='") +
                           table + "'"),
              1)
        << table;
  }
  EXPECT_EQ(raw.queryInt("SELECT COUNT(*) FROM site"), 1);
  EXPECT_EQ(raw.queryInt("SELECT COUNT(*) FROM settings"), 1);
}

TEST(Migrations, ReopenKeepsDataAndDoesNotReapply) {
  TempDir dir;
  const auto path = dir.path() / "site.db";
  {
    auto store = openSqliteStore(path);
    ASSERT_TRUE(store);
    auto written = (*store)->write([](WriteTransaction& tx) -> std::expected<void, StoreError> {
      auto building = tx.buildings().addBuilding("A");
      if (!building) {
        return std::unexpected(building.error());
      }
      return {};
    });
    ASSERT_TRUE(written) << written.error().message;
  }
  auto store = openSqliteStore(path);
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_EQ((*store)->schemaVersion(), latestSchemaVersion());
  std::size_t buildings = 0;
  auto read = (*store)->read([&](const ReadTransaction& tx) -> std::expected<void, StoreError> {
    auto all = tx.buildings().buildings();
    if (!all) {
      return std::unexpected(all.error());
    }
    buildings = all->size();
    return {};
  });
  ASSERT_TRUE(read);
  EXPECT_EQ(buildings, 1U);
  RawDb raw(path);
  EXPECT_EQ(raw.queryInt("SELECT COUNT(*) FROM site"), 1);  // seed rows not inserted twice
}

TEST(Migrations, RefusesDatabaseNewerThanCodeAndLeavesItUntouched) {
  TempDir dir;
  const auto path = dir.path() / "future.db";
  {
    RawDb raw(path);
    ASSERT_EQ(raw.exec("CREATE TABLE future (x); PRAGMA user_version = 999;"), SQLITE_OK);
  }
  const auto sizeBefore = std::filesystem::file_size(path);
  auto store = openSqliteStore(path);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, StoreErrorCode::SchemaTooNew);
  EXPECT_NE(store.error().message.find("999"), std::string::npos) << store.error().message;
  RawDb raw(path);
  EXPECT_EQ(raw.queryInt("PRAGMA user_version"), 999);
  EXPECT_EQ(raw.queryText("PRAGMA journal_mode"), "delete");  // not switched to WAL
  EXPECT_EQ(std::filesystem::file_size(path), sizeBefore);
}

TEST(Migrations, RefusesAFileThatIsNotADatabase) {
  TempDir dir;
  const auto path = dir.path() / "junk.db";
  {
    std::ofstream out(path, std::ios::binary);
    out << std::string(4096, 'x');
  }
  auto store = openSqliteStore(path);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, StoreErrorCode::Corrupt) << store.error().message;
}

TEST(Migrations, MustExistRefusesMissingFile) {
  TempDir dir;
  StoreOptions options;
  options.create = StoreOptions::Create::MustExist;
  auto store = openSqliteStore(dir.path() / "missing.db", options);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, StoreErrorCode::NotFound);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "missing.db"));
}

TEST(Migrations, ForeignKeysAreEnforced) {
  TempDir dir;
  auto store = openSqliteStore(dir.path() / "fk.db");
  ASSERT_TRUE(store);
  auto result = (*store)->write([](WriteTransaction& tx) -> std::expected<void, StoreError> {
    Meter meter;
    meter.serial = "M1";
    meter.profile = "p";
    meter.gatewayId = 4242;  // no such gateway
    auto added = tx.meters().add(meter);
    if (!added) {
      return std::unexpected(added.error());
    }
    return {};
  });
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, StoreErrorCode::Constraint) << result.error().message;
}

}  // namespace
}  // namespace prepaid::store::testing
