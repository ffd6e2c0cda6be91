#include "prepaid/store/order_repository.hpp"

#include "payments_fixture.hpp"
#include <gtest/gtest.h>

namespace prepaid::backend::payments {
namespace {

using store::PaymentOrder;
using State = store::PaymentOrderState;

class OrderRepositoryTest : public ::testing::Test {
 protected:
  PaymentOrder newOrder(const std::string& no) {
    PaymentOrder order;
    order.orderNo = no;
    order.idempotencyKey = "key-" + no;
    order.meterId = meter;
    order.amountFen = 1000;
    order.provider = "wechat";
    order.createdAt = site.now();
    order.expiresAt = site.now() + std::chrono::minutes(3);
    order.nextCheckAt = site.now();
    return site.mustWrite([&](store::WriteTransaction& t) { return t.orders().add(order); });
  }
  std::expected<PaymentOrder, store::StoreError> update(const PaymentOrder& order, State from) {
    std::expected<PaymentOrder, store::StoreError> result = std::unexpected(store::StoreError{});
    (void)site.store->write(
        [&](store::WriteTransaction& t) -> std::expected<void, store::StoreError> {
          result = t.orders().update(order, from);
          return {};
        });
    return result;
  }

  test::PaymentSite site;
  store::MeterId meter = site.addMeter(domain::BillingMode::ServerSide);
};

TEST_F(OrderRepositoryTest, AddFindAndUniqueness) {
  const PaymentOrder order = newOrder("P1");
  EXPECT_GT(order.id, 0);
  auto byNo =
      site.mustRead([&](const store::ReadTransaction& t) { return t.orders().orderByNo("P1"); });
  ASSERT_TRUE(byNo.has_value());
  EXPECT_EQ(byNo->idempotencyKey, "key-P1");
  EXPECT_EQ(byNo->state, State::Created);
  EXPECT_THROW(newOrder("P1"), std::runtime_error);  // Duplicate order number
  PaymentOrder bad = order;
  bad.orderNo = "P2";
  bad.amountFen = 0;
  auto refused =
      site.store->write([&](store::WriteTransaction& t) -> std::expected<void, store::StoreError> {
        auto added = t.orders().add(bad);
        if (!added) {
          return std::unexpected(added.error());
        }
        return {};
      });
  EXPECT_FALSE(refused.has_value());
}

TEST_F(OrderRepositoryTest, TransitionsAreCompareAndSetAndChecked) {
  PaymentOrder order = newOrder("P1");
  order.state = State::Pending;
  ASSERT_TRUE(update(order, State::Created).has_value());
  // A second writer that still believes "created" loses.
  order.state = State::Expired;
  auto stale = update(order, State::Created);
  ASSERT_FALSE(stale.has_value());
  EXPECT_EQ(stale.error().code, store::StoreErrorCode::InvalidTransition);
  // paid without paid_fen is refused by the schema; with it allowed.
  order.state = State::Paid;
  EXPECT_FALSE(update(order, State::Pending).has_value());
  order.paidFen = 1000;
  ASSERT_TRUE(update(order, State::Pending).has_value());
  // paid -> receipted skips credited: not allowed.
  order.state = State::Receipted;
  EXPECT_EQ(update(order, State::Paid).error().code, store::StoreErrorCode::InvalidTransition);
  EXPECT_FALSE(store::isAllowedTransition(State::Reversed, State::Paid));
  EXPECT_FALSE(store::isAllowedTransition(State::Refunded, State::Refunded));
  EXPECT_TRUE(store::isAllowedTransition(State::Expired, State::Paid));
  EXPECT_TRUE(store::isAllowedTransition(State::Credited, State::Refunding));
}

TEST_F(OrderRepositoryTest, DueUnsettledAndSearch) {
  PaymentOrder a = newOrder("PA");
  PaymentOrder b = newOrder("PB");
  b.state = State::Failed;
  ASSERT_TRUE(update(b, State::Created).has_value());
  PaymentOrder c = newOrder("PC");
  c.nextCheckAt = site.now() + std::chrono::seconds(60);
  ASSERT_TRUE(update(c, State::Created).has_value());
  auto due = site.mustRead(
      [&](const store::ReadTransaction& t) { return t.orders().due(site.now(), 10); });
  ASSERT_EQ(due.size(), 1U);
  EXPECT_EQ(due[0].orderNo, "PA");
  auto unsettled =
      site.mustRead([&](const store::ReadTransaction& t) { return t.orders().unsettled(10); });
  EXPECT_EQ(unsettled.size(), 2U);
  store::OrderQuery query;
  query.state = State::Failed;
  auto failed =
      site.mustRead([&](const store::ReadTransaction& t) { return t.orders().search(query); });
  ASSERT_EQ(failed.size(), 1U);
  EXPECT_EQ(failed[0].orderNo, "PB");
  query = {};
  query.orderNo = "PC";
  EXPECT_EQ(site.mustRead([&](const store::ReadTransaction& t) { return t.orders().search(query); })
                .size(),
            1U);
  query = {};
  query.meterId = meter;
  query.limit = 2;
  EXPECT_EQ(site.mustRead([&](const store::ReadTransaction& t) { return t.orders().search(query); })
                .size(),
            2U);
}

TEST_F(OrderRepositoryTest, NotificationLogIsAppendOnly) {
  store::PaymentNotificationRecord record;
  record.provider = "wechat";
  record.orderNo = "P1";
  record.verdict = store::NotificationVerdict::Rejected;
  record.reason = "bad signature";
  record.receivedAt = site.now();
  site.mustWrite([&](store::WriteTransaction& t) { return t.orders().logNotification(record); });
  auto logged = site.mustRead(
      [&](const store::ReadTransaction& t) { return t.orders().notifications("P1", 10); });
  ASSERT_EQ(logged.size(), 1U);
  EXPECT_EQ(logged[0].reason, "bad signature");
  EXPECT_EQ(logged[0].verdict, store::NotificationVerdict::Rejected);
}

}  // namespace
}  // namespace prepaid::backend::payments
