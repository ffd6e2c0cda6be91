#include "prepaid/meter/modbus_meter.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

#include "prepaid/meter/register_codec.hpp"

namespace prepaid::devices {

namespace {

void putU32(std::vector<std::uint16_t>& out, std::uint32_t value) {
  out.push_back(static_cast<std::uint16_t>(value >> 16));
  out.push_back(static_cast<std::uint16_t>(value & 0xFFFF));
}

void putMac(std::vector<std::uint16_t>& out, const CommandMac& mac) {
  for (std::size_t i = 0; i < mac.size(); i += 2) {
    out.push_back(static_cast<std::uint16_t>((mac[i] << 8) | mac[i + 1]));
  }
}

DeviceError unsupported(std::string_view what, const MeterProfile& profile) {
  return makeError(DeviceErrorKind::Unsupported,
                   std::string(what) + ": profile " + profile.model + " has no [prepaid] block");
}

}  // namespace

std::vector<ReadRange> planReads(const MeterProfile& profile) {
  std::vector<ReadRange> plan;
  // profile.points is sorted by (function, address) by the loader.
  for (const auto& point : profile.points) {
    const std::uint32_t end = std::uint32_t{point.address} + point.registerCount();
    if (!plan.empty()) {
      auto& last = plan.back();
      const std::uint32_t lastEnd = std::uint32_t{last.address} + last.count;
      if (last.function == point.function && point.address >= lastEnd &&
          point.address - lastEnd <= profile.readGapMax &&
          end - last.address <= profile.maxReadRegisters) {
        last.count = static_cast<std::uint16_t>(end - last.address);
        continue;
      }
    }
    plan.push_back(ReadRange{point.function, point.address, point.registerCount()});
  }
  return plan;
}

ModbusMeter::ModbusMeter(std::shared_ptr<ModbusTransport> transport, std::uint8_t unit,
                         MeterProfile profile, std::optional<std::uint64_t> macAddress)
    : m_transport(std::move(transport)),
      m_unit(unit),
      m_profile(std::move(profile)),
      m_macAddress(macAddress.value_or(unit)),
      m_plan(planReads(m_profile)) {}

MacAlgorithm ModbusMeter::macAlgorithm() const {
  return m_profile.prepaid ? m_profile.prepaid->mac : MacAlgorithm::AesCmac;
}

std::expected<MeterSnapshot, DeviceError> ModbusMeter::readSnapshot() {
  std::map<PointId, std::int64_t> values;
  for (const auto& range : m_plan) {
    auto registers = m_transport->readRegisters(m_unit, range.function, range.address, range.count);
    if (!registers) {
      return std::unexpected(registers.error());
    }
    for (const auto& point : m_profile.points) {
      if (point.function != range.function || point.address < range.address ||
          point.address + point.registerCount() > range.address + range.count) {
        continue;
      }
      const auto offset = static_cast<std::size_t>(point.address - range.address);
      auto value = decodePoint(point, std::span(*registers).subspan(offset, point.registerCount()));
      if (!value) {
        return std::unexpected(value.error());
      }
      values[point.id] = *value;
    }
  }
  const auto get = [&](PointId id) -> std::optional<std::int64_t> {
    const auto it = values.find(id);
    return it == values.end() ? std::nullopt : std::optional(it->second);
  };
  const auto energy = [&](PointId id) -> std::optional<domain::Energy> {
    if (auto v = get(id)) {
      return domain::Energy::fromCentiKwh(*v);
    }
    return std::nullopt;
  };
  const auto money = [&](PointId id) -> std::optional<domain::Money> {
    if (auto v = get(id)) {
      return domain::Money::fromFen(*v);
    }
    return std::nullopt;
  };
  MeterSnapshot snapshot;
  snapshot.totalEnergy = energy(PointId::TotalEnergy);
  snapshot.rateEnergy[domain::indexOf(domain::Rate::Sharp)] = energy(PointId::SharpEnergy);
  snapshot.rateEnergy[domain::indexOf(domain::Rate::Peak)] = energy(PointId::PeakEnergy);
  snapshot.rateEnergy[domain::indexOf(domain::Rate::Flat)] = energy(PointId::FlatEnergy);
  snapshot.rateEnergy[domain::indexOf(domain::Rate::Valley)] = energy(PointId::ValleyEnergy);
  snapshot.voltageMilliVolts = get(PointId::Voltage);
  snapshot.currentMilliAmps = get(PointId::Current);
  snapshot.activePowerWatts = get(PointId::ActivePower);
  snapshot.powerFactorMilli = get(PointId::PowerFactor);
  snapshot.voltageBMilliVolts = get(PointId::VoltageB);
  snapshot.voltageCMilliVolts = get(PointId::VoltageC);
  snapshot.currentBMilliAmps = get(PointId::CurrentB);
  snapshot.currentCMilliAmps = get(PointId::CurrentC);
  if (m_profile.prepaid) {
    PrepaidState state;
    state.balance = money(PointId::Balance);
    if (auto v = get(PointId::PurchaseCount)) {
      state.purchaseCount = static_cast<std::uint32_t>(*v);
    }
    if (auto v = get(PointId::RelayState)) {
      if (*v != 0 && *v != 1) {
        return std::unexpected(makeError(DeviceErrorKind::MalformedReply,
                                         "relay_state " + std::to_string(*v) + " is not 0 or 1"));
      }
      state.relay = *v == 0 ? domain::RelayState::Closed : domain::RelayState::Open;
    }
    if (auto v = get(PointId::KeepPower)) {
      state.keepPower = *v != 0 ? KeepPower::On : KeepPower::Off;
    }
    state.alarmThreshold1 = money(PointId::AlarmThreshold1);
    state.alarmThreshold2 = money(PointId::AlarmThreshold2);
    state.overloadThresholdWatts = get(PointId::OverloadThreshold);
    const PointId prices[] = {PointId::PriceSharp, PointId::PricePeak, PointId::PriceFlat,
                              PointId::PriceValley};
    for (std::size_t i = 0; i < domain::RateCount; ++i) {
      if (auto v = get(prices[i])) {
        state.prices[i] = domain::UnitPrice::fromMicroYuan(*v);
      }
    }
    if (auto v = get(PointId::StatusBits)) {
      state.statusBits = static_cast<std::uint32_t>(*v);
    }
    snapshot.prepaid = state;
  }
  return snapshot;
}

std::expected<std::uint32_t, DeviceError> ModbusMeter::readPurchaseCount() {
  const PointSpec* point = m_profile.find(PointId::PurchaseCount);
  if (point == nullptr) {
    return std::unexpected(makeError(DeviceErrorKind::Unsupported,
                                     "profile " + m_profile.model + " has no purchase_count"));
  }
  auto registers =
      m_transport->readRegisters(m_unit, point->function, point->address, point->registerCount());
  if (!registers) {
    return std::unexpected(registers.error());
  }
  auto value = decodePoint(*point, *registers);
  if (!value) {
    return std::unexpected(value.error());
  }
  return static_cast<std::uint32_t>(*value);
}

std::expected<void, DeviceError> ModbusMeter::sendCommand(const CommandBlock& block,
                                                          std::span<const std::uint16_t> registers,
                                                          std::string_view what) {
  auto written = m_transport->writeRegisters(m_unit, block.address, registers);
  if (written) {
    return {};
  }
  DeviceError error = written.error();
  switch (error.kind) {
    case DeviceErrorKind::ConnectionFailed:
    case DeviceErrorKind::InvalidArgument:
      return std::unexpected(error);  // never sent
    case DeviceErrorKind::ModbusException: {
      if (error.exceptionCode != m_profile.prepaid->rejectException) {
        return std::unexpected(error);  // refused before acting (illegal address, busy …)
      }
      // The meter refused the command; its command_result register says why.
      DeviceError rejected = makeError(DeviceErrorKind::Rejected, std::string(what) + " refused");
      rejected.exceptionCode = error.exceptionCode;
      rejected.rejectReason = RejectReason::Unknown;
      if (const PointSpec* result = m_profile.find(PointId::CommandResult)) {
        auto resultRegs = m_transport->readRegisters(m_unit, result->function, result->address,
                                                     result->registerCount());
        if (resultRegs) {
          if (auto code = decodePoint(*result, *resultRegs); code && *code >= 1 && *code <= 5) {
            rejected.rejectReason = static_cast<RejectReason>(*code);
          }
        }
      }
      rejected.detail += ": " + std::string(toString(rejected.rejectReason));
      return std::unexpected(rejected);
    }
    default: {
      // Sent, but no valid answer: the meter may have applied it.
      DeviceError unknown = makeError(DeviceErrorKind::OutcomeUnknown,
                                      std::string(what) + " sent, no valid reply: " + error.detail);
      unknown.cause = error.kind;
      return std::unexpected(unknown);
    }
  }
}

std::expected<void, DeviceError> ModbusMeter::recharge(const RechargeCommand& command) {
  if (!m_profile.prepaid) {
    return std::unexpected(unsupported("recharge", m_profile));
  }
  const auto fields = rechargeMacFields(m_macAddress, command);
  if (!fields) {
    return std::unexpected(
        makeError(DeviceErrorKind::InvalidArgument, "recharge amount must be 1 .. 4294967295 fen"));
  }
  std::vector<std::uint16_t> registers;
  putU32(registers, fields->amountFenOrCode);
  putU32(registers, command.purchaseCount);
  putU32(registers, command.timeUnixSeconds);
  putMac(registers, command.mac);
  return sendCommand(m_profile.prepaid->recharge, registers, "recharge");
}

std::expected<void, DeviceError> ModbusMeter::control(const ControlCommand& command) {
  if (!m_profile.prepaid) {
    return std::unexpected(unsupported("control", m_profile));
  }
  std::vector<std::uint16_t> registers;
  registers.push_back(static_cast<std::uint16_t>(command.code));
  registers.push_back(0);
  putU32(registers, command.purchaseCount);
  putU32(registers, command.timeUnixSeconds);
  putMac(registers, command.mac);
  return sendCommand(m_profile.prepaid->control, registers, toString(command.code));
}

std::expected<void, DeviceError> ModbusMeter::writePoints(const PointWrite& write,
                                                          std::span<const std::int64_t> values) {
  std::vector<std::uint16_t> registers;
  for (std::size_t i = 0; i < write.points.size(); ++i) {
    const PointSpec* point = m_profile.find(write.points[i]);
    auto encoded = encodePoint(*point, values[i]);
    if (!encoded) {
      return std::unexpected(encoded.error());
    }
    registers.insert(registers.end(), encoded->begin(), encoded->end());
  }
  return m_transport->writeRegisters(m_unit, m_profile.find(write.points.front())->address,
                                     registers);
}

std::expected<void, DeviceError> ModbusMeter::setPrices(const TouPrices& prices) {
  if (!m_profile.prepaid) {
    return std::unexpected(unsupported("setPrices", m_profile));
  }
  // The loader guarantees the order sharp, peak, flat, valley.
  std::vector<std::int64_t> values;
  for (const auto price : prices) {
    values.push_back(price.microYuan());
  }
  return writePoints(m_profile.prepaid->prices, values);
}

std::expected<void, DeviceError> ModbusMeter::setThresholds(const Thresholds& thresholds) {
  if (!m_profile.prepaid) {
    return std::unexpected(unsupported("setThresholds", m_profile));
  }
  const std::int64_t values[] = {thresholds.alarm1.fen(), thresholds.alarm2.fen(),
                                 thresholds.overloadWatts};
  return writePoints(m_profile.prepaid->thresholds, values);
}

}  // namespace prepaid::devices
