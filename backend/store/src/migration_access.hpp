#pragma once

// The SQL of the migration step that adds staff access and the audit log (operators, roles,
// sessions, kiosks, account QR cards, failure throttles, audit records). Kept in its own file so
// the step list in migrations.cpp stays short; like every released step, never edit it.

#include <string_view>

namespace prepaid::store::detail {

inline constexpr std::string_view MigrationAccessSummary =
    "staff access and audit: roles, operators, sessions, kiosks, account cards, throttles, "
    "audit log";

inline constexpr std::string_view MigrationAccessSql = R"sql(
CREATE TABLE roles (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE CHECK (name <> ''),
  permissions TEXT NOT NULL
);

CREATE TABLE operators (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL UNIQUE CHECK (username <> ''),
  display_name TEXT NOT NULL,
  password_hash TEXT NOT NULL CHECK (password_hash <> ''),
  role_id BIGINT NOT NULL REFERENCES roles(id),
  state TEXT NOT NULL CHECK (state IN ('active', 'disabled')),
  created_at BIGINT NOT NULL,
  password_changed_at BIGINT NOT NULL
);

CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY CHECK (token_hash <> ''),
  operator_id BIGINT NOT NULL REFERENCES operators(id),
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  client TEXT NOT NULL
);
CREATE INDEX sessions_operator ON sessions (operator_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE kiosks (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE CHECK (name <> ''),
  key_hash TEXT NOT NULL UNIQUE CHECK (key_hash <> ''),
  enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
  created_at BIGINT NOT NULL
);

CREATE TABLE account_cards (
  account_id INTEGER PRIMARY KEY REFERENCES accounts(id),
  token_hash TEXT NOT NULL UNIQUE CHECK (token_hash <> ''),
  issued_at BIGINT NOT NULL
);

CREATE TABLE throttles (
  subject TEXT PRIMARY KEY CHECK (subject <> ''),
  failures BIGINT NOT NULL CHECK (failures >= 0),
  window_start BIGINT NOT NULL,
  locked_until BIGINT
);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at BIGINT NOT NULL,
  actor TEXT NOT NULL CHECK (actor <> ''),
  action TEXT NOT NULL CHECK (action <> ''),
  target TEXT NOT NULL,
  before_json TEXT NOT NULL,
  after_json TEXT NOT NULL,
  client TEXT NOT NULL,
  outcome TEXT NOT NULL,
  previous_hash TEXT NOT NULL,
  hash TEXT NOT NULL CHECK (hash <> '')
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused');
END;
)sql";

}  // namespace prepaid::store::detail
