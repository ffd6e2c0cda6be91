#pragma once

// Gateways (通讯管理机): one connection to one RS-485 bus each.

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "prepaid/domain/time.hpp"
#include "prepaid/store/ids.hpp"
#include "prepaid/store/store_error.hpp"

namespace prepaid::store {

enum class GatewayEnabled {
  Enabled,
  Disabled,  // not polled, no commands sent
};

struct Gateway {
  GatewayId id = 0;
  std::string name;                       // unique
  std::string transportUri;               // e.g. "tcp://10.0.0.5:502", "rtu-tcp://…",
                                          // "rtu:///dev/ttyS0?baud=9600&parity=E"
  std::int64_t responseTimeoutMs = 500;   // wait for the first byte of a reply
  std::int64_t byteTimeoutMs = 50;        // gap allowed between bytes of one reply
  std::int64_t interRequestDelayMs = 20;  // quiet time on the bus between requests
  std::int64_t retries = 2;               // re-sends of a failed request before counting a failure
  GatewayEnabled enabled = GatewayEnabled::Enabled;
  LinkState linkState = LinkState::Online;
  std::optional<domain::Instant> linkChangedAt;  // when linkState last changed
};

class GatewayRepository {
 public:
  virtual ~GatewayRepository() = default;

  /// Adds a gateway (id, link state ignored); Duplicate for a name taken, InvalidArgument for
  /// an empty name/URI or negative timings.
  [[nodiscard]] virtual std::expected<Gateway, StoreError> add(const Gateway& gateway) = 0;
  /// Replaces the configuration (not the link state) of an existing gateway.
  [[nodiscard]] virtual std::expected<void, StoreError> update(const Gateway& gateway) = 0;
  /// Records a link state change; NotFound when absent. No-op if already in that state.
  [[nodiscard]] virtual std::expected<void, StoreError> setLinkState(GatewayId id, LinkState state,
                                                                     domain::Instant at) = 0;
  /// One gateway; NotFound when absent.
  [[nodiscard]] virtual std::expected<Gateway, StoreError> gateway(GatewayId id) const = 0;
  /// Every gateway by name.
  [[nodiscard]] virtual std::expected<std::vector<Gateway>, StoreError> gateways() const = 0;
};

}  // namespace prepaid::store
