#pragma once

// How collection reaches meters without naming a driver: backend/app implements BusFactory with
// the real transports and drivers (devices/meter); tests implement it with fakes.
//
// One Bus per gateway connection. A Bus and the Meters it hands out are used by exactly one
// thread (that gateway's worker), so an implementation needs no locking of its own.

#include <expected>
#include <memory>
#include <string>

#include "prepaid/meter/meter.hpp"
#include "prepaid/store/gateway_repository.hpp"
#include "prepaid/store/meter_repository.hpp"

namespace prepaid::backend::collect {

class Bus {
 public:
  virtual ~Bus() = default;

  /// The driver for `meter` on this bus (created on first use, then cached; recreated when the
  /// meter's unit address or profile changed). The reference stays valid until the next call
  /// for the same meter or the Bus is destroyed. Error: a message (unknown profile, bad address).
  [[nodiscard]] virtual std::expected<devices::Meter*, std::string> meter(
      const store::Meter& meter) = 0;

  /// Drops the connection so that the next request reconnects (after the gateway came back).
  virtual void reset() = 0;
};

class BusFactory {
 public:
  virtual ~BusFactory() = default;

  /// Opens (lazily: no I/O yet) the bus a gateway row describes. Error: a message (bad URI).
  /// Called from the gateway's worker thread; must be thread-safe across gateways.
  [[nodiscard]] virtual std::expected<std::unique_ptr<Bus>, std::string> open(
      const store::Gateway& gateway) = 0;
};

}  // namespace prepaid::backend::collect
