#pragma once

// SQLite implementation of the payment order repository (migration 4). Same rules as
// sqlite_repositories.hpp: a thin object over the transaction's connection, every public method
// guarded.

#include "prepaid/store/order_repository.hpp"

namespace prepaid::store::detail {

class RepositoryContext;

class SqliteOrderRepository final : public OrderRepository {
 public:
  explicit SqliteOrderRepository(const RepositoryContext& context) : m_ctx(context) {}
  std::expected<PaymentOrder, StoreError> add(const PaymentOrder& order) override;
  std::expected<PaymentOrder, StoreError> update(const PaymentOrder& order,
                                                 PaymentOrderState expected) override;
  std::expected<PaymentOrder, StoreError> order(PaymentOrderId id) const override;
  std::expected<std::optional<PaymentOrder>, StoreError> orderByNo(
      const std::string& orderNo) const override;
  std::expected<std::optional<PaymentOrder>, StoreError> orderByKey(
      const std::string& idempotencyKey) const override;
  std::expected<std::vector<PaymentOrder>, StoreError> due(domain::Instant now,
                                                           std::int64_t limit) const override;
  std::expected<std::vector<PaymentOrder>, StoreError> unsettled(std::int64_t limit) const override;
  std::expected<std::vector<PaymentOrder>, StoreError> search(
      const OrderQuery& query) const override;
  std::expected<std::map<PaymentOrderState, std::int64_t>, StoreError> countByState()
      const override;
  std::expected<PaymentNotificationRecord, StoreError> logNotification(
      const PaymentNotificationRecord& record) override;
  std::expected<std::vector<PaymentNotificationRecord>, StoreError> notifications(
      const std::string& orderNo, std::int64_t limit) const override;

 private:
  const RepositoryContext& m_ctx;
};

}  // namespace prepaid::store::detail
