// AccountRepository: tenants, open/close, one account per meter at a time.

#include "store_fixture.hpp"

namespace prepaid::store::testing {
namespace {

class AccountRepositoryTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    const auto gateway = addGateway("G1");
    meterA = addMeter("A", gateway, 1);
    meterB = addMeter("B", gateway, 2);
    auto added = tx([&](WriteTransaction& t) {
      return t.accounts().addTenant(Tenant{0, "张三", "13800000000", ""});
    });
    ASSERT_TRUE(added);
    tenant = added->id;
  }
  MeterId meterA = 0;
  MeterId meterB = 0;
  TenantId tenant = 0;
};

TEST_F(AccountRepositoryTest, OpenWithSeveralMetersAddLaterAndClose) {
  const auto opened = utc(2024, 3, 1);
  auto account =
      tx([&](WriteTransaction& t) { return t.accounts().openAccount(tenant, {meterA}, opened); });
  ASSERT_TRUE(account) << account.error().message;
  EXPECT_EQ(account->state, AccountState::Open);
  ASSERT_TRUE(tx([&](WriteTransaction& t) {
    return t.accounts().addMeter(account->id, meterB, opened + std::chrono::hours(1));
  }));
  auto ofMeter =
      rd([&](const ReadTransaction& t) { return t.accounts().openAccountOfMeter(meterB); });
  ASSERT_TRUE(ofMeter && *ofMeter);
  EXPECT_EQ((*ofMeter)->id, account->id);
  EXPECT_EQ(rd([&](const ReadTransaction& t) {
              return t.accounts().metersOf(account->id, AccountRepository::History::CurrentOnly);
            })->size(),
            2U);

  const auto closed = utc(2024, 6, 1);
  ASSERT_TRUE(
      tx([&](WriteTransaction& t) { return t.accounts().closeAccount(account->id, closed); }));
  auto loaded = rd([&](const ReadTransaction& t) { return t.accounts().account(account->id); });
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->state, AccountState::Closed);
  EXPECT_EQ(loaded->closedAt, closed);
  EXPECT_FALSE(rd([&](const ReadTransaction& t) {
                 return t.accounts().openAccountOfMeter(meterA);
               })->has_value());
  auto history = rd([&](const ReadTransaction& t) {
    return t.accounts().metersOf(account->id, AccountRepository::History::Include);
  });
  ASSERT_TRUE(history);
  ASSERT_EQ(history->size(), 2U);
  EXPECT_EQ((*history)[0].removedAt, closed);
  EXPECT_EQ(errorCode(tx([&](WriteTransaction& t) {
              return t.accounts().closeAccount(account->id, closed);
            })),
            StoreErrorCode::InvalidTransition);
  EXPECT_EQ(errorCode(tx([&](WriteTransaction& t) {
              return t.accounts().addMeter(account->id, meterA, closed);
            })),
            StoreErrorCode::InvalidTransition);
  // The meters are free for a new account after the close.
  EXPECT_TRUE(tx([&](WriteTransaction& t) {
    return t.accounts().openAccount(tenant, {meterA, meterB}, closed);
  }));
  EXPECT_EQ(
      rd([&](const ReadTransaction& t) { return t.accounts().accountsOfTenant(tenant); })->size(),
      2U);
}

TEST_F(AccountRepositoryTest, AMeterIsOnAtMostOneOpenAccount) {
  ASSERT_TRUE(tx([&](WriteTransaction& t) {
    return t.accounts().openAccount(tenant, {meterA}, utc(2024, 3, 1));
  }));
  auto second = tx([&](WriteTransaction& t) {
    return t.accounts().openAccount(tenant, {meterB, meterA}, utc(2024, 3, 2));
  });
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, StoreErrorCode::Duplicate);
  // Nothing of the refused account remains (meterB is still free).
  EXPECT_FALSE(rd([&](const ReadTransaction& t) {
                 return t.accounts().openAccountOfMeter(meterB);
               })->has_value());
  EXPECT_EQ(
      rd([&](const ReadTransaction& t) { return t.accounts().accountsOfTenant(tenant); })->size(),
      1U);
}

TEST_F(AccountRepositoryTest, RemoveMeterAndTenantUpdate) {
  auto account = tx([&](WriteTransaction& t) {
    return t.accounts().openAccount(tenant, {meterA, meterB}, utc(2024, 3, 1));
  });
  ASSERT_TRUE(account);
  ASSERT_TRUE(tx([&](WriteTransaction& t) {
    return t.accounts().removeMeter(account->id, meterA, utc(2024, 3, 5));
  }));
  EXPECT_EQ(errorCode(tx([&](WriteTransaction& t) {
              return t.accounts().removeMeter(account->id, meterA, utc(2024, 3, 5));
            })),
            StoreErrorCode::NotFound);
  ASSERT_TRUE(tx([&](WriteTransaction& t) {
    return t.accounts().updateTenant(Tenant{tenant, "张三", "13900000000", "pbkdf2$..."});
  }));
  auto loaded = rd([&](const ReadTransaction& t) { return t.accounts().tenant(tenant); });
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->phone, "13900000000");
  EXPECT_EQ(loaded->pinHash, "pbkdf2$...");
  EXPECT_EQ(errorCode(tx([&](WriteTransaction& t) { return t.accounts().addTenant(Tenant{}); })),
            StoreErrorCode::InvalidArgument);
}

}  // namespace
}  // namespace prepaid::store::testing
