#pragma once

// The SQL of the migration step that adds payment orders and the provider notification log
// (backend/payments). Kept in its own file so the step list in migrations.cpp stays short; like
// every released step, never edit it.

#include <string_view>

namespace prepaid::store::detail {

inline constexpr std::string_view MigrationPaymentsSummary =
    "payments: payment orders (QR / payment code) and the provider notification log";

inline constexpr std::string_view MigrationPaymentsSql = R"sql(
CREATE TABLE payment_orders (
  id INTEGER PRIMARY KEY,
  order_no TEXT NOT NULL UNIQUE CHECK (order_no <> ''),
  idempotency_key TEXT NOT NULL UNIQUE CHECK (idempotency_key <> ''),
  meter_id BIGINT NOT NULL REFERENCES meters(id),
  amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
  provider TEXT NOT NULL CHECK (provider IN ('', 'wechat', 'alipay')),
  channel TEXT NOT NULL CHECK (channel IN ('qr', 'code')),
  state TEXT NOT NULL CHECK (state IN ('created', 'pending', 'paid', 'crediting', 'credited',
    'receipted', 'expired', 'closing', 'closed', 'reversing', 'reversed', 'refunding',
    'refunded', 'failed')),
  qr_code TEXT NOT NULL,
  provider_trade_no TEXT NOT NULL,
  paid_fen BIGINT CHECK (paid_fen IS NULL OR paid_fen > 0),
  ledger_entry_id BIGINT REFERENCES ledger_entries(id),
  command_id BIGINT REFERENCES commands(id),
  source TEXT NOT NULL,
  attention TEXT NOT NULL CHECK (attention IN ('none', 'needs_staff')),
  attention_reason TEXT NOT NULL,
  last_error TEXT NOT NULL,
  refund_no TEXT NOT NULL,
  refund_reason TEXT NOT NULL,
  refunded_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  next_check_at BIGINT NOT NULL,
  code_deadline BIGINT,
  paid_at BIGINT,
  credited_at BIGINT,
  receipted_at BIGINT,
  checks BIGINT NOT NULL CHECK (checks >= 0),
  CHECK (state NOT IN ('paid', 'crediting', 'credited', 'receipted') OR paid_fen IS NOT NULL),
  CHECK (state NOT IN ('crediting', 'credited', 'receipted') OR ledger_entry_id IS NOT NULL)
);
CREATE INDEX payment_orders_due ON payment_orders (next_check_at)
  WHERE state IN ('created', 'pending', 'paid', 'crediting', 'closing', 'reversing', 'refunding');
CREATE INDEX payment_orders_meter ON payment_orders (meter_id, created_at);
CREATE INDEX payment_orders_created ON payment_orders (created_at);
CREATE INDEX payment_orders_trade_no ON payment_orders (provider_trade_no)
  WHERE provider_trade_no <> '';
CREATE INDEX payment_orders_attention ON payment_orders (created_at) WHERE attention <> 'none';

CREATE TABLE payment_notifications (
  id INTEGER PRIMARY KEY,
  provider TEXT NOT NULL,
  order_no TEXT NOT NULL,
  event_id TEXT NOT NULL,
  verdict TEXT NOT NULL CHECK (verdict IN ('accepted', 'duplicate', 'rejected')),
  reason TEXT NOT NULL,
  amount_fen BIGINT,
  received_at BIGINT NOT NULL
);
CREATE INDEX payment_notifications_order ON payment_notifications (order_no, id);
CREATE TRIGGER payment_notifications_no_update BEFORE UPDATE ON payment_notifications
BEGIN
  SELECT RAISE(ABORT, 'payment_notifications is append-only');
END;
CREATE TRIGGER payment_notifications_no_delete BEFORE DELETE ON payment_notifications
BEGIN
  SELECT RAISE(ABORT, 'payment_notifications is append-only');
END;
)sql";

}  // namespace prepaid::store::detail
