#include "prepaid/sim/meter_sim_gateway.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "prepaid/meter/crc16.hpp"
#include "prepaid/meter/dlt645_frame.hpp"
#include "prepaid/secure/command_mac.hpp"
#include "prepaid/sim/meter_sim_framing.hpp"

namespace prepaid::devices::sim {

namespace {

// Modbus application protocol V1.1b3, section 7: exception codes.
constexpr std::uint8_t IllegalFunction = 0x01;
constexpr std::uint8_t IllegalDataAddress = 0x02;
constexpr std::uint8_t IllegalDataValue = 0x03;
// Modbus TCP gateways answer 0x0B when the device behind them did not answer correctly.
constexpr std::uint8_t GatewayTargetFailed = 0x0B;
constexpr std::size_t RtuOverhead = 3;  // unit id + CRC on the serial line
constexpr std::size_t DltReplyPreamble = 4;

std::int64_t pow10(int exponent) {
  std::int64_t value = 1;
  for (int i = 0; i < exponent; ++i) {
    value *= 10;
  }
  return value;
}

// Base-unit value (see pointBaseExponent) of a point, from the meter's state.
std::int64_t baseValue(const SimUnit& unit, PointId id) {
  const auto& m = unit.meter;
  const auto& s = m.state();
  switch (id) {
    case PointId::TotalEnergy:
      return m.totalEnergyCentiKwh();
    case PointId::SharpEnergy:
      return m.energyCentiKwh(SimRate::Sharp);
    case PointId::PeakEnergy:
      return m.energyCentiKwh(SimRate::Peak);
    case PointId::FlatEnergy:
      return m.energyCentiKwh(SimRate::Flat);
    case PointId::ValleyEnergy:
      return m.energyCentiKwh(SimRate::Valley);
    case PointId::Voltage:
      return m.voltageDeciV() * 100;
    case PointId::VoltageB:
      return (m.voltageDeciV() + 3) * 100;  // phases differ a little, as on a real supply
    case PointId::VoltageC:
      return (m.voltageDeciV() - 2) * 100;
    case PointId::Current:
    case PointId::CurrentB:
    case PointId::CurrentC:
      return m.currentCentiA() * 10;
    case PointId::ActivePower:
      return s.powerW;
    case PointId::PowerFactor:
      return m.powerFactorPermille();
    case PointId::Balance:
      return m.balanceFen();
    case PointId::PurchaseCount:
      return s.purchaseCount;
    case PointId::RelayState:
      return s.relay == SimRelay::Open ? 1 : 0;
    case PointId::KeepPower:
      return s.keepPower ? 1 : 0;
    case PointId::AlarmThreshold1:
      return s.alarm1Fen;
    case PointId::AlarmThreshold2:
      return s.alarm2Fen;
    case PointId::OverloadThreshold:
      return s.overloadW;
    case PointId::PriceSharp:
      return s.pricesMicroYuan[0];
    case PointId::PricePeak:
      return s.pricesMicroYuan[1];
    case PointId::PriceFlat:
      return s.pricesMicroYuan[2];
    case PointId::PriceValley:
      return s.pricesMicroYuan[3];
    case PointId::StatusBits:
      return m.statusBits() | (unit.lastResult != 0 ? status_bit::CommandRejected : 0U);
    case PointId::CommandResult:
      return unit.lastResult;
  }
  return 0;
}

// Register words of a point's value (big-endian bytes in a register; word order per point).
void encodePoint(const PointSpec& point, std::int64_t base, std::uint16_t* words) {
  const int exponent = pointBaseExponent(point);
  std::uint32_t bits = 0;
  if (point.type == ValueType::Float32) {
    const double value = static_cast<double>(base) / std::pow(10.0, exponent);
    bits = std::bit_cast<std::uint32_t>(static_cast<float>(value));
  } else {
    const std::int64_t raw = exponent >= 0 ? base / pow10(exponent) : base * pow10(-exponent);
    bits = static_cast<std::uint32_t>(static_cast<std::uint64_t>(raw) & 0xFFFF'FFFFU);
  }
  if (point.registerCount() == 1) {
    words[0] = static_cast<std::uint16_t>(bits & 0xFFFFU);
    return;
  }
  const auto high = static_cast<std::uint16_t>(bits >> 16U);
  const auto low = static_cast<std::uint16_t>(bits & 0xFFFFU);
  words[0] = point.wordOrder == WordOrder::HighFirst ? high : low;
  words[1] = point.wordOrder == WordOrder::HighFirst ? low : high;
}

// Base-unit value of a written point; nullopt when it is not representable.
std::optional<std::int64_t> decodePoint(const PointSpec& point, const std::uint16_t* words) {
  std::uint32_t bits = words[0];
  if (point.registerCount() == 2) {
    bits = point.wordOrder == WordOrder::HighFirst ? (std::uint32_t{words[0]} << 16U) | words[1]
                                                   : (std::uint32_t{words[1]} << 16U) | words[0];
  }
  std::int64_t raw = 0;
  switch (point.type) {
    case ValueType::U16:
    case ValueType::U32:
      raw = bits;
      break;
    case ValueType::I16:
      raw = static_cast<std::int16_t>(bits & 0xFFFFU);
      break;
    case ValueType::I32:
      raw = static_cast<std::int32_t>(bits);
      break;
    case ValueType::Float32: {
      const double value = std::bit_cast<float>(bits);
      if (!std::isfinite(value)) {
        return std::nullopt;
      }
      const double base = value * std::pow(10.0, pointBaseExponent(point));
      if (std::fabs(base) > 1e15) {
        return std::nullopt;
      }
      return static_cast<std::int64_t>(std::llround(base));
    }
  }
  const int exponent = pointBaseExponent(point);
  return exponent >= 0 ? raw * pow10(exponent) : raw / pow10(-exponent);
}

std::uint32_t readU32(std::span<const std::uint8_t> bytes, std::size_t offset) {
  return (std::uint32_t{bytes[offset]} << 24U) | (std::uint32_t{bytes[offset + 1]} << 16U) |
         (std::uint32_t{bytes[offset + 2]} << 8U) | bytes[offset + 3];
}

std::vector<std::uint8_t> exceptionPdu(std::uint8_t function, std::uint8_t code) {
  return {static_cast<std::uint8_t>(function | 0x80U), code};
}

std::uint8_t rejectReason(CommandResult result) {
  switch (result) {
    case CommandResult::Applied:
      return static_cast<std::uint8_t>(RejectReason::None);
    case CommandResult::BadMac:
      return static_cast<std::uint8_t>(RejectReason::BadMac);
    case CommandResult::WrongPurchaseCount:
      return static_cast<std::uint8_t>(RejectReason::PurchaseCountNotNext);
    case CommandResult::BadValue:
      return static_cast<std::uint8_t>(RejectReason::BadValue);
  }
  return static_cast<std::uint8_t>(RejectReason::Unknown);
}

std::optional<SimControl> controlFromCode(std::uint32_t code) {
  switch (code) {
    case 1:
      return SimControl::Trip;
    case 2:
      return SimControl::Close;
    case 3:
      return SimControl::KeepPowerOn;
    case 4:
      return SimControl::KeepPowerOff;
    case 5:
      return SimControl::ResumePrepaid;
    default:
      return std::nullopt;
  }
}

// What a request did, for the faults that depend on it.
struct Handled {
  bool rechargeApplied = false;
};

// A recharge block (assets/meters/README.md): amount fen u32, purchase count u32, time u32, MAC.
CommandResult applyRecharge(SimUnit& unit, std::span<const std::uint8_t> block) {
  MacFields fields;
  fields.meterAddress = unit.macAddress;
  fields.kind = CommandKind::Recharge;
  fields.amountFenOrCode = readU32(block, 0);
  fields.purchaseCount = readU32(block, 4);
  fields.timeUnixSeconds = readU32(block, 8);
  CommandMac mac{};
  std::copy_n(block.begin() + 12, mac.size(), mac.begin());
  const auto algorithm = unit.profile->prepaid ? unit.profile->prepaid->mac : MacAlgorithm::AesCmac;
  const auto check =
      verifyCommandMac(algorithm, unit.spec.key, fields, mac) ? MacCheck::Valid : MacCheck::Invalid;
  return unit.meter.recharge(fields.amountFenOrCode, fields.purchaseCount, check);
}

// A control block: code u16, reserved u16, purchase count u32 (current), time u32, MAC.
CommandResult applyControl(SimUnit& unit, std::span<const std::uint8_t> block) {
  MacFields fields;
  fields.meterAddress = unit.macAddress;
  fields.kind = CommandKind::Control;
  fields.amountFenOrCode = (std::uint32_t{block[0]} << 8U) | block[1];
  fields.purchaseCount = readU32(block, 4);
  fields.timeUnixSeconds = readU32(block, 8);
  CommandMac mac{};
  std::copy_n(block.begin() + 12, mac.size(), mac.begin());
  const auto algorithm = unit.profile->prepaid ? unit.profile->prepaid->mac : MacAlgorithm::AesCmac;
  if (!verifyCommandMac(algorithm, unit.spec.key, fields, mac)) {
    return CommandResult::BadMac;
  }
  if (fields.purchaseCount != unit.meter.state().purchaseCount) {
    return CommandResult::WrongPurchaseCount;
  }
  const auto command = controlFromCode(fields.amountFenOrCode);
  if (!command) {
    return CommandResult::BadValue;
  }
  return unit.meter.control(*command, MacCheck::Valid);
}

// Writes a group of points (prices / thresholds) laid out contiguously from the first point.
CommandResult applyPointWrite(SimUnit& unit, const PointWrite& write,
                              std::span<const std::uint16_t> words) {
  std::vector<std::int64_t> values;
  std::size_t offset = 0;
  for (const auto id : write.points) {
    const auto* point = unit.profile->find(id);
    if (point == nullptr || offset + point->registerCount() > words.size()) {
      return CommandResult::BadValue;
    }
    const auto value = decodePoint(*point, words.data() + offset);
    if (!value) {
      return CommandResult::BadValue;
    }
    values.push_back(*value);
    offset += point->registerCount();
  }
  std::array<std::int64_t, SimRateCount> prices = unit.meter.state().pricesMicroYuan;
  std::int64_t alarm1 = unit.meter.state().alarm1Fen;
  std::int64_t alarm2 = unit.meter.state().alarm2Fen;
  std::int64_t overload = unit.meter.state().overloadW;
  bool pricesTouched = false;
  for (std::size_t i = 0; i < values.size(); ++i) {
    switch (write.points[i]) {
      case PointId::PriceSharp:
      case PointId::PricePeak:
      case PointId::PriceFlat:
      case PointId::PriceValley:
        prices[static_cast<std::size_t>(write.points[i]) -
               static_cast<std::size_t>(PointId::PriceSharp)] = values[i];
        pricesTouched = true;
        break;
      case PointId::AlarmThreshold1:
        alarm1 = values[i];
        break;
      case PointId::AlarmThreshold2:
        alarm2 = values[i];
        break;
      case PointId::OverloadThreshold:
        overload = values[i];
        break;
      default:
        return CommandResult::BadValue;
    }
  }
  if (pricesTouched) {
    return unit.meter.setPrices(prices);
  }
  return unit.meter.setThresholds(alarm1, alarm2, overload);
}

std::vector<std::uint8_t> handleRead(const SimUnit& unit, std::span<const std::uint8_t> pdu) {
  const std::uint8_t function = pdu[0];
  if (pdu.size() != 5) {
    return exceptionPdu(function, IllegalDataValue);
  }
  const std::uint16_t start = static_cast<std::uint16_t>((pdu[1] << 8U) | pdu[2]);
  const std::uint16_t count = static_cast<std::uint16_t>((pdu[3] << 8U) | pdu[4]);
  if (count < 1 || count > 125) {
    return exceptionPdu(function, IllegalDataValue);
  }
  const std::size_t end = std::size_t{start} + count;
  if (end > 0x10000) {
    return exceptionPdu(function, IllegalDataAddress);
  }
  // Unmapped registers inside a read answer 0 (drivers merge reads across small gaps); a read
  // that touches no mapped register at all is an illegal address, as on the real meters.
  std::vector<std::uint16_t> words(count, 0);
  bool mapped = false;
  for (const auto& point : unit.profile->points) {
    if (point.function != function) {
      continue;
    }
    const std::size_t first = point.address;
    const std::size_t last = first + point.registerCount();
    if (last <= start || first >= end) {
      continue;
    }
    mapped = true;
    std::array<std::uint16_t, 2> value{};
    encodePoint(point, baseValue(unit, point.id), value.data());
    for (std::size_t r = first; r < last; ++r) {
      if (r >= start && r < end) {
        words[r - start] = value[r - first];
      }
    }
  }
  if (!mapped) {
    return exceptionPdu(function, IllegalDataAddress);
  }
  std::vector<std::uint8_t> reply{function, static_cast<std::uint8_t>(count * 2)};
  for (const auto word : words) {
    reply.push_back(static_cast<std::uint8_t>(word >> 8U));
    reply.push_back(static_cast<std::uint8_t>(word & 0xFFU));
  }
  return reply;
}

std::vector<std::uint8_t> handleWrite(SimUnit& unit, std::span<const std::uint8_t> pdu,
                                      Handled& handled) {
  const std::uint8_t function = pdu[0];
  std::uint16_t start = 0;
  std::vector<std::uint16_t> words;
  std::vector<std::uint8_t> bytes;
  if (function == 0x06) {
    if (pdu.size() != 5) {
      return exceptionPdu(function, IllegalDataValue);
    }
    start = static_cast<std::uint16_t>((pdu[1] << 8U) | pdu[2]);
    words.push_back(static_cast<std::uint16_t>((pdu[3] << 8U) | pdu[4]));
  } else {
    if (pdu.size() < 6) {
      return exceptionPdu(function, IllegalDataValue);
    }
    start = static_cast<std::uint16_t>((pdu[1] << 8U) | pdu[2]);
    const std::size_t count = static_cast<std::size_t>((pdu[3] << 8U) | pdu[4]);
    if (count < 1 || count > 123 || pdu[5] != count * 2 || pdu.size() != 6 + count * 2) {
      return exceptionPdu(function, IllegalDataValue);
    }
    bytes.assign(pdu.begin() + 6, pdu.end());
    for (std::size_t i = 0; i < count; ++i) {
      words.push_back(static_cast<std::uint16_t>((bytes[2 * i] << 8U) | bytes[2 * i + 1]));
    }
  }
  if (!unit.profile->prepaid) {
    return exceptionPdu(function, IllegalDataAddress);  // a plain energy meter takes no writes
  }
  const auto& prepaid = *unit.profile->prepaid;
  std::optional<CommandResult> result;
  // A command block is all or nothing: a write that only overlaps it is an illegal value.
  const auto blockMatches = [&](const CommandBlock& block, std::uint16_t registers) {
    return block.function == function && block.address == start && words.size() == registers;
  };
  const auto blockOverlaps = [&](const CommandBlock& block, std::uint16_t registers) {
    return std::size_t{start} < std::size_t{block.address} + registers &&
           std::size_t{block.address} < std::size_t{start} + words.size();
  };
  const auto writeMatches = [&](const PointWrite& write) {
    if (write.function != function || write.points.empty()) {
      return false;
    }
    const auto* first = unit.profile->find(write.points.front());
    std::size_t registers = 0;
    for (const auto id : write.points) {
      const auto* point = unit.profile->find(id);
      registers += point == nullptr ? 0U : std::size_t{point->registerCount()};
    }
    return first != nullptr && first->address == start && registers == words.size();
  };
  if (blockMatches(prepaid.recharge, RechargeBlockRegisters)) {
    result = applyRecharge(unit, bytes);
    handled.rechargeApplied = *result == CommandResult::Applied;
  } else if (blockMatches(prepaid.control, ControlBlockRegisters)) {
    result = applyControl(unit, bytes);
  } else if (writeMatches(prepaid.prices)) {
    result = applyPointWrite(unit, prepaid.prices, words);
  } else if (writeMatches(prepaid.thresholds)) {
    result = applyPointWrite(unit, prepaid.thresholds, words);
  } else if (blockOverlaps(prepaid.recharge, RechargeBlockRegisters) ||
             blockOverlaps(prepaid.control, ControlBlockRegisters)) {
    return exceptionPdu(function, IllegalDataValue);
  } else {
    return exceptionPdu(function, IllegalDataAddress);
  }
  unit.lastResult = rejectReason(*result);
  if (*result != CommandResult::Applied) {
    return exceptionPdu(function, prepaid.rejectException);
  }
  if (function == 0x06) {
    return std::vector<std::uint8_t>(pdu.begin(), pdu.end());  // FC06 echoes the request
  }
  return std::vector<std::uint8_t>(pdu.begin(), pdu.begin() + 5);  // address + count
}

std::vector<std::uint8_t> handlePdu(SimUnit& unit, std::span<const std::uint8_t> pdu,
                                    Handled& handled) {
  switch (pdu[0]) {
    case 0x03:
    case 0x04:
      return handleRead(unit, pdu);
    case 0x06:
    case 0x10:
      return handleWrite(unit, pdu, handled);
    default:
      return exceptionPdu(pdu[0], IllegalFunction);
  }
}

std::vector<std::uint8_t> withCrc(std::vector<std::uint8_t> frame) {
  const std::uint16_t crc = crc16(frame);
  frame.push_back(static_cast<std::uint8_t>(crc & 0xFFU));
  frame.push_back(static_cast<std::uint8_t>(crc >> 8U));
  return frame;
}

}  // namespace

SimGateway::SimGateway(GatewaySpec spec, std::vector<SimUnit> units, std::uint64_t seed)
    : m_spec(std::move(spec)),
      m_units(std::move(units)),
      m_load(seed),
      m_fault(m_spec.fault),
      m_garbageState(seed ^ 0x5DEECE66DULL) {}

SimUnit* SimGateway::findUnit(int unit) {
  for (auto& candidate : m_units) {
    if (candidate.spec.unit == unit) {
      return &candidate;
    }
  }
  return nullptr;
}

void SimGateway::advanceAll(std::int64_t simMs) {
  for (auto& unit : m_units) {
    unit.meter.advanceTo(simMs, m_load);
  }
}

Fault* SimGateway::activeFault(SimUnit* unit) {
  if (unit != nullptr && unit->fault.active()) {
    return &unit->fault;
  }
  if (m_fault.active() && m_fault.kind != FaultKind::GatewayDown) {
    return &m_fault;
  }
  return nullptr;
}

Exchange SimGateway::exchange(std::span<const std::uint8_t> frame, std::int64_t simMs) {
  if (m_spec.protocol == GatewayProtocol::Dlt645Tcp) {
    return exchangeDlt645(frame, simMs);
  }
  return exchangeModbus(frame, simMs);
}

Exchange SimGateway::exchangeModbus(std::span<const std::uint8_t> frame, std::int64_t simMs) {
  const bool tcp = m_spec.protocol == GatewayProtocol::ModbusTcp;
  Exchange result;
  // Strip the framing: MBAP header (7 bytes) or unit id + CRC.
  const std::uint8_t unitId = tcp ? frame[6] : frame[0];
  const auto pdu = tcp ? frame.subspan(MbapHeaderSize) : frame.subspan(1, frame.size() - 3);
  result.requestChars = pdu.size() + RtuOverhead;
  SimUnit* unit = findUnit(unitId);
  if (unit == nullptr || pdu.empty()) {
    return result;  // nobody on the bus answers (broadcast 0 included: we take no broadcasts)
  }
  result.unit = unitId;
  ++unit->requests;
  Fault* fault = activeFault(unit);
  const FaultKind kind = fault != nullptr ? fault->kind : FaultKind::None;
  if (kind == FaultKind::NoReply) {
    fault->consume();
    return result;
  }
  std::vector<std::uint8_t> replyPdu;
  Handled handled;
  if (kind == FaultKind::Exception) {
    replyPdu = exceptionPdu(pdu[0], static_cast<std::uint8_t>(fault->arg));
    fault->consume();
  } else {
    unit->meter.advanceTo(simMs, m_load);
    replyPdu = handlePdu(*unit, pdu, handled);
  }
  std::uint8_t replyUnit = unitId;
  switch (kind) {
    case FaultKind::ReplyLostAfterRecharge:
      if (handled.rechargeApplied) {
        fault->consume();
        return result;
      }
      break;
    case FaultKind::LateReply:
      result.extraDelay = std::chrono::milliseconds(fault->arg);
      fault->consume();
      break;
    case FaultKind::WrongUnit:
      replyUnit = static_cast<std::uint8_t>(unitId == 247 ? 1 : unitId + 1);
      fault->consume();
      break;
    case FaultKind::CrcError:
      if (tcp) {
        // A Modbus TCP gateway checks the bus CRC itself and reports the failure (README).
        replyPdu = exceptionPdu(pdu[0], GatewayTargetFailed);
      }
      break;
    default:
      break;
  }
  result.replyChars = replyPdu.size() + RtuOverhead;
  std::vector<std::uint8_t> wire;
  if (tcp) {
    wire.assign(frame.begin(), frame.begin() + 4);  // transaction id, protocol id
    const std::size_t length = replyPdu.size() + 1;
    wire.push_back(static_cast<std::uint8_t>(length >> 8U));
    wire.push_back(static_cast<std::uint8_t>(length & 0xFFU));
    wire.push_back(replyUnit);
    wire.insert(wire.end(), replyPdu.begin(), replyPdu.end());
  } else {
    std::vector<std::uint8_t> body{replyUnit};
    body.insert(body.end(), replyPdu.begin(), replyPdu.end());
    wire = withCrc(std::move(body));
    if (kind == FaultKind::CrcError) {
      wire.back() = static_cast<std::uint8_t>(wire.back() ^ 0x5AU);
    }
  }
  if (kind == FaultKind::CrcError) {
    fault->consume();
  }
  if (kind == FaultKind::Garbage) {
    wire.clear();
    for (std::int64_t i = 0; i < fault->arg; ++i) {
      m_garbageState = LoadProfile::mix(m_garbageState);
      wire.push_back(static_cast<std::uint8_t>(m_garbageState & 0xFFU));
    }
    result.replyChars = wire.size();
    fault->consume();
  }
  result.reply = std::move(wire);
  return result;
}

}  // namespace prepaid::devices::sim

namespace prepaid::devices::sim {

namespace {

// Data identifiers the simulator serves beyond the ones the codec names.
constexpr std::uint32_t DiOverdraftAmount = 0x00900201;  // 透支金额 XXXXXX.XX yuan
constexpr std::uint32_t DiPrice4 = dlt645::DiPrice1 + 3;

std::optional<std::vector<std::uint8_t>> dltValue(const SimUnit& unit, std::uint32_t di) {
  const auto& m = unit.meter;
  const auto& s = m.state();
  switch (di) {
    case dlt645::DiTotalEnergy:
      return encodeBcd(m.totalEnergyCentiKwh() % 100'000'000, 4);
    case dlt645::DiSharpEnergy:
    case dlt645::DiPeakEnergy:
    case dlt645::DiFlatEnergy:
    case dlt645::DiValleyEnergy: {
      const auto rate = static_cast<SimRate>((di >> 8U) - 1);
      return encodeBcd(m.energyCentiKwh(rate) % 100'000'000, 4);
    }
    case dlt645::DiVoltageA:
      return encodeBcd(m.voltageDeciV(), 2);
    case dlt645::DiCurrentA:
      return encodeBcd(m.currentCentiA() * 10, 3, BcdSign::SignBit);
    case dlt645::DiActivePower:
      return encodeBcd(s.powerW * 10, 3, BcdSign::SignBit);  // XX.XXXX kW = 0.1 W
    case dlt645::DiPowerFactor:
      return encodeBcd(m.powerFactorPermille(), 2, BcdSign::SignBit);
    case dlt645::DiRemainingAmount:
      return encodeBcd(std::max<std::int64_t>(m.balanceFen(), 0), 4);
    case DiOverdraftAmount:
      return encodeBcd(std::max<std::int64_t>(-m.balanceFen(), 0), 4);
    case dlt645::DiPurchaseCount:
      return encodeBcd(s.purchaseCount % 10'000, 2);
    case dlt645::DiAlarmAmount1:
      return encodeBcd(s.alarm1Fen, 4);
    case dlt645::DiAlarmAmount2:
      return encodeBcd(s.alarm2Fen, 4);
    case dlt645::DiRunStatus3: {
      // Status word 3: bit 4 relay open (DL/T 645-2007 appendix); bit 6 keep power (ours).
      std::int64_t word = 0;
      if (s.relay == SimRelay::Open) {
        word |= 1 << 4;
      }
      if (s.keepPower) {
        word |= 1 << 6;
      }
      return std::vector<std::uint8_t>{static_cast<std::uint8_t>(word & 0xFF),
                                       static_cast<std::uint8_t>(word >> 8)};
    }
    default:
      if (di >= dlt645::DiPrice1 && di <= DiPrice4) {
        return encodeBcd(s.pricesMicroYuan[di - dlt645::DiPrice1] / 100, 4);  // XXXX.XXXX
      }
      return std::nullopt;
  }
}

std::uint32_t diOf(std::span<const std::uint8_t> data) {
  return std::uint32_t{data[0]} | (std::uint32_t{data[1]} << 8U) | (std::uint32_t{data[2]} << 16U) |
         (std::uint32_t{data[3]} << 24U);
}

bool addressMatches(const Dlt645Address& request, const Dlt645Address& meter) {
  for (std::size_t i = 0; i < request.wire.size(); ++i) {
    if (request.wire[i] != 0xAA && request.wire[i] != meter.wire[i]) {
      return false;
    }
  }
  return true;
}

Dlt645Frame errorReply(const Dlt645Frame& request, const Dlt645Address& address,
                       std::uint8_t bits) {
  return Dlt645Frame{
      address,
      static_cast<std::uint8_t>(request.control | dlt645::ReplyBit | dlt645::ErrorBit),
      {bits}};
}

// DL/T 645 write (0x14) data: DI(4) + password(4) + operator code(4) + value. The simulator
// accepts any password (README); values are the BCD forms of dltValue.
Dlt645Frame handleDltWrite(SimUnit& unit, const Dlt645Frame& request,
                           const Dlt645Address& address) {
  if (request.data.size() < 12) {
    return errorReply(request, address, dlt645::ErrOther);
  }
  const std::uint32_t di = diOf(request.data);
  const auto value = std::span(request.data).subspan(12);
  auto state = unit.meter.state();
  CommandResult result = CommandResult::BadValue;
  const auto bcd = decodeBcd(value);
  if (!bcd || value.size() != 4) {
    return errorReply(request, address, dlt645::ErrOther);
  }
  if (di == dlt645::DiAlarmAmount1 || di == dlt645::DiAlarmAmount2) {
    const std::int64_t alarm1 = di == dlt645::DiAlarmAmount1 ? *bcd : state.alarm1Fen;
    const std::int64_t alarm2 = di == dlt645::DiAlarmAmount2 ? *bcd : state.alarm2Fen;
    result = unit.meter.setThresholds(alarm1, alarm2, state.overloadW);
  } else if (di >= dlt645::DiPrice1 && di <= DiPrice4) {
    state.pricesMicroYuan[di - dlt645::DiPrice1] = *bcd * 100;
    result = unit.meter.setPrices(state.pricesMicroYuan);
  } else {
    return errorReply(request, address, dlt645::ErrNoData);
  }
  if (result != CommandResult::Applied) {
    return errorReply(request, address, dlt645::ErrOther);
  }
  return Dlt645Frame{address, static_cast<std::uint8_t>(request.control | dlt645::ReplyBit), {}};
}

// DL/T 645 remote control (0x1C) data: password(4) + operator code(4) + N1 (command) + N2 (0) +
// validity time (6 bytes BCD ss mm hh DD MM YY), then our authentication (issue 4 item 5):
// purchase count u32 (the CURRENT count) + time u32 (Unix s), both big-endian, + MAC(16) (README).
// Every simulated meter has a key (from the fleet file or derived), so every meter requires the
// MAC: the 16 standard bytes alone, a bad MAC or a count that is not the current one are refused
// with ERR 0x04 (unauthorized) and change nothing. The validity time is not checked: the
// simulated clock may run faster than real time.
Dlt645Frame handleDltControl(SimUnit& unit, const Dlt645Frame& request,
                             const Dlt645Address& address) {
  constexpr std::size_t PlainSize = 16;
  constexpr std::size_t AuthenticatedSize = PlainSize + 8 + CommandMacSize;
  if (request.data.size() == PlainSize) {
    unit.lastResult = static_cast<std::uint8_t>(RejectReason::Unauthorized);
    return errorReply(request, address, dlt645::ErrUnauthorized);
  }
  if (request.data.size() != AuthenticatedSize) {
    return errorReply(request, address, dlt645::ErrOther);
  }
  const std::span<const std::uint8_t> data(request.data);
  std::optional<SimControl> command;
  std::uint32_t code = 0;
  switch (data[8]) {
    case dlt645::CtrlTrip:
      command = SimControl::Trip;
      code = 1;
      break;
    case dlt645::CtrlCloseDirect:
      command = SimControl::Close;
      code = 2;
      break;
    case dlt645::CtrlCloseAllowed:
      command = SimControl::ResumePrepaid;  // 合闸允许: the prepaid logic decides
      code = 5;
      break;
    case dlt645::CtrlKeepPower:
      command = SimControl::KeepPowerOn;
      code = 3;
      break;
    case dlt645::CtrlKeepPowerOff:
      command = SimControl::KeepPowerOff;
      code = 4;
      break;
    default:
      break;
  }
  if (!command) {
    return errorReply(request, address, dlt645::ErrOther);
  }
  MacFields fields;
  fields.meterAddress = unit.macAddress;
  fields.kind = CommandKind::Control;
  fields.amountFenOrCode = code;
  fields.purchaseCount = readU32(data, PlainSize);
  fields.timeUnixSeconds = readU32(data, PlainSize + 4);
  CommandMac mac{};
  std::copy_n(data.begin() + PlainSize + 8, mac.size(), mac.begin());
  const auto algorithm = unit.profile->prepaid ? unit.profile->prepaid->mac : MacAlgorithm::AesCmac;
  CommandResult result = CommandResult::BadMac;
  if (verifyCommandMac(algorithm, unit.spec.key, fields, mac)) {
    result = fields.purchaseCount == unit.meter.state().purchaseCount
                 ? unit.meter.control(*command, MacCheck::Valid)
                 : CommandResult::WrongPurchaseCount;
  }
  unit.lastResult = rejectReason(result);
  if (result != CommandResult::Applied) {
    return errorReply(request, address, dlt645::ErrUnauthorized);
  }
  return Dlt645Frame{address, static_cast<std::uint8_t>(request.control | dlt645::ReplyBit), {}};
}

Dlt645Frame handleDlt645(SimUnit& unit, const Dlt645Frame& request, const Dlt645Address& address) {
  switch (request.control) {
    case dlt645::ReadData: {
      if (request.data.size() < 4) {
        return errorReply(request, address, dlt645::ErrOther);
      }
      const std::uint32_t di = diOf(request.data);
      auto value = dltValue(unit, di);
      if (!value) {
        return errorReply(request, address, dlt645::ErrNoData);
      }
      Dlt645Frame reply{address,
                        static_cast<std::uint8_t>(request.control | dlt645::ReplyBit),
                        {request.data.begin(), request.data.begin() + 4}};
      reply.data.insert(reply.data.end(), value->begin(), value->end());
      return reply;
    }
    case dlt645::WriteData:
      return handleDltWrite(unit, request, address);
    case dlt645::RemoteControl:
      return handleDltControl(unit, request, address);
    default:
      return errorReply(request, address, dlt645::ErrOther);
  }
}

}  // namespace

Exchange SimGateway::exchangeDlt645(std::span<const std::uint8_t> frame, std::int64_t simMs) {
  Exchange result;
  result.requestChars = frame.size();
  const auto decoded = decodeDlt645(frame);
  if (decoded.status != Dlt645DecodeStatus::Frame) {
    return result;
  }
  const Dlt645Frame& request = decoded.frame;
  SimUnit* unit = nullptr;
  Dlt645Address address;
  for (auto& candidate : m_units) {
    const auto meterAddress = Dlt645Address::parse(candidate.spec.address);
    if (meterAddress && addressMatches(request.address, *meterAddress)) {
      unit = &candidate;  // with wildcards the lowest unit answers (README)
      address = *meterAddress;
      break;
    }
  }
  if (unit == nullptr || (request.control & dlt645::ReplyBit) != 0) {
    return result;
  }
  result.unit = unit->spec.unit;
  ++unit->requests;
  Fault* fault = activeFault(unit);
  const FaultKind kind = fault != nullptr ? fault->kind : FaultKind::None;
  if (kind == FaultKind::NoReply) {
    fault->consume();
    return result;
  }
  Handled handled;
  Dlt645Frame reply;
  if (kind == FaultKind::Exception) {
    reply = errorReply(request, address, static_cast<std::uint8_t>(fault->arg & 0xFF));
    fault->consume();
  } else {
    unit->meter.advanceTo(simMs, m_load);
    reply = handleDlt645(*unit, request, address);
  }
  switch (kind) {
    case FaultKind::ReplyLostAfterRecharge:
      if (handled.rechargeApplied) {
        fault->consume();
        return result;
      }
      break;
    case FaultKind::LateReply:
      result.extraDelay = std::chrono::milliseconds(fault->arg);
      fault->consume();
      break;
    case FaultKind::WrongUnit:
      reply.address.wire[0] = static_cast<std::uint8_t>(
          reply.address.wire[0] == 0x99 ? 0x00 : reply.address.wire[0] + 1);
      if ((reply.address.wire[0] & 0x0FU) > 9) {
        reply.address.wire[0] = static_cast<std::uint8_t>((reply.address.wire[0] & 0xF0U) + 0x10U);
      }
      fault->consume();
      break;
    default:
      break;
  }
  auto wire = encodeDlt645(reply, DltReplyPreamble);
  if (!wire) {
    return result;
  }
  if (kind == FaultKind::CrcError) {
    (*wire)[wire->size() - 2] = static_cast<std::uint8_t>((*wire)[wire->size() - 2] ^ 0x5AU);
    fault->consume();
  }
  if (kind == FaultKind::Garbage) {
    wire->clear();
    for (std::int64_t i = 0; i < fault->arg; ++i) {
      m_garbageState = LoadProfile::mix(m_garbageState);
      wire->push_back(static_cast<std::uint8_t>(m_garbageState & 0xFFU));
    }
    fault->consume();
  }
  result.replyChars = wire->size();
  result.reply = std::move(*wire);
  return result;
}

}  // namespace prepaid::devices::sim
