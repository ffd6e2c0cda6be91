#include "migrations.hpp"

#include <array>
#include <string>

#include "migration_access.hpp"
#include "migration_payments.hpp"

namespace prepaid::store::detail {

namespace {

// Portability notes (a PostgreSQL implementation is planned):
// - INTEGER PRIMARY KEY is SQLite's rowid alias; on PostgreSQL it becomes BIGINT GENERATED ALWAYS
//   AS IDENTITY. Every other integer column is BIGINT (money, energy, epoch seconds).
// - Instants are BIGINT seconds since the Unix epoch, UTC. Enums are TEXT with CHECK.
// - Flags are INTEGER 0/1 with CHECK (BOOLEAN on PostgreSQL).
// - Triggers use SQLite's RAISE(ABORT, …); on PostgreSQL they become a plpgsql function.
// - Partial unique indexes (WHERE …) and ON CONFLICT … DO UPDATE are valid in both.
constexpr std::string_view Migration1 = R"sql(
CREATE TABLE site (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  name TEXT NOT NULL CHECK (name <> ''),
  utc_offset_minutes BIGINT NOT NULL CHECK (utc_offset_minutes BETWEEN -840 AND 840)
);
INSERT INTO site (id, name, utc_offset_minutes) VALUES (1, 'Prepaid site', 480);

CREATE TABLE tariffs (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE CHECK (name <> '')
);

CREATE TABLE tariff_versions (
  id INTEGER PRIMARY KEY,
  tariff_id BIGINT NOT NULL REFERENCES tariffs(id),
  effective_from BIGINT NOT NULL,
  definition TEXT NOT NULL CHECK (definition <> ''),
  created_at BIGINT NOT NULL,
  UNIQUE (tariff_id, effective_from)
);

CREATE TABLE settings (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  overload_threshold_w BIGINT NOT NULL CHECK (overload_threshold_w > 0),
  collection_interval_s BIGINT NOT NULL CHECK (collection_interval_s >= 1),
  alarm1_fen BIGINT NOT NULL CHECK (alarm1_fen >= 0),
  alarm2_fen BIGINT NOT NULL CHECK (alarm2_fen >= 0 AND alarm2_fen <= alarm1_fen),
  default_unit_price_micro_yuan BIGINT NOT NULL CHECK (default_unit_price_micro_yuan >= 0),
  default_tariff_id BIGINT REFERENCES tariffs(id),
  hoarding_cap_fen BIGINT NOT NULL CHECK (hoarding_cap_fen > 0),
  close_allowed_fen BIGINT NOT NULL,
  alarm_sms_number TEXT NOT NULL,
  pin_required INTEGER NOT NULL CHECK (pin_required IN (0, 1)),
  lost_contact_failures BIGINT NOT NULL CHECK (lost_contact_failures >= 1)
);
INSERT INTO settings (id, overload_threshold_w, collection_interval_s, alarm1_fen, alarm2_fen,
                      default_unit_price_micro_yuan, default_tariff_id, hoarding_cap_fen,
                      close_allowed_fen, alarm_sms_number, pin_required, lost_contact_failures)
VALUES (1, 10000, 1800, 5000, 2000, 1000000, NULL, 500000, 0, '', 0, 3);

CREATE TABLE buildings (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE CHECK (name <> '')
);

CREATE TABLE floors (
  id INTEGER PRIMARY KEY,
  building_id BIGINT NOT NULL REFERENCES buildings(id),
  name TEXT NOT NULL CHECK (name <> ''),
  ordinal BIGINT NOT NULL,
  UNIQUE (building_id, name)
);

CREATE TABLE shops (
  id INTEGER PRIMARY KEY,
  floor_id BIGINT NOT NULL REFERENCES floors(id),
  number TEXT NOT NULL UNIQUE CHECK (number <> ''),
  area_centi_m2 BIGINT NOT NULL CHECK (area_centi_m2 >= 0),
  head_count BIGINT NOT NULL CHECK (head_count >= 0)
);
CREATE INDEX shops_floor ON shops (floor_id);

CREATE TABLE tenants (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL CHECK (name <> ''),
  phone TEXT NOT NULL,
  pin_hash TEXT NOT NULL
);

CREATE TABLE gateways (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE CHECK (name <> ''),
  transport_uri TEXT NOT NULL CHECK (transport_uri <> ''),
  response_timeout_ms BIGINT NOT NULL CHECK (response_timeout_ms > 0),
  byte_timeout_ms BIGINT NOT NULL CHECK (byte_timeout_ms > 0),
  inter_request_delay_ms BIGINT NOT NULL CHECK (inter_request_delay_ms >= 0),
  retries BIGINT NOT NULL CHECK (retries >= 0),
  enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
  link_state TEXT NOT NULL CHECK (link_state IN ('online', 'lost')),
  link_changed_at BIGINT
);

CREATE TABLE meters (
  id INTEGER PRIMARY KEY,
  serial TEXT NOT NULL UNIQUE CHECK (serial <> ''),
  profile TEXT NOT NULL CHECK (profile <> ''),
  unit_address BIGINT NOT NULL CHECK (unit_address BETWEEN 1 AND 247),
  gateway_id BIGINT NOT NULL REFERENCES gateways(id),
  shop_id BIGINT REFERENCES shops(id),
  medium TEXT NOT NULL CHECK (medium IN ('electricity', 'water')),
  billing_mode TEXT NOT NULL CHECK (billing_mode IN ('meter_side', 'server_side')),
  tariff_id BIGINT REFERENCES tariffs(id),
  alarm1_fen BIGINT CHECK (alarm1_fen >= 0),
  alarm2_fen BIGINT CHECK (alarm2_fen >= 0),
  overload_threshold_w BIGINT CHECK (overload_threshold_w > 0),
  trip_policy TEXT NOT NULL CHECK (trip_policy IN ('immediate', 'never', 'delayed')),
  delayed_trip_minute BIGINT NOT NULL CHECK (delayed_trip_minute BETWEEN 0 AND 1439),
  trip_at_night INTEGER NOT NULL CHECK (trip_at_night IN (0, 1)),
  trip_on_holidays INTEGER NOT NULL CHECK (trip_on_holidays IN (0, 1)),
  keep_power INTEGER NOT NULL CHECK (keep_power IN (0, 1)),
  mac_key_hex TEXT NOT NULL,
  mac_algorithm TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('not_opened', 'opened', 'closed')),
  purchase_count BIGINT NOT NULL CHECK (purchase_count >= 0),
  sales_blocked INTEGER NOT NULL CHECK (sales_blocked IN (0, 1)),
  sales_blocked_reason TEXT NOT NULL,
  link_state TEXT NOT NULL CHECK (link_state IN ('online', 'lost')),
  link_changed_at BIGINT,
  replaced_by_meter_id BIGINT REFERENCES meters(id),
  CHECK (replaced_by_meter_id <> id)
);
CREATE INDEX meters_gateway ON meters (gateway_id, unit_address);
CREATE INDEX meters_shop ON meters (shop_id);

CREATE TABLE accounts (
  id INTEGER PRIMARY KEY,
  tenant_id BIGINT NOT NULL REFERENCES tenants(id),
  state TEXT NOT NULL CHECK (state IN ('open', 'closed')),
  opened_at BIGINT NOT NULL,
  closed_at BIGINT,
  CHECK ((state = 'closed') = (closed_at IS NOT NULL))
);
CREATE INDEX accounts_tenant ON accounts (tenant_id);

CREATE TABLE account_meters (
  account_id BIGINT NOT NULL REFERENCES accounts(id),
  meter_id BIGINT NOT NULL REFERENCES meters(id),
  added_at BIGINT NOT NULL,
  removed_at BIGINT,
  PRIMARY KEY (account_id, meter_id)
);
-- A meter is on at most one account at a time.
CREATE UNIQUE INDEX account_meters_current ON account_meters (meter_id) WHERE removed_at IS NULL;

CREATE TABLE readings (
  id INTEGER PRIMARY KEY,
  meter_id BIGINT NOT NULL REFERENCES meters(id),
  read_at BIGINT NOT NULL,
  energy_total_centi_kwh BIGINT NOT NULL,
  energy_sharp_centi_kwh BIGINT NOT NULL,
  energy_peak_centi_kwh BIGINT NOT NULL,
  energy_flat_centi_kwh BIGINT NOT NULL,
  energy_valley_centi_kwh BIGINT NOT NULL,
  voltage_deci_v BIGINT,
  current_milli_a BIGINT,
  power_w BIGINT,
  balance_fen BIGINT,
  purchase_count BIGINT,
  relay TEXT CHECK (relay IN ('closed', 'open')),
  status_bits BIGINT NOT NULL,
  UNIQUE (meter_id, read_at)
);

CREATE TABLE rollups (
  meter_id BIGINT NOT NULL REFERENCES meters(id),
  granularity TEXT NOT NULL CHECK (granularity IN ('hour', 'day', 'month')),
  period_start BIGINT NOT NULL,
  energy_total_centi_kwh BIGINT NOT NULL,
  energy_sharp_centi_kwh BIGINT NOT NULL,
  energy_peak_centi_kwh BIGINT NOT NULL,
  energy_flat_centi_kwh BIGINT NOT NULL,
  energy_valley_centi_kwh BIGINT NOT NULL,
  charged_fen BIGINT NOT NULL,
  allocated_fen BIGINT NOT NULL,
  reading_count BIGINT NOT NULL,
  PRIMARY KEY (meter_id, granularity, period_start)
);

CREATE TABLE ledger_entries (
  id INTEGER PRIMARY KEY,
  meter_id BIGINT NOT NULL REFERENCES meters(id),
  account_id BIGINT REFERENCES accounts(id),
  kind TEXT NOT NULL CHECK (kind IN ('recharge', 'refund', 'correction', 'charge', 'allocation',
                                     'transfer_in', 'transfer_out', 'close_settlement')),
  amount_fen BIGINT NOT NULL,
  idempotency_key TEXT NOT NULL UNIQUE CHECK (idempotency_key <> ''),
  referenced_entry_id BIGINT REFERENCES ledger_entries(id),
  purchase_count BIGINT,
  source TEXT NOT NULL CHECK (source <> ''),
  note TEXT NOT NULL,
  usage_at BIGINT,
  created_at BIGINT NOT NULL,
  CHECK (kind <> 'correction' OR referenced_entry_id IS NOT NULL),
  CHECK (kind NOT IN ('recharge', 'transfer_in') OR amount_fen > 0),
  CHECK (kind <> 'refund' OR amount_fen < 0),
  CHECK (kind NOT IN ('charge', 'allocation', 'transfer_out') OR amount_fen <= 0)
);
CREATE INDEX ledger_entries_meter ON ledger_entries (meter_id, created_at);
CREATE INDEX ledger_entries_created ON ledger_entries (created_at);
-- Partial: only corrections (and transfers) reference an entry, so ordinary postings do not pay
-- for this index.
CREATE INDEX ledger_entries_referenced ON ledger_entries (referenced_entry_id)
  WHERE referenced_entry_id IS NOT NULL;

CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN
  SELECT RAISE(ABORT, 'ledger_entries is append-only: UPDATE refused');
END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN
  SELECT RAISE(ABORT, 'ledger_entries is append-only: DELETE refused');
END;

-- Derived: balance_fen = SUM(amount_fen) of the meter's entries (verified by checkBalance).
CREATE TABLE meter_balances (
  meter_id INTEGER PRIMARY KEY REFERENCES meters(id),
  balance_fen BIGINT NOT NULL,
  entry_count BIGINT NOT NULL,
  last_entry_id BIGINT NOT NULL REFERENCES ledger_entries(id)
);

CREATE TABLE commands (
  id INTEGER PRIMARY KEY,
  meter_id BIGINT NOT NULL REFERENCES meters(id),
  kind TEXT NOT NULL CHECK (kind IN ('recharge', 'price', 'settings', 'keep_power_on',
                                     'keep_power_off', 'resume_prepaid', 'trip', 'close',
                                     'read_now')),
  payload TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'done', 'failed', 'outcome_unknown')),
  attempts BIGINT NOT NULL CHECK (attempts >= 0),
  priority BIGINT NOT NULL,
  purchase_count BIGINT,
  ledger_entry_id BIGINT REFERENCES ledger_entries(id),
  batch_id TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  not_before BIGINT NOT NULL,
  last_error TEXT NOT NULL,
  CHECK (kind <> 'recharge' OR purchase_count IS NOT NULL)
);
CREATE INDEX commands_state ON commands (state, priority, id);
CREATE INDEX commands_meter ON commands (meter_id, state);
CREATE INDEX commands_batch ON commands (batch_id);

CREATE TABLE alarms (
  id INTEGER PRIMARY KEY,
  meter_id BIGINT REFERENCES meters(id),
  gateway_id BIGINT REFERENCES gateways(id),
  kind TEXT NOT NULL CHECK (kind IN ('alarm1', 'alarm2', 'arrears', 'overload', 'lost_contact',
                                     'purchase_count_mismatch', 'over_voltage', 'under_voltage')),
  raised_at BIGINT NOT NULL,
  cleared_at BIGINT,
  notified INTEGER NOT NULL CHECK (notified IN (0, 1)),
  detail TEXT NOT NULL,
  CHECK ((meter_id IS NULL) <> (gateway_id IS NULL))
);
-- A level crossing is recorded once: one open alarm per subject and kind.
CREATE UNIQUE INDEX alarms_open_meter ON alarms (meter_id, kind)
  WHERE cleared_at IS NULL AND meter_id IS NOT NULL;
CREATE UNIQUE INDEX alarms_open_gateway ON alarms (gateway_id, kind)
  WHERE cleared_at IS NULL AND gateway_id IS NOT NULL;
CREATE INDEX alarms_raised ON alarms (raised_at);

CREATE TABLE idempotency_records (
  idempotency_key TEXT PRIMARY KEY CHECK (idempotency_key <> ''),
  request_hash TEXT NOT NULL CHECK (request_hash <> ''),
  response_status BIGINT NOT NULL,
  response_body TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX idempotency_records_created ON idempotency_records (created_at);
)sql";

// Billing's per-meter memory between readings (backend/billing). usage_year/usage_month are the
// local month of the tier counters (both NULL before the first rated interval); carry is the
// FenCarry remainder in nano-yuan, always in [0, 1 fen).
constexpr std::string_view Migration2 = R"sql(
CREATE TABLE meter_billing_state (
  meter_id INTEGER PRIMARY KEY REFERENCES meters(id),
  processed_through BIGINT,
  baseline_at BIGINT,
  baseline_total_centi_kwh BIGINT,
  baseline_has_rates INTEGER NOT NULL CHECK (baseline_has_rates IN (0, 1)),
  baseline_sharp_centi_kwh BIGINT NOT NULL,
  baseline_peak_centi_kwh BIGINT NOT NULL,
  baseline_flat_centi_kwh BIGINT NOT NULL,
  baseline_valley_centi_kwh BIGINT NOT NULL,
  usage_year BIGINT,
  usage_month BIGINT CHECK (usage_month BETWEEN 1 AND 12),
  month_usage_centi_kwh BIGINT NOT NULL CHECK (month_usage_centi_kwh >= 0),
  year_usage_centi_kwh BIGINT NOT NULL CHECK (year_usage_centi_kwh >= 0),
  carry_nano_yuan BIGINT NOT NULL CHECK (carry_nano_yuan >= 0 AND carry_nano_yuan < 10000000),
  balance_level TEXT NOT NULL CHECK (balance_level IN ('normal', 'alarm1', 'alarm2', 'arrears')),
  notified_level TEXT NOT NULL CHECK (notified_level IN ('normal', 'alarm1', 'alarm2', 'arrears')),
  arrears_since BIGINT,
  relay_opener TEXT NOT NULL CHECK (relay_opener IN ('unknown', 'billing')),
  last_anomaly TEXT NOT NULL,
  last_anomaly_at BIGINT,
  updated_at BIGINT NOT NULL,
  CHECK ((baseline_at IS NULL) = (baseline_total_centi_kwh IS NULL)),
  CHECK ((usage_year IS NULL) = (usage_month IS NULL))
);
)sql";

// Kiosk payment order limits per site (backend/payments), with the former fixed values.
constexpr std::string_view Migration5 = R"sql(
ALTER TABLE settings ADD COLUMN order_min_fen BIGINT NOT NULL DEFAULT 100
  CHECK (order_min_fen > 0);
ALTER TABLE settings ADD COLUMN order_max_fen BIGINT NOT NULL DEFAULT 500000
  CHECK (order_max_fen >= order_min_fen);
)sql";

constexpr std::array<Migration, 5> Migrations = {{
    {1,
     "initial schema: site, settings, plant, tenants, accounts, gateways, meters, tariffs, "
     "readings, roll-ups, ledger, balances, commands, alarms, idempotency records",
     Migration1},
    {2, "billing state per meter: register baseline, rating state, balance alarm level, trip state",
     Migration2},
    {3, MigrationAccessSummary, MigrationAccessSql},
    {4, MigrationPaymentsSummary, MigrationPaymentsSql},
    {5, "settings: payment order minimum and maximum amount", Migration5},
}};

std::int64_t userVersion(Connection& connection) {
  return connection.queryInt("PRAGMA user_version");
}

}  // namespace

std::span<const Migration> migrations() {
  return Migrations;
}

std::int64_t migrate(Connection& connection) {
  const std::int64_t latest = Migrations.back().version;
  // Cheap check before taking the write lock: a read needs no lock and an up-to-date file (the
  // usual case, and a read-only replica) must not be blocked by a running writer.
  const std::int64_t before = userVersion(connection);
  if (before > latest) {
    fail(StoreErrorCode::SchemaTooNew, "database schema version " + std::to_string(before) +
                                           " is newer than this program supports (" +
                                           std::to_string(latest) +
                                           "); use a newer prepaid release or restore a backup");
  }
  if (before == latest) {
    return before;
  }
  connection.exec("BEGIN IMMEDIATE");
  try {
    // Re-read under the lock: another process may have migrated meanwhile.
    const std::int64_t current = userVersion(connection);
    if (current > latest) {
      fail(StoreErrorCode::SchemaTooNew, "database schema version " + std::to_string(current) +
                                             " is newer than this program supports (" +
                                             std::to_string(latest) + ")");
    }
    for (const auto& migration : Migrations) {
      if (migration.version <= current) {
        continue;
      }
      connection.exec(migration.sql);
      // PRAGMA takes no bound parameters; the value is our own integer.
      connection.exec("PRAGMA user_version = " + std::to_string(migration.version));
    }
    connection.exec("COMMIT");
  } catch (...) {
    connection.rollbackQuietly();
    throw;
  }
  return userVersion(connection);
}

}  // namespace prepaid::store::detail
