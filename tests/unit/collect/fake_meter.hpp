#pragma once

// A scripted in-memory meter for the collection tests: verifies MACs like a real prepaid meter
// (devices/secure), applies recharges only at purchase count current+1, and can be told to stop
// answering, to lose the reply after applying, or to fail the connection.

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "prepaid/collect/bus_factory.hpp"
#include "prepaid/meter/meter.hpp"
#include "prepaid/secure/command_mac.hpp"

namespace prepaid::backend::collect::testing {

enum class FakeFault {
  None,
  NoReply,               // every request times out
  ReplyLostAfterApply,   // recharge/control applied, reply lost (OutcomeUnknown)
  ConnectionFailed,      // not sent
  NoReplyAfterRecharge,  // recharge applied, then the meter stops answering entirely
};

struct FakeMeterState {
  std::int64_t balanceFen = 10000;
  std::uint32_t purchaseCount = 0;
  domain::RelayState relay = domain::RelayState::Closed;
  devices::KeepPower keepPower = devices::KeepPower::Off;
  std::int64_t energyCentiKwh = 100;
  std::int64_t recharges = 0;  // recharges applied
  std::int64_t controls = 0;   // control commands applied
  std::int64_t reads = 0;      // snapshot reads answered
  std::int64_t requests = 0;   // every request seen
  devices::Thresholds thresholds{};
  devices::TouPrices prices{};
  FakeFault fault = FakeFault::None;
  int faultCount = -1;  // requests the fault lasts (-1: until cleared)
};

class FakeMeter final : public devices::Meter {
 public:
  FakeMeter(std::uint64_t address, devices::MacKey key, std::shared_ptr<std::mutex> mutex,
            std::shared_ptr<FakeMeterState> state)
      : m_address(address), m_key(key), m_mutex(std::move(mutex)), m_state(std::move(state)) {}

  std::expected<devices::MeterSnapshot, devices::DeviceError> readSnapshot() override {
    std::lock_guard lock(*m_mutex);
    if (auto error = fault(false)) {
      return std::unexpected(*error);
    }
    ++m_state->reads;
    m_state->energyCentiKwh += 1;
    devices::MeterSnapshot snapshot;
    snapshot.totalEnergy = domain::Energy::fromCentiKwh(m_state->energyCentiKwh);
    snapshot.voltageMilliVolts = 220000;
    snapshot.activePowerWatts = 1000;
    devices::PrepaidState prepaid;
    prepaid.balance = domain::Money::fromFen(m_state->balanceFen);
    prepaid.purchaseCount = m_state->purchaseCount;
    prepaid.relay = m_state->relay;
    prepaid.keepPower = m_state->keepPower;
    snapshot.prepaid = prepaid;
    return snapshot;
  }

  std::expected<std::uint32_t, devices::DeviceError> readPurchaseCount() override {
    std::lock_guard lock(*m_mutex);
    if (auto error = fault(false)) {
      return std::unexpected(*error);
    }
    return m_state->purchaseCount;
  }

  std::expected<void, devices::DeviceError> recharge(
      const devices::RechargeCommand& command) override {
    std::lock_guard lock(*m_mutex);
    if (auto error = fault(true)) {
      return std::unexpected(*error);
    }
    const auto fields = devices::rechargeMacFields(m_address, command);
    if (!fields ||
        !devices::verifyCommandMac(devices::MacAlgorithm::AesCmac, m_key, *fields, command.mac)) {
      return std::unexpected(rejected(devices::RejectReason::BadMac));
    }
    if (command.purchaseCount != m_state->purchaseCount + 1) {
      return std::unexpected(rejected(devices::RejectReason::PurchaseCountNotNext));
    }
    m_state->purchaseCount = command.purchaseCount;
    m_state->balanceFen += command.amount.fen();
    ++m_state->recharges;
    return afterApply();
  }

  std::expected<void, devices::DeviceError> setPrices(const devices::TouPrices& prices) override {
    std::lock_guard lock(*m_mutex);
    if (auto error = fault(false)) {
      return std::unexpected(*error);
    }
    m_state->prices = prices;
    return {};
  }

  std::expected<void, devices::DeviceError> setThresholds(
      const devices::Thresholds& thresholds) override {
    std::lock_guard lock(*m_mutex);
    if (auto error = fault(false)) {
      return std::unexpected(*error);
    }
    m_state->thresholds = thresholds;
    return {};
  }

  std::expected<void, devices::DeviceError> control(
      const devices::ControlCommand& command) override {
    std::lock_guard lock(*m_mutex);
    if (auto error = fault(true)) {
      return std::unexpected(*error);
    }
    if (!devices::verifyCommandMac(devices::MacAlgorithm::AesCmac, m_key,
                                   devices::controlMacFields(m_address, command), command.mac)) {
      return std::unexpected(rejected(devices::RejectReason::BadMac));
    }
    if (command.purchaseCount != m_state->purchaseCount) {
      return std::unexpected(rejected(devices::RejectReason::PurchaseCountNotNext));
    }
    switch (command.code) {
      case devices::ControlCode::Trip:
        m_state->relay = domain::RelayState::Open;
        break;
      case devices::ControlCode::Close:
        m_state->relay = domain::RelayState::Closed;
        break;
      case devices::ControlCode::KeepPowerOn:
        m_state->keepPower = devices::KeepPower::On;
        break;
      case devices::ControlCode::KeepPowerOff:
      case devices::ControlCode::ResumePrepaid:
        m_state->keepPower = devices::KeepPower::Off;
        break;
    }
    ++m_state->controls;
    return afterApply();
  }

  std::uint64_t macAddress() const override { return m_address; }
  devices::MacAlgorithm macAlgorithm() const override { return devices::MacAlgorithm::AesCmac; }

 private:
  static devices::DeviceError rejected(devices::RejectReason reason) {
    auto error = devices::makeError(devices::DeviceErrorKind::Rejected, "rejected");
    error.rejectReason = reason;
    return error;
  }

  std::optional<devices::DeviceError> fault(bool command) {
    ++m_state->requests;
    if (m_state->faultCount == 0) {
      m_state->fault = FakeFault::None;
    }
    const auto current = m_state->fault;
    if (current == FakeFault::None || current == FakeFault::ReplyLostAfterApply ||
        current == FakeFault::NoReplyAfterRecharge) {
      return std::nullopt;
    }
    if (m_state->faultCount > 0) {
      --m_state->faultCount;
    }
    if (current == FakeFault::ConnectionFailed) {
      return devices::makeError(devices::DeviceErrorKind::ConnectionFailed, "refused");
    }
    if (command) {
      auto error = devices::makeError(devices::DeviceErrorKind::OutcomeUnknown, "no reply");
      error.cause = devices::DeviceErrorKind::Timeout;
      return error;
    }
    return devices::makeError(devices::DeviceErrorKind::Timeout, "no reply");
  }

  std::expected<void, devices::DeviceError> afterApply() {
    const auto current = m_state->fault;
    if (current == FakeFault::ReplyLostAfterApply || current == FakeFault::NoReplyAfterRecharge) {
      if (current == FakeFault::NoReplyAfterRecharge) {
        m_state->fault = FakeFault::NoReply;
      } else if (m_state->faultCount > 0 && --m_state->faultCount == 0) {
        m_state->fault = FakeFault::None;
      }
      auto error = devices::makeError(devices::DeviceErrorKind::OutcomeUnknown, "reply lost");
      error.cause = devices::DeviceErrorKind::Timeout;
      return std::unexpected(error);
    }
    return {};
  }

  std::uint64_t m_address;
  devices::MacKey m_key;
  std::shared_ptr<std::mutex> m_mutex;
  std::shared_ptr<FakeMeterState> m_state;
};

/// A fleet of fake meters keyed by (gateway id, unit address), and a BusFactory handing them out.
class FakeFleet final : public BusFactory {
 public:
  static constexpr const char* KeyHex = "000102030405060708090a0b0c0d0e0f";

  std::shared_ptr<FakeMeterState> state(store::GatewayId gateway, std::int64_t unit) {
    std::lock_guard lock(*m_mutex);
    auto& slot = m_states[{gateway, unit}];
    if (!slot) {
      slot = std::make_shared<FakeMeterState>();
    }
    return slot;
  }
  /// Runs `change` on a meter's state under the fleet lock.
  template <typename F>
  void with(store::GatewayId gateway, std::int64_t unit, F change) {
    auto meter = state(gateway, unit);
    std::lock_guard lock(*m_mutex);
    change(*meter);
  }
  template <typename T, typename F>
  T get(store::GatewayId gateway, std::int64_t unit, F read) {
    auto meter = state(gateway, unit);
    std::lock_guard lock(*m_mutex);
    return read(*meter);
  }
  int opens() {
    std::lock_guard lock(*m_mutex);
    return m_opens;
  }

  std::expected<std::unique_ptr<Bus>, std::string> open(const store::Gateway& gateway) override {
    {
      std::lock_guard lock(*m_mutex);
      ++m_opens;
    }
    return std::make_unique<FakeBus>(*this, gateway.id);
  }

 private:
  class FakeBus final : public Bus {
   public:
    FakeBus(FakeFleet& fleet, store::GatewayId gateway) : m_fleet(fleet), m_gateway(gateway) {}
    std::expected<devices::Meter*, std::string> meter(const store::Meter& meter) override {
      auto& slot = m_meters[meter.id];
      if (!slot) {
        auto key = devices::parseMacKey(KeyHex);
        slot = std::make_unique<FakeMeter>(static_cast<std::uint64_t>(meter.unitAddress), *key,
                                           m_fleet.m_mutex,
                                           m_fleet.state(m_gateway, meter.unitAddress));
      }
      return slot.get();
    }
    void reset() override {}

   private:
    FakeFleet& m_fleet;
    store::GatewayId m_gateway;
    std::map<store::MeterId, std::unique_ptr<FakeMeter>> m_meters;
  };

  std::shared_ptr<std::mutex> m_mutex = std::make_shared<std::mutex>();
  std::map<std::pair<store::GatewayId, std::int64_t>, std::shared_ptr<FakeMeterState>> m_states;
  int m_opens = 0;
};

}  // namespace prepaid::backend::collect::testing
