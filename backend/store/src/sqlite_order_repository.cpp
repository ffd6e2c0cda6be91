#include "sqlite_order_repository.hpp"

#include <array>

#include "codec.hpp"
#include "sqlite_repositories.hpp"

namespace prepaid::store {

namespace {

using State = PaymentOrderState;

constexpr std::array<std::pair<State, std::string_view>, 14> StateNames = {{
    {State::Created, "created"},
    {State::Pending, "pending"},
    {State::Paid, "paid"},
    {State::Crediting, "crediting"},
    {State::Credited, "credited"},
    {State::Receipted, "receipted"},
    {State::Expired, "expired"},
    {State::Closing, "closing"},
    {State::Closed, "closed"},
    {State::Reversing, "reversing"},
    {State::Reversed, "reversed"},
    {State::Refunding, "refunding"},
    {State::Refunded, "refunded"},
    {State::Failed, "failed"},
}};

bool isFinal(State state) {
  return state == State::Receipted || state == State::Reversed || state == State::Refunded;
}

}  // namespace

std::string_view toString(PaymentOrderState state) {
  return detail::nameIn(StateNames, state);
}

std::optional<PaymentOrderState> parsePaymentOrderState(std::string_view text) {
  for (const auto& [state, name] : StateNames) {
    if (name == text) {
      return state;
    }
  }
  return std::nullopt;
}

bool needsWork(PaymentOrderState state) {
  switch (state) {
    case State::Created:
    case State::Pending:
    case State::Paid:
    case State::Crediting:
    case State::Closing:
    case State::Reversing:
    case State::Refunding:
      return true;
    default:
      return false;
  }
}

bool isAllowedTransition(PaymentOrderState from, PaymentOrderState to) {
  if (from == to) {
    return !isFinal(from);
  }
  switch (from) {
    case State::Created:
    case State::Pending:
      return to == State::Pending || to == State::Paid || to == State::Expired ||
             to == State::Closing || to == State::Closed || to == State::Reversing ||
             to == State::Reversed || to == State::Failed;
    case State::Closing:
      return to == State::Closed || to == State::Paid || to == State::Reversed ||
             to == State::Expired;
    case State::Reversing:
      return to == State::Reversed;
    case State::Paid:
      return to == State::Crediting || to == State::Credited || to == State::Refunding;
    case State::Crediting:
      return to == State::Credited || to == State::Refunding;
    case State::Credited:
      return to == State::Receipted || to == State::Refunding;
    case State::Refunding:
      // Back to where it was when billing refuses to take the credit back (the recharge
      // reached a meter-side meter meanwhile): the refund did not happen.
      return to == State::Refunded || to == State::Paid || to == State::Crediting ||
             to == State::Credited || to == State::Receipted;
    case State::Expired:
    case State::Closed:
    case State::Failed:
      // A verified payment that arrives after we gave up on the order is kept, never dropped.
      return to == State::Paid;
    case State::Receipted:
      return to == State::Refunding;  // staff may refund a printed recharge too
    case State::Reversed:
    case State::Refunded:
      return false;
  }
  return false;
}

namespace detail {

namespace {

constexpr std::string_view Columns =
    "id, order_no, idempotency_key, meter_id, amount_fen, provider, channel, state, qr_code, "
    "provider_trade_no, paid_fen, ledger_entry_id, command_id, source, attention, "
    "attention_reason, last_error, refund_no, refund_reason, refunded_by, created_at, updated_at, "
    "expires_at, next_check_at, code_deadline, paid_at, credited_at, receipted_at, checks";

constexpr std::string_view ActiveStates =
    "('created', 'pending', 'paid', 'crediting', 'closing', 'reversing', 'refunding')";

PaymentOrder orderFromRow(const Statement& row) {
  PaymentOrder order;
  order.id = row.int64(0);
  order.orderNo = row.text(1);
  order.idempotencyKey = row.text(2);
  order.meterId = row.int64(3);
  order.amountFen = row.int64(4);
  order.provider = row.text(5);
  order.channel = row.text(6) == "code" ? PaymentChannel::Code : PaymentChannel::Qr;
  auto state = parsePaymentOrderState(row.text(7));
  if (!state) {
    fail(StoreErrorCode::Corrupt, "unknown payment order state '" + row.text(7) + "'");
  }
  order.state = *state;
  order.qrCode = row.text(8);
  order.providerTradeNo = row.text(9);
  order.paidFen = row.optInt64(10);
  order.ledgerEntryId = row.optInt64(11);
  order.commandId = row.optInt64(12);
  order.source = row.text(13);
  order.attention =
      row.text(14) == "needs_staff" ? OrderAttention::NeedsStaff : OrderAttention::None;
  order.attentionReason = row.text(15);
  order.lastError = row.text(16);
  order.refundNo = row.text(17);
  order.refundReason = row.text(18);
  order.refundedBy = row.text(19);
  order.createdAt = fromEpoch(row.int64(20));
  order.updatedAt = fromEpoch(row.int64(21));
  order.expiresAt = fromEpoch(row.int64(22));
  order.nextCheckAt = fromEpoch(row.int64(23));
  order.codeDeadline = fromEpoch(row.optInt64(24));
  order.paidAt = fromEpoch(row.optInt64(25));
  order.creditedAt = fromEpoch(row.optInt64(26));
  order.receiptedAt = fromEpoch(row.optInt64(27));
  order.checks = row.int64(28);
  return order;
}

std::string_view channelName(PaymentChannel channel) {
  return channel == PaymentChannel::Code ? "code" : "qr";
}

std::string_view attentionName(OrderAttention attention) {
  return attention == OrderAttention::NeedsStaff ? "needs_staff" : "none";
}

std::vector<PaymentOrder> collect(Statement& row) {
  std::vector<PaymentOrder> orders;
  while (row.step()) {
    orders.push_back(orderFromRow(row));
  }
  return orders;
}

constexpr std::array<std::pair<NotificationVerdict, std::string_view>, 3> VerdictNames = {{
    {NotificationVerdict::Accepted, "accepted"},
    {NotificationVerdict::Duplicate, "duplicate"},
    {NotificationVerdict::Rejected, "rejected"},
}};

}  // namespace

std::expected<PaymentOrder, StoreError> SqliteOrderRepository::add(const PaymentOrder& order) {
  return guard([&] {
    if (order.orderNo.empty() || order.idempotencyKey.empty()) {
      fail(StoreErrorCode::InvalidArgument, "a payment order needs an order number and a key");
    }
    m_ctx.db().run(
        "INSERT INTO payment_orders (order_no, idempotency_key, meter_id, amount_fen, provider, "
        "channel, state, qr_code, provider_trade_no, paid_fen, ledger_entry_id, command_id, "
        "source, attention, attention_reason, last_error, refund_no, refund_reason, refunded_by, "
        "created_at, updated_at, expires_at, next_check_at, code_deadline, paid_at, credited_at, "
        "receipted_at, checks) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
        "?14, ?15, ?16, ?17, ?18, ?19, ?20, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27)",
        order.orderNo, order.idempotencyKey, order.meterId, order.amountFen, order.provider,
        channelName(order.channel), toString(order.state), order.qrCode, order.providerTradeNo,
        order.paidFen, order.ledgerEntryId, order.commandId, order.source,
        attentionName(order.attention), order.attentionReason, order.lastError, order.refundNo,
        order.refundReason, order.refundedBy, toEpoch(order.createdAt), toEpoch(order.expiresAt),
        toEpoch(order.nextCheckAt), toEpoch(order.codeDeadline), toEpoch(order.paidAt),
        toEpoch(order.creditedAt), toEpoch(order.receiptedAt), order.checks);
    PaymentOrder added = order;
    added.id = m_ctx.db().lastInsertRowId();
    added.updatedAt = order.createdAt;
    return added;
  });
}

std::expected<PaymentOrder, StoreError> SqliteOrderRepository::update(const PaymentOrder& order,
                                                                      PaymentOrderState expected) {
  return guard([&]() -> std::expected<PaymentOrder, StoreError> {
    if (!isAllowedTransition(expected, order.state)) {
      fail(StoreErrorCode::InvalidTransition,
           "payment order " + order.orderNo + ": " + std::string(toString(expected)) + " -> " +
               std::string(toString(order.state)) + " is not allowed");
    }
    const std::int64_t changed = m_ctx.db().run(
        "UPDATE payment_orders SET provider = ?3, state = ?4, qr_code = ?5, "
        "provider_trade_no = ?6, paid_fen = ?7, ledger_entry_id = ?8, command_id = ?9, "
        "attention = ?10, attention_reason = ?11, last_error = ?12, refund_no = ?13, "
        "refund_reason = ?14, refunded_by = ?15, updated_at = ?16, expires_at = ?17, "
        "next_check_at = ?18, code_deadline = ?19, paid_at = ?20, credited_at = ?21, "
        "receipted_at = ?22, checks = ?23 WHERE id = ?1 AND state = ?2",
        order.id, toString(expected), order.provider, toString(order.state), order.qrCode,
        order.providerTradeNo, order.paidFen, order.ledgerEntryId, order.commandId,
        attentionName(order.attention), order.attentionReason, order.lastError, order.refundNo,
        order.refundReason, order.refundedBy, toEpoch(order.updatedAt), toEpoch(order.expiresAt),
        toEpoch(order.nextCheckAt), toEpoch(order.codeDeadline), toEpoch(order.paidAt),
        toEpoch(order.creditedAt), toEpoch(order.receiptedAt), order.checks);
    if (changed == 0) {
      auto current = this->order(order.id);
      if (!current) {
        return std::unexpected(current.error());
      }
      fail(StoreErrorCode::InvalidTransition, "payment order " + order.orderNo + " is " +
                                                  std::string(toString(current->state)) + ", not " +
                                                  std::string(toString(expected)));
    }
    return this->order(order.id);
  });
}

std::expected<PaymentOrder, StoreError> SqliteOrderRepository::order(PaymentOrderId id) const {
  return guard([&] {
    auto row =
        m_ctx.db().prepare("SELECT " + std::string(Columns) + " FROM payment_orders WHERE id = ?1");
    row.bindAll(id);
    if (!row.step()) {
      fail(StoreErrorCode::NotFound, "no payment order " + std::to_string(id));
    }
    return orderFromRow(row);
  });
}

std::expected<std::optional<PaymentOrder>, StoreError> SqliteOrderRepository::orderByNo(
    const std::string& orderNo) const {
  return guard([&]() -> std::optional<PaymentOrder> {
    auto row = m_ctx.db().prepare("SELECT " + std::string(Columns) +
                                  " FROM payment_orders WHERE order_no = ?1");
    row.bindAll(orderNo);
    if (!row.step()) {
      return std::nullopt;
    }
    return orderFromRow(row);
  });
}

std::expected<std::optional<PaymentOrder>, StoreError> SqliteOrderRepository::orderByKey(
    const std::string& idempotencyKey) const {
  return guard([&]() -> std::optional<PaymentOrder> {
    auto row = m_ctx.db().prepare("SELECT " + std::string(Columns) +
                                  " FROM payment_orders WHERE idempotency_key = ?1");
    row.bindAll(idempotencyKey);
    if (!row.step()) {
      return std::nullopt;
    }
    return orderFromRow(row);
  });
}

std::expected<std::vector<PaymentOrder>, StoreError> SqliteOrderRepository::due(
    domain::Instant now, std::int64_t limit) const {
  return guard([&] {
    auto row = m_ctx.db().prepare(
        "SELECT " + std::string(Columns) + " FROM payment_orders WHERE state IN " +
        std::string(ActiveStates) + " AND next_check_at <= ?1 ORDER BY next_check_at, id LIMIT ?2");
    row.bindAll(toEpoch(now), limit);
    return collect(row);
  });
}

std::expected<std::vector<PaymentOrder>, StoreError> SqliteOrderRepository::unsettled(
    std::int64_t limit) const {
  return guard([&] {
    auto row = m_ctx.db().prepare("SELECT " + std::string(Columns) +
                                  " FROM payment_orders WHERE state IN " +
                                  std::string(ActiveStates) + " ORDER BY id LIMIT ?1");
    row.bindAll(limit);
    return collect(row);
  });
}

std::expected<std::vector<PaymentOrder>, StoreError> SqliteOrderRepository::search(
    const OrderQuery& query) const {
  return guard([&] {
    // Every filter is a parameter that is NULL (or '') when unused, so one cached statement
    // serves every combination.
    auto row = m_ctx.db().prepare(
        "SELECT " + std::string(Columns) +
        " FROM payment_orders WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR meter_id = ?2) "
        "AND (?3 = '' OR order_no = ?3 OR provider_trade_no = ?3) "
        "AND (?4 IS NULL OR created_at >= ?4) AND (?5 IS NULL OR created_at < ?5) "
        "AND (?6 = 0 OR attention <> 'none') ORDER BY created_at DESC, id DESC LIMIT ?7");
    std::optional<std::string> state;
    if (query.state) {
      state = std::string(toString(*query.state));
    }
    row.bindAll(state, query.meterId, query.orderNo, toEpoch(query.from), toEpoch(query.to),
                query.attentionOnly ? 1 : 0, query.limit);
    return collect(row);
  });
}

std::expected<std::map<PaymentOrderState, std::int64_t>, StoreError>
SqliteOrderRepository::countByState() const {
  return guard([&] {
    auto row = m_ctx.db().prepare(
        "SELECT state, COUNT(*) FROM payment_orders GROUP BY state ORDER BY state");
    std::map<PaymentOrderState, std::int64_t> counts;
    while (row.step()) {
      auto state = parsePaymentOrderState(row.text(0));
      if (!state) {
        fail(StoreErrorCode::Corrupt, "unknown payment order state '" + row.text(0) + "'");
      }
      counts[*state] = row.int64(1);
    }
    return counts;
  });
}

std::expected<PaymentNotificationRecord, StoreError> SqliteOrderRepository::logNotification(
    const PaymentNotificationRecord& record) {
  return guard([&] {
    m_ctx.db().run(
        "INSERT INTO payment_notifications (provider, order_no, event_id, verdict, reason, "
        "amount_fen, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        record.provider, record.orderNo, record.eventId, nameIn(VerdictNames, record.verdict),
        record.reason, record.amountFen, toEpoch(record.receivedAt));
    PaymentNotificationRecord stored = record;
    stored.id = m_ctx.db().lastInsertRowId();
    return stored;
  });
}

std::expected<std::vector<PaymentNotificationRecord>, StoreError>
SqliteOrderRepository::notifications(const std::string& orderNo, std::int64_t limit) const {
  return guard([&] {
    auto row = m_ctx.db().prepare(
        "SELECT id, provider, order_no, event_id, verdict, reason, amount_fen, received_at "
        "FROM payment_notifications WHERE (?1 = '' OR order_no = ?1) ORDER BY id LIMIT ?2");
    row.bindAll(orderNo, limit);
    std::vector<PaymentNotificationRecord> records;
    while (row.step()) {
      PaymentNotificationRecord record;
      record.id = row.int64(0);
      record.provider = row.text(1);
      record.orderNo = row.text(2);
      record.eventId = row.text(3);
      record.verdict = parseIn(VerdictNames, row.text(4), "notification verdict");
      record.reason = row.text(5);
      record.amountFen = row.optInt64(6);
      record.receivedAt = fromEpoch(row.int64(7));
      records.push_back(std::move(record));
    }
    return records;
  });
}

}  // namespace detail

}  // namespace prepaid::store
