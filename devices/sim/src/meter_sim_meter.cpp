#include "prepaid/sim/meter_sim_meter.hpp"

#include <algorithm>

namespace prepaid::devices::sim {

namespace {

constexpr std::int64_t MsPerMinute = 60'000;
constexpr std::int64_t MilliJoulePerCentiKwh = 36'000'000;  // 0.01 kWh = 36 kJ
constexpr std::int64_t MilliJoulePerKwh = 3'600'000'000;
constexpr std::int64_t MicroYuanPerFen = 10'000;
constexpr std::int64_t MaxPriceMicroYuan = 100'000'000;  // 100 yuan/kWh
constexpr std::int64_t MaxRechargeFen = 100'000'000;     // 1,000,000 yuan
constexpr std::int64_t NominalDeciV = 2200;

std::int64_t floorDiv(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

}  // namespace

SimRate SimMeter::rateAt(std::int64_t minuteOfDay) {
  const std::int64_t hour = minuteOfDay / 60;
  if (hour >= 23 || hour < 7) {
    return SimRate::Valley;
  }
  if (hour >= 19 && hour < 21) {
    return SimRate::Sharp;
  }
  if ((hour >= 8 && hour < 11) || hour == 18 || (hour >= 21 && hour < 23)) {
    return SimRate::Peak;
  }
  return SimRate::Flat;
}

void SimMeter::advanceTo(std::int64_t simMs, const LoadProfile& profile) {
  if (m_state.simMs == 0) {
    // A fresh meter starts consuming from the first time it is advanced.
    m_state.simMs = simMs;
  }
  const std::int64_t offsetMs = std::int64_t{m_config.utcOffsetMinutes} * MsPerMinute;
  while (m_state.simMs < simMs) {
    const std::int64_t localMs = m_state.simMs + offsetMs;
    const std::int64_t localMinute = floorDiv(localMs, MsPerMinute);
    // Integrate one minute slice at a time: power and the TOU rate are constant within it.
    const std::int64_t sliceEnd = std::min(simMs, (localMinute + 1) * MsPerMinute - offsetMs);
    const std::int64_t sliceMs = sliceEnd - m_state.simMs;
    const std::int64_t power = m_state.relay == SimRelay::Closed
                                   ? profile.powerW(m_config.key, localMinute, m_config.peakW)
                                   : 0;
    m_state.powerW = power;
    const std::int64_t milliJoule = power * sliceMs;  // W * ms = mJ
    const auto rate = rateAt(((localMinute % 1440) + 1440) % 1440);
    m_state.energyMilliJoule[static_cast<std::size_t>(rate)] += milliJoule;
    // Charge exactly: mJ * µ¥/kWh / (mJ/kWh), carrying the remainder to the next slice.
    const std::int64_t scaled =
        milliJoule * m_state.pricesMicroYuan[static_cast<std::size_t>(rate)] +
        m_state.costRemainder;
    m_state.balanceMicroYuan -= scaled / MilliJoulePerKwh;
    m_state.costRemainder = scaled % MilliJoulePerKwh;
    m_state.simMs = sliceEnd;
    applyTripRule();
  }
}

void SimMeter::applyTripRule() {
  if (m_state.balanceMicroYuan <= 0 && !m_state.keepPower && m_state.relay == SimRelay::Closed) {
    m_state.relay = SimRelay::Open;
    m_state.tripCause = TripCause::Arrears;
    m_state.powerW = 0;
  }
}

CommandResult SimMeter::recharge(std::int64_t amountFen, std::uint32_t purchaseCount,
                                 MacCheck mac) {
  if (mac != MacCheck::Valid) {
    return CommandResult::BadMac;
  }
  if (purchaseCount != m_state.purchaseCount + 1) {
    return CommandResult::WrongPurchaseCount;
  }
  if (amountFen <= 0 || amountFen > MaxRechargeFen) {
    return CommandResult::BadValue;
  }
  m_state.balanceMicroYuan += amountFen * MicroYuanPerFen;
  m_state.purchaseCount = purchaseCount;
  if (m_state.relay == SimRelay::Open && m_state.tripCause == TripCause::Arrears &&
      m_state.balanceMicroYuan > 0) {
    m_state.relay = SimRelay::Closed;
    m_state.tripCause = TripCause::None;
  }
  return CommandResult::Applied;
}

CommandResult SimMeter::control(SimControl command, MacCheck mac) {
  if (mac != MacCheck::Valid) {
    return CommandResult::BadMac;
  }
  switch (command) {
    case SimControl::Trip:
      m_state.relay = SimRelay::Open;
      m_state.tripCause = TripCause::Remote;
      m_state.powerW = 0;
      break;
    case SimControl::Close:
      m_state.relay = SimRelay::Closed;
      m_state.tripCause = TripCause::None;
      break;
    case SimControl::KeepPowerOn:
      m_state.keepPower = true;
      m_state.relay = SimRelay::Closed;
      m_state.tripCause = TripCause::None;
      break;
    case SimControl::KeepPowerOff:
      m_state.keepPower = false;
      break;
    case SimControl::ResumePrepaid:
      m_state.keepPower = false;
      if (m_state.balanceMicroYuan > 0 && m_state.tripCause != TripCause::Remote) {
        m_state.relay = SimRelay::Closed;
        m_state.tripCause = TripCause::None;
      }
      break;
  }
  // A close in arrears without keep power trips again at once, as the real meters do.
  applyTripRule();
  return CommandResult::Applied;
}

CommandResult SimMeter::setPrices(const std::array<std::int64_t, SimRateCount>& microYuan) {
  for (const auto price : microYuan) {
    if (price < 0 || price > MaxPriceMicroYuan) {
      return CommandResult::BadValue;
    }
  }
  m_state.pricesMicroYuan = microYuan;
  return CommandResult::Applied;
}

CommandResult SimMeter::setThresholds(std::int64_t alarm1Fen, std::int64_t alarm2Fen,
                                      std::int64_t overloadW) {
  if (alarm2Fen < 0 || alarm1Fen < alarm2Fen || overloadW <= 0) {
    return CommandResult::BadValue;
  }
  m_state.alarm1Fen = alarm1Fen;
  m_state.alarm2Fen = alarm2Fen;
  m_state.overloadW = overloadW;
  return CommandResult::Applied;
}

std::int64_t SimMeter::energyCentiKwh(SimRate rate) const {
  return m_state.energyMilliJoule[static_cast<std::size_t>(rate)] / MilliJoulePerCentiKwh;
}

std::int64_t SimMeter::totalEnergyCentiKwh() const {
  std::int64_t total = 0;
  for (const auto mj : m_state.energyMilliJoule) {
    total += mj;
  }
  return total / MilliJoulePerCentiKwh;
}

std::int64_t SimMeter::balanceFen() const {
  return floorDiv(m_state.balanceMicroYuan, MicroYuanPerFen);
}

std::uint16_t SimMeter::statusBits() const {
  std::uint16_t bits = 0;
  const std::int64_t fen = balanceFen();
  if (fen < m_state.alarm1Fen) {
    bits |= status_bit::Alarm1;
  }
  if (fen < m_state.alarm2Fen) {
    bits |= status_bit::Alarm2;
  }
  if (m_state.balanceMicroYuan <= 0) {
    bits |= status_bit::Arrears;
  }
  if (m_state.powerW > m_state.overloadW) {
    bits |= status_bit::Overload;
  }
  if (m_state.relay == SimRelay::Open && m_state.tripCause == TripCause::Arrears) {
    bits |= status_bit::PrepaidTrip;
  }
  const std::int64_t deciV = voltageDeciV();
  if (deciV > 2420) {
    bits |= status_bit::OverVoltage;
  }
  if (deciV < 1980) {
    bits |= status_bit::UnderVoltage;
  }
  if (m_state.keepPower) {
    bits |= status_bit::KeepPower;
  }
  return bits;
}

std::int64_t SimMeter::voltageDeciV() const {
  // ±3 % around 220 V, varying per minute and meter; deterministic.
  const auto hash = LoadProfile::mix(
      m_config.key ^ static_cast<std::uint64_t>(floorDiv(m_state.simMs, MsPerMinute)));
  return NominalDeciV + static_cast<std::int64_t>(hash % 133) - 66;
}

std::int64_t SimMeter::powerFactorPermille() const {
  return m_state.powerW == 0 ? 1000 : 920 + static_cast<std::int64_t>(m_config.key % 60);
}

std::int64_t SimMeter::currentCentiA() const {
  // Single phase: P = U I pf. Three phases: the per-phase current of a balanced load with U the
  // phase voltage, P = 3 U I pf.
  const std::int64_t phases = m_config.phases == Phases::Three ? 3 : 1;
  const std::int64_t denominator = voltageDeciV() * powerFactorPermille() * phases;
  // W * 100 (centi-A) * 10 (deci-V) * 1000 (permille)
  return m_state.powerW * 1'000'000 / denominator;
}

std::string toString(SimRelay relay) {
  return relay == SimRelay::Closed ? "closed" : "open";
}

std::string toString(CommandResult result) {
  switch (result) {
    case CommandResult::Applied:
      return "applied";
    case CommandResult::BadMac:
      return "bad-mac";
    case CommandResult::WrongPurchaseCount:
      return "wrong-purchase-count";
    case CommandResult::BadValue:
      return "bad-value";
  }
  return "unknown";
}

}  // namespace prepaid::devices::sim
