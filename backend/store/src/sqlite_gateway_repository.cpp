#include "codec.hpp"
#include "sqlite_repositories.hpp"

namespace prepaid::store::detail {

namespace {

constexpr std::string_view GatewayColumns =
    "SELECT id, name, transport_uri, response_timeout_ms, byte_timeout_ms, "
    "inter_request_delay_ms, retries, enabled, link_state, link_changed_at FROM gateways";

Gateway gatewayFrom(const Statement& row) {
  Gateway g;
  g.id = row.int64(0);
  g.name = row.text(1);
  g.transportUri = row.text(2);
  g.responseTimeoutMs = row.int64(3);
  g.byteTimeoutMs = row.int64(4);
  g.interRequestDelayMs = row.int64(5);
  g.retries = row.int64(6);
  g.enabled = row.int64(7) != 0 ? GatewayEnabled::Enabled : GatewayEnabled::Disabled;
  g.linkState = parseIn(LinkStateNames, row.text(8), "link state");
  g.linkChangedAt = fromEpoch(row.optInt64(9));
  return g;
}

void validate(const Gateway& g) {
  if (g.name.empty() || g.transportUri.empty()) {
    fail(StoreErrorCode::InvalidArgument, "a gateway needs a name and a transport URI");
  }
  if (g.responseTimeoutMs <= 0 || g.byteTimeoutMs <= 0 || g.interRequestDelayMs < 0 ||
      g.retries < 0) {
    fail(StoreErrorCode::InvalidArgument, "gateway '" + g.name +
                                              "': timeouts must be > 0 ms, "
                                              "delay and retries >= 0");
  }
}

}  // namespace

std::expected<Gateway, StoreError> SqliteGatewayRepository::add(const Gateway& gateway) {
  return guard([&] {
    validate(gateway);
    m_ctx.db().run(
        "INSERT INTO gateways (name, transport_uri, response_timeout_ms, byte_timeout_ms, "
        "inter_request_delay_ms, retries, enabled, link_state, link_changed_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'online', NULL)",
        gateway.name, gateway.transportUri, gateway.responseTimeoutMs, gateway.byteTimeoutMs,
        gateway.interRequestDelayMs, gateway.retries,
        gateway.enabled == GatewayEnabled::Enabled ? 1 : 0);
    Gateway stored = gateway;
    stored.id = m_ctx.db().lastInsertRowId();
    stored.linkState = LinkState::Online;
    stored.linkChangedAt.reset();
    return stored;
  });
}

std::expected<void, StoreError> SqliteGatewayRepository::update(const Gateway& gateway) {
  return guard([&] {
    validate(gateway);
    if (m_ctx.db().run(
            "UPDATE gateways SET name = ?2, transport_uri = ?3, response_timeout_ms = ?4, "
            "byte_timeout_ms = ?5, inter_request_delay_ms = ?6, retries = ?7, "
            "enabled = ?8 WHERE id = ?1",
            gateway.id, gateway.name, gateway.transportUri, gateway.responseTimeoutMs,
            gateway.byteTimeoutMs, gateway.interRequestDelayMs, gateway.retries,
            gateway.enabled == GatewayEnabled::Enabled ? 1 : 0) == 0) {
      fail(StoreErrorCode::NotFound, "gateway " + std::to_string(gateway.id) + " not found");
    }
  });
}

std::expected<void, StoreError> SqliteGatewayRepository::setLinkState(GatewayId id, LinkState state,
                                                                      domain::Instant at) {
  return guard([&] {
    auto& db = m_ctx.db();
    if (db.queryInt("SELECT COUNT(*) FROM gateways WHERE id = ?1", id) == 0) {
      fail(StoreErrorCode::NotFound, "gateway " + std::to_string(id) + " not found");
    }
    db.run(
        "UPDATE gateways SET link_state = ?2, link_changed_at = ?3 WHERE id = ?1 AND "
        "link_state <> ?2",
        id, nameIn(LinkStateNames, state), toEpoch(at));
  });
}

std::expected<Gateway, StoreError> SqliteGatewayRepository::gateway(GatewayId id) const {
  return guard([&] {
    auto row = m_ctx.db().prepare(std::string(GatewayColumns) + " WHERE id = ?1");
    row.bindAll(id);
    if (!row.step()) {
      fail(StoreErrorCode::NotFound, "gateway " + std::to_string(id) + " not found");
    }
    return gatewayFrom(row);
  });
}

std::expected<std::vector<Gateway>, StoreError> SqliteGatewayRepository::gateways() const {
  return guard([&] {
    std::vector<Gateway> result;
    auto row = m_ctx.db().prepare(std::string(GatewayColumns) + " ORDER BY name");
    while (row.step()) {
      result.push_back(gatewayFrom(row));
    }
    return result;
  });
}

}  // namespace prepaid::store::detail
