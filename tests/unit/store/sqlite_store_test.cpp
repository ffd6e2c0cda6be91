// SqliteStore: unit of work (commit/rollback), nesting, concurrency under WAL, busy, backup.

#include <atomic>
#include <stdexcept>
#include <thread>

#include "store_fixture.hpp"

namespace prepaid::store::testing {
namespace {

using domain::EntryKind;

class SqliteStoreTest : public StoreTest {};

// The recharge unit of work services will use: ledger entry + purchase count + command.
std::expected<void, StoreError> recharge(WriteTransaction& tx, MeterId meter, std::int64_t fen,
                                         const std::string& key) {
  auto count = tx.meters().nextPurchaseCount(meter);
  if (!count) {
    return std::unexpected(count.error());
  }
  LedgerEntry e;
  e.meterId = meter;
  e.kind = EntryKind::Recharge;
  e.amountFen = fen;
  e.idempotencyKey = key;
  e.purchaseCount = *count;
  e.source = "test";
  e.createdAt = utc(2024, 3, 1);
  auto appended = tx.ledger().append(e);
  if (!appended) {
    return std::unexpected(appended.error());
  }
  Command c;
  c.meterId = meter;
  c.kind = CommandKind::Recharge;
  c.payload = std::to_string(fen);
  c.priority = PriorityRecharge;
  c.purchaseCount = *count;
  c.ledgerEntryId = appended->entry.id;
  c.createdAt = e.createdAt;
  auto queued = tx.commands().enqueue(c);
  if (!queued) {
    return std::unexpected(queued.error());
  }
  return {};
}

TEST_F(SqliteStoreTest, UnitOfWorkCommitsLedgerCommandAndPurchaseCountTogether) {
  const auto meter = addMeter("M1", addGateway("G1"));
  auto done = store->write([&](WriteTransaction& t) { return recharge(t, meter, 1000, "k1"); });
  ASSERT_TRUE(done) << done.error().message;
  RawDb raw(dbPath());
  EXPECT_EQ(raw.queryInt("SELECT COUNT(*) FROM ledger_entries"), 1);
  EXPECT_EQ(raw.queryInt("SELECT COUNT(*) FROM commands WHERE purchase_count = 1"), 1);
  EXPECT_EQ(raw.queryInt("SELECT purchase_count FROM meters"), 1);
  EXPECT_EQ(raw.queryInt("SELECT balance_fen FROM meter_balances"), 1000);
}

TEST_F(SqliteStoreTest, ErrorFromCallbackRollsBackEverything) {
  const auto meter = addMeter("M1", addGateway("G1"));
  auto done = store->write([&](WriteTransaction& t) -> std::expected<void, StoreError> {
    if (auto r = recharge(t, meter, 1000, "k1"); !r) {
      return r;
    }
    return std::unexpected(StoreError{StoreErrorCode::InvalidArgument, "changed my mind"});
  });
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().message, "changed my mind");
  RawDb raw(dbPath());
  EXPECT_EQ(raw.queryInt("SELECT COUNT(*) FROM ledger_entries"), 0);
  EXPECT_EQ(raw.queryInt("SELECT COUNT(*) FROM commands"), 0);
  EXPECT_EQ(raw.queryInt("SELECT COUNT(*) FROM meter_balances"), 0);
  EXPECT_EQ(raw.queryInt("SELECT purchase_count FROM meters"), 0);
  // The store is usable afterwards.
  ASSERT_TRUE(store->write([&](WriteTransaction& t) { return recharge(t, meter, 500, "k2"); }));
  EXPECT_EQ(raw.queryInt("SELECT purchase_count FROM meters"), 1);
}

TEST_F(SqliteStoreTest, FailingStepInsideUnitOfWorkRollsBackEarlierSteps) {
  const auto meter = addMeter("M1", addGateway("G1"));
  ASSERT_TRUE(store->write([&](WriteTransaction& t) { return recharge(t, meter, 1000, "k1"); }));
  // Same key, different amount: the ledger refuses after the purchase count was bumped.
  auto done = store->write([&](WriteTransaction& t) { return recharge(t, meter, 2000, "k1"); });
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, StoreErrorCode::IdempotencyConflict);
  RawDb raw(dbPath());
  EXPECT_EQ(raw.queryInt("SELECT purchase_count FROM meters"), 1);
  EXPECT_EQ(raw.queryInt("SELECT COUNT(*) FROM commands"), 1);
}

TEST_F(SqliteStoreTest, ExceptionFromCallbackRollsBackAndPropagatesToCaller) {
  const auto meter = addMeter("M1", addGateway("G1"));
  EXPECT_THROW(
      {
        auto ignored = store->write([&](WriteTransaction& t) -> std::expected<void, StoreError> {
          if (auto r = recharge(t, meter, 1000, "k1"); !r) {
            return r;
          }
          throw std::runtime_error("service bug");
        });
        (void)ignored;
      },
      std::runtime_error);
  RawDb raw(dbPath());
  EXPECT_EQ(raw.queryInt("SELECT COUNT(*) FROM ledger_entries"), 0);
  ASSERT_TRUE(store->write([&](WriteTransaction& t) { return recharge(t, meter, 1, "k2"); }));
}

TEST_F(SqliteStoreTest, NestedCallsFromACallbackAreRefused) {
  auto done = store->write([&](WriteTransaction&) -> std::expected<void, StoreError> {
    auto nested =
        store->read([](const ReadTransaction&) -> std::expected<void, StoreError> { return {}; });
    EXPECT_FALSE(nested);
    EXPECT_EQ(nested.error().code, StoreErrorCode::InvalidArgument);
    return nested;
  });
  EXPECT_FALSE(done);
}

TEST_F(SqliteStoreTest, ReadTransactionIsASnapshotAndDoesNotBlockTheWriter) {
  const auto meter = addMeter("M1", addGateway("G1"));
  ASSERT_TRUE(store->write([&](WriteTransaction& t) { return recharge(t, meter, 100, "k0"); }));
  auto done = store->read([&](const ReadTransaction& t) -> std::expected<void, StoreError> {
    EXPECT_EQ(t.ledger().balanceFen(meter).value_or(-1), 100);
    // Another thread commits while this read transaction is open (WAL: no blocking).
    std::thread writer([&] {
      auto w = store->write([&](WriteTransaction& wt) { return recharge(wt, meter, 50, "k1"); });
      EXPECT_TRUE(w) << (w ? "" : w.error().message);
    });
    writer.join();
    EXPECT_EQ(t.ledger().balanceFen(meter).value_or(-1), 100);  // still the snapshot
    return {};
  });
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(rd([&](const ReadTransaction& t) { return t.ledger().balanceFen(meter); }).value(),
            150);
}

TEST_F(SqliteStoreTest, ConcurrentReadersSeeConsistentBalancesWhileWriterCommits) {
  const auto meter = addMeter("M1", addGateway("G1"));
  std::atomic<bool> stop{false};
  std::atomic<int> snapshots{0};
  std::atomic<int> inconsistent{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      std::int64_t lastCount = 0;
      while (!stop.load()) {
        auto done = store->read([&](const ReadTransaction& t) -> std::expected<void, StoreError> {
          auto check = t.ledger().checkBalance(meter);
          if (!check) {
            return std::unexpected(check.error());
          }
          if (!check->consistent() || check->entryCount < lastCount ||
              check->sumFen != check->entryCount * 10) {
            ++inconsistent;
          }
          lastCount = check->entryCount;
          return {};
        });
        if (!done) {
          ++inconsistent;
        }
        ++snapshots;
      }
    });
  }
  for (int i = 0; i < 100; ++i) {
    auto w = store->write(
        [&](WriteTransaction& t) -> std::expected<void, StoreError> {
          auto appended =
              t.ledger().append(entry(meter, EntryKind::Recharge, 10, "c" + std::to_string(i)));
          if (!appended) {
            return std::unexpected(appended.error());
          }
          return {};
        },
        Durability::Normal);
    ASSERT_TRUE(w) << w.error().message;
  }
  // Let the readers take at least a few snapshots after the last commit (poll, no sleep).
  const int seen = snapshots.load();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (snapshots.load() < seen + 4 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  stop = true;
  for (auto& t : readers) {
    t.join();
  }
  EXPECT_EQ(inconsistent.load(), 0);
  EXPECT_GT(snapshots.load(), 0);
  EXPECT_EQ(rd([&](const ReadTransaction& t) { return t.ledger().balanceFen(meter); }).value(),
            1000);
}

TEST_F(SqliteStoreTest, WriterLockedByAnotherConnectionReturnsBusy) {
  StoreOptions options;
  options.busyTimeoutMs = 50;
  auto second = openSqliteStore(dbPath(), options);
  ASSERT_TRUE(second) << second.error().message;
  RawDb raw(dbPath());
  ASSERT_EQ(raw.exec("BEGIN IMMEDIATE"), SQLITE_OK);
  auto result =
      (*second)->write([](WriteTransaction&) -> std::expected<void, StoreError> { return {}; });
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, StoreErrorCode::Busy) << result.error().message;
  ASSERT_EQ(raw.exec("ROLLBACK"), SQLITE_OK);
  EXPECT_TRUE(
      (*second)->write([](WriteTransaction&) -> std::expected<void, StoreError> { return {}; }));
}

TEST_F(SqliteStoreTest, WritesThroughReaderConnectionAreRefusedBySqlite) {
  // The const interface prevents this at compile time; query_only is the second guard.
  auto done = store->read([&](const ReadTransaction& t) -> std::expected<void, StoreError> {
    auto& writable = const_cast<BuildingRepository&>(t.buildings());
    auto added = writable.addBuilding("sneaky");
    EXPECT_FALSE(added);
    if (!added) {
      EXPECT_EQ(added.error().code, StoreErrorCode::ReadOnly) << added.error().message;
    }
    return {};
  });
  ASSERT_TRUE(done);
}

TEST_F(SqliteStoreTest, OnlineBackupIsAConsistentOpenableCopy) {
  const auto meter = addMeter("M1", addGateway("G1"));
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(store->write(
        [&](WriteTransaction& t) { return recharge(t, meter, 100, "k" + std::to_string(i)); }));
  }
  const auto copy = m_dir.path() / "backup.db";
  // A writer keeps committing while the backup runs.
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 100; !stop.load() && i < 400; ++i) {
      auto w = store->write(
          [&](WriteTransaction& t) { return recharge(t, meter, 100, "k" + std::to_string(i)); });
      EXPECT_TRUE(w);
    }
  });
  auto backedUp = store->backupTo(copy);
  stop = true;
  writer.join();
  ASSERT_TRUE(backedUp) << backedUp.error().message;

  auto restored = openSqliteStore(copy);
  ASSERT_TRUE(restored) << restored.error().message;
  auto verification = (*restored)->verifyLedger();
  ASSERT_TRUE(verification);
  EXPECT_TRUE(verification->ok());
  EXPECT_GE(verification->entriesChecked, 20);

  auto again = store->backupTo(copy);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, StoreErrorCode::InvalidArgument);
}

TEST_F(SqliteStoreTest, ErrorCodesHaveStableNames) {
  EXPECT_EQ(toString(StoreErrorCode::NotFound), "not_found");
  EXPECT_EQ(toString(StoreErrorCode::IdempotencyConflict), "idempotency_conflict");
  EXPECT_EQ(toString(StoreErrorCode::SchemaTooNew), "schema_too_new");
}

}  // namespace
}  // namespace prepaid::store::testing
