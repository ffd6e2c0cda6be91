#include "codec.hpp"
#include "sqlite_repositories.hpp"

namespace prepaid::store::detail {

namespace {

constexpr std::string_view AlarmColumns =
    "SELECT id, meter_id, gateway_id, kind, raised_at, cleared_at, notified, detail FROM alarms";

Alarm alarmFrom(const Statement& row) {
  Alarm a;
  a.id = row.int64(0);
  a.subject = AlarmSubject{row.optInt64(1), row.optInt64(2)};
  a.kind = parseIn(AlarmKindNames, row.text(3), "alarm kind");
  a.raisedAt = fromEpoch(row.int64(4));
  a.clearedAt = fromEpoch(row.optInt64(5));
  a.notified = fromFlag<Notified>(row.int64(6));
  a.detail = row.text(7);
  return a;
}

void validate(const AlarmSubject& subject) {
  if (subject.meterId.has_value() == subject.gatewayId.has_value()) {
    fail(StoreErrorCode::InvalidArgument, "an alarm is about exactly one meter or one gateway");
  }
}

// Matches the subject whichever of the two ids it carries (the other is bound as NULL).
constexpr std::string_view SubjectMatch =
    "((?1 IS NOT NULL AND meter_id = ?1) OR (?2 IS NOT NULL AND gateway_id = ?2))";

std::vector<Alarm> list(Connection& db, const std::string& where, auto... args) {
  std::vector<Alarm> result;
  auto row = db.prepare(std::string(AlarmColumns) + " " + where);
  row.bindAll(args...);
  while (row.step()) {
    result.push_back(alarmFrom(row));
  }
  return result;
}

}  // namespace

std::expected<RaiseResult, StoreError> SqliteAlarmRepository::raise(const AlarmSubject& subject,
                                                                    AlarmKind kind,
                                                                    domain::Instant at,
                                                                    const std::string& detail) {
  return guard([&] {
    validate(subject);
    auto& db = m_ctx.db();
    auto open =
        list(db, "WHERE " + std::string(SubjectMatch) + " AND kind = ?3 AND cleared_at IS NULL",
             subject.meterId, subject.gatewayId, nameIn(AlarmKindNames, kind));
    if (!open.empty()) {
      return RaiseResult{open.front(), RaiseOutcome::AlreadyOpen};
    }
    db.run(
        "INSERT INTO alarms (meter_id, gateway_id, kind, raised_at, cleared_at, notified, "
        "detail) VALUES (?1, ?2, ?3, ?4, NULL, 0, ?5)",
        subject.meterId, subject.gatewayId, nameIn(AlarmKindNames, kind), toEpoch(at), detail);
    return RaiseResult{
        Alarm{db.lastInsertRowId(), subject, kind, at, std::nullopt, Notified::No, detail},
        RaiseOutcome::Raised};
  });
}

std::expected<std::optional<Alarm>, StoreError> SqliteAlarmRepository::clear(
    const AlarmSubject& subject, AlarmKind kind, domain::Instant at) {
  return guard([&]() -> std::optional<Alarm> {
    validate(subject);
    auto& db = m_ctx.db();
    auto open =
        list(db, "WHERE " + std::string(SubjectMatch) + " AND kind = ?3 AND cleared_at IS NULL",
             subject.meterId, subject.gatewayId, nameIn(AlarmKindNames, kind));
    if (open.empty()) {
      return std::nullopt;
    }
    Alarm alarm = open.front();
    db.run("UPDATE alarms SET cleared_at = ?2 WHERE id = ?1", alarm.id, toEpoch(at));
    alarm.clearedAt = at;
    return alarm;
  });
}

std::expected<void, StoreError> SqliteAlarmRepository::markNotified(AlarmId id) {
  return guard([&] {
    if (m_ctx.db().run("UPDATE alarms SET notified = 1 WHERE id = ?1", id) == 0) {
      fail(StoreErrorCode::NotFound, "alarm " + std::to_string(id) + " not found");
    }
  });
}

std::expected<std::vector<Alarm>, StoreError> SqliteAlarmRepository::openAlarms() const {
  return guard([&] { return list(m_ctx.db(), "WHERE cleared_at IS NULL ORDER BY raised_at, id"); });
}

std::expected<std::vector<Alarm>, StoreError> SqliteAlarmRepository::openAlarmsOf(
    const AlarmSubject& subject) const {
  return guard([&] {
    validate(subject);
    return list(
        m_ctx.db(),
        "WHERE " + std::string(SubjectMatch) + " AND cleared_at IS NULL ORDER BY raised_at, id",
        subject.meterId, subject.gatewayId);
  });
}

std::expected<std::vector<Alarm>, StoreError> SqliteAlarmRepository::unnotified() const {
  return guard([&] {
    return list(m_ctx.db(), "WHERE cleared_at IS NULL AND notified = 0 ORDER BY raised_at, id");
  });
}

std::expected<std::vector<Alarm>, StoreError> SqliteAlarmRepository::history(
    domain::Instant from, domain::Instant to, std::int64_t limit) const {
  return guard([&] {
    return list(m_ctx.db(),
                "WHERE raised_at >= ?1 AND raised_at < ?2 ORDER BY raised_at, id LIMIT ?3",
                toEpoch(from), toEpoch(to), limit);
  });
}

}  // namespace prepaid::store::detail

namespace prepaid::store {

std::string_view toString(AlarmKind value) {
  return detail::nameIn(detail::AlarmKindNames, value);
}

}  // namespace prepaid::store
