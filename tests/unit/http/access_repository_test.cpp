// The store side of staff access (operators, roles, sessions, kiosks, cards, throttles), tested
// here because the HTTP layer owns these repositories.

#include "temp_store.hpp"
#include <gtest/gtest.h>

namespace prepaid::backend::http {
namespace {

using store::StoreErrorCode;
using store::WriteTransaction;

template <typename Fn>
auto inWrite(store::Store& store, Fn&& fn) {
  std::optional<decltype(fn(std::declval<WriteTransaction&>()))> result;
  auto written = store.write([&](WriteTransaction& tx) -> std::expected<void, store::StoreError> {
    result.emplace(fn(tx));
    return {};
  });
  EXPECT_TRUE(written);
  return std::move(*result);
}

const domain::Instant T0{std::chrono::seconds(1'700'000'000)};

TEST(AccessRepositoryTest, RolesOperatorsAndSessions) {
  testing::TempStore temp;
  auto& db = temp.store();
  const auto role = inWrite(db, [](WriteTransaction& tx) {
    return tx.operators().addRole(
        store::Role{0, "cashier", {"sales.sell", "sales.read", "sales.sell"}});
  });
  ASSERT_TRUE(role);
  EXPECT_EQ(role->permissions, (std::vector<std::string>{"sales.read", "sales.sell"}));
  EXPECT_EQ(inWrite(db,
                    [](WriteTransaction& tx) {
                      return tx.operators().addRole(store::Role{0, "cashier", {}});
                    })
                .error()
                .code,
            StoreErrorCode::Duplicate);
  EXPECT_EQ(inWrite(db,
                    [](WriteTransaction& tx) {
                      return tx.operators().addRole(store::Role{0, "x", {"has space"}});
                    })
                .error()
                .code,
            StoreErrorCode::InvalidArgument);

  store::Operator op;
  op.username = "li";
  op.passwordHash = "h";
  op.roleId = role->id;
  op.createdAt = T0;
  const auto added =
      inWrite(db, [&](WriteTransaction& tx) { return tx.operators().addOperator(op); });
  ASSERT_TRUE(added);
  EXPECT_EQ(inWrite(db, [&](WriteTransaction& tx) { return tx.operators().addOperator(op); })
                .error()
                .code,
            StoreErrorCode::Duplicate);
  op.username = "ghost";
  op.roleId = 999;
  EXPECT_EQ(inWrite(db, [&](WriteTransaction& tx) { return tx.operators().addOperator(op); })
                .error()
                .code,
            StoreErrorCode::Constraint);

  store::Session session{"abc", added->id, T0, T0 + std::chrono::minutes(30), T0, "127.0.0.1"};
  ASSERT_TRUE(
      inWrite(db, [&](WriteTransaction& tx) { return tx.operators().addSession(session); }));
  EXPECT_TRUE(
      inWrite(db, [](WriteTransaction& tx) { return tx.operators().session("abc"); }).value());
  EXPECT_EQ(inWrite(db,
                    [&](WriteTransaction& tx) {
                      return tx.operators().purgeExpiredSessions(T0 + std::chrono::hours(1));
                    })
                .value(),
            1);
  EXPECT_FALSE(
      inWrite(db, [](WriteTransaction& tx) { return tx.operators().session("abc"); }).value());
}

TEST(AccessRepositoryTest, KiosksCardsAndThrottles) {
  testing::TempStore temp;
  auto& db = temp.store();
  store::Kiosk kiosk;
  kiosk.name = "lobby";
  kiosk.keyHash = "k1";
  kiosk.createdAt = T0;
  ASSERT_TRUE(inWrite(db, [&](WriteTransaction& tx) { return tx.access().addKiosk(kiosk); }));
  EXPECT_TRUE(
      inWrite(db, [](WriteTransaction& tx) { return tx.access().kioskByKeyHash("k1"); }).value());
  EXPECT_FALSE(inWrite(db, [](WriteTransaction& tx) {
                 return tx.access().kioskByKeyHash("' OR 1=1 --");
               }).value());

  EXPECT_EQ(inWrite(db,
                    [](WriteTransaction& tx) {
                      return tx.access().setAccountCard(store::AccountCard{42, "t", T0});
                    })
                .error()
                .code,
            StoreErrorCode::Constraint);

  store::Throttle throttle{"pin:1", 3, T0, T0 + std::chrono::minutes(15)};
  ASSERT_TRUE(inWrite(db, [&](WriteTransaction& tx) { return tx.access().putThrottle(throttle); }));
  const auto read = inWrite(db, [](WriteTransaction& tx) { return tx.access().throttle("pin:1"); });
  ASSERT_TRUE(read && *read);
  EXPECT_EQ((*read)->failures, 3);
  EXPECT_EQ((*read)->lockedUntil, T0 + std::chrono::minutes(15));
  ASSERT_TRUE(inWrite(db, [](WriteTransaction& tx) { return tx.access().clearThrottle("pin:1"); }));
  EXPECT_FALSE(
      inWrite(db, [](WriteTransaction& tx) { return tx.access().throttle("pin:1"); }).value());
}

}  // namespace
}  // namespace prepaid::backend::http
