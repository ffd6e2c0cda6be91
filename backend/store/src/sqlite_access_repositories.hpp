#pragma once

// SQLite implementations of the access and audit repositories (operators, roles, sessions,
// kiosks, account cards, throttles, audit log). Same rules as sqlite_repositories.hpp: thin
// objects over the transaction's connection, every public method guarded.

#include "prepaid/store/access_repository.hpp"
#include "prepaid/store/audit_repository.hpp"
#include "prepaid/store/operator_repository.hpp"

namespace prepaid::store::detail {

class RepositoryContext;

class SqliteOperatorRepository final : public OperatorRepository {
 public:
  explicit SqliteOperatorRepository(const RepositoryContext& context) : m_ctx(context) {}
  std::expected<Role, StoreError> addRole(const Role& role) override;
  std::expected<void, StoreError> updateRole(const Role& role) override;
  std::expected<Role, StoreError> role(RoleId id) const override;
  std::expected<std::vector<Role>, StoreError> roles() const override;
  std::expected<Operator, StoreError> addOperator(const Operator& op) override;
  std::expected<void, StoreError> updateOperator(const Operator& op) override;
  std::expected<void, StoreError> setPasswordHash(OperatorId id, const std::string& passwordHash,
                                                  domain::Instant at) override;
  std::expected<Operator, StoreError> operatorById(OperatorId id) const override;
  std::expected<Operator, StoreError> operatorByName(const std::string& username) const override;
  std::expected<std::vector<Operator>, StoreError> operators() const override;
  std::expected<void, StoreError> addSession(const Session& session) override;
  std::expected<std::optional<Session>, StoreError> session(
      const std::string& tokenHash) const override;
  std::expected<void, StoreError> touchSession(const std::string& tokenHash,
                                               domain::Instant lastSeenAt,
                                               domain::Instant expiresAt) override;
  std::expected<bool, StoreError> deleteSession(const std::string& tokenHash) override;
  std::expected<std::int64_t, StoreError> deleteSessionsOf(OperatorId id) override;
  std::expected<std::int64_t, StoreError> purgeExpiredSessions(domain::Instant now) override;

 private:
  const RepositoryContext& m_ctx;
};

class SqliteAuditRepository final : public AuditRepository {
 public:
  explicit SqliteAuditRepository(const RepositoryContext& context) : m_ctx(context) {}
  std::expected<AuditRecord, StoreError> append(const AuditRecord& record) override;
  std::expected<std::optional<AuditRecord>, StoreError> last() const override;
  std::expected<std::vector<AuditRecord>, StoreError> range(AuditId afterId,
                                                            std::int64_t limit) const override;
  std::expected<std::vector<AuditRecord>, StoreError> find(const AuditQuery& query) const override;

 private:
  const RepositoryContext& m_ctx;
};

class SqliteAccessRepository final : public AccessRepository {
 public:
  explicit SqliteAccessRepository(const RepositoryContext& context) : m_ctx(context) {}
  std::expected<Kiosk, StoreError> addKiosk(const Kiosk& kiosk) override;
  std::expected<void, StoreError> setKioskEnabled(KioskId id, KioskEnabled enabled) override;
  std::expected<std::optional<Kiosk>, StoreError> kioskByKeyHash(
      const std::string& keyHash) const override;
  std::expected<std::vector<Kiosk>, StoreError> kiosks() const override;
  std::expected<void, StoreError> setAccountCard(const AccountCard& card) override;
  std::expected<std::optional<AccountCard>, StoreError> cardByTokenHash(
      const std::string& tokenHash) const override;
  std::expected<std::optional<Throttle>, StoreError> throttle(
      const std::string& subject) const override;
  std::expected<void, StoreError> putThrottle(const Throttle& throttle) override;
  std::expected<void, StoreError> clearThrottle(const std::string& subject) override;

 private:
  const RepositoryContext& m_ctx;
};

}  // namespace prepaid::store::detail
