// IdempotencyRepository: first response stored, replay returns it, other request refused.

#include "store_fixture.hpp"

namespace prepaid::store::testing {
namespace {

class IdempotencyRepositoryTest : public StoreTest {};

TEST_F(IdempotencyRepositoryTest, SaveReplayConflictAndPurge) {
  IdempotencyRecord record{"key-1", "sha256:aaa", 201, R"({"order":1})", utc(2024, 3, 1)};
  auto saved = tx([&](WriteTransaction& t) { return t.idempotency().save(record); });
  ASSERT_TRUE(saved);
  EXPECT_EQ(saved->outcome, SaveOutcome::Saved);

  IdempotencyRecord replay = record;
  replay.responseBody = "something else";
  auto replayed = tx([&](WriteTransaction& t) { return t.idempotency().save(replay); });
  ASSERT_TRUE(replayed);
  EXPECT_EQ(replayed->outcome, SaveOutcome::Replayed);
  EXPECT_EQ(replayed->record.responseBody, R"({"order":1})");
  EXPECT_EQ(replayed->record.responseStatus, 201);

  IdempotencyRecord other = record;
  other.requestHash = "sha256:bbb";
  EXPECT_EQ(errorCode(tx([&](WriteTransaction& t) { return t.idempotency().save(other); })),
            StoreErrorCode::IdempotencyConflict);

  auto found = rd([&](const ReadTransaction& t) { return t.idempotency().find("key-1"); });
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->createdAt, utc(2024, 3, 1));

  auto purged =
      tx([&](WriteTransaction& t) { return t.idempotency().purgeBefore(utc(2024, 3, 2)); });
  ASSERT_TRUE(purged);
  EXPECT_EQ(*purged, 1);
  EXPECT_FALSE(
      rd([&](const ReadTransaction& t) { return t.idempotency().find("key-1"); })->has_value());
  EXPECT_EQ(
      errorCode(tx([&](WriteTransaction& t) { return t.idempotency().save(IdempotencyRecord{}); })),
      StoreErrorCode::InvalidArgument);
}

}  // namespace
}  // namespace prepaid::store::testing
