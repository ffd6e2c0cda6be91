#pragma once

// One simulated prepaid meter: energy registers per time-of-use rate, meter-side billing by its
// own prices, relay with trip-at-zero and keep power, alarm flags, recharge with purchase-count
// check. Time is a parameter (simulated UTC milliseconds); the meter reads no clock.

#include <array>
#include <cstdint>
#include <string>

#include "prepaid/sim/meter_sim_load_profile.hpp"

namespace prepaid::devices::sim {

inline constexpr std::size_t SimRateCount = 4;  // sharp, peak, flat, valley (尖峰平谷)
enum class SimRate { Sharp = 0, Peak = 1, Flat = 2, Valley = 3 };

enum class SimRelay { Closed, Open };
/// Why the relay is open: a remote trip stays open after a recharge, an arrears trip does not.
enum class TripCause { None, Arrears, Remote };
enum class SimControl { Trip, Close, KeepPowerOn, KeepPowerOff, ResumePrepaid };
enum class MacCheck { Valid, Invalid };
enum class Phases { Single, Three };

/// Outcome of a command as the meter sees it.
enum class CommandResult {
  Applied,
  BadMac,              // the MAC does not verify with this meter's key
  WrongPurchaseCount,  // not current + 1
  BadValue,            // amount/price/threshold out of range
};

/// Status bits (register 0x0106 of the shipped profiles, assets/meters/README.md).
namespace status_bit {
inline constexpr std::uint16_t Alarm1 = 1U << 0U;           // balance below alarm threshold 1
inline constexpr std::uint16_t Alarm2 = 1U << 1U;           // balance below alarm threshold 2
inline constexpr std::uint16_t Arrears = 1U << 2U;          // balance <= 0
inline constexpr std::uint16_t Overload = 1U << 3U;         // power above the overload threshold
inline constexpr std::uint16_t PrepaidTrip = 1U << 4U;      // tripped by the prepaid logic
inline constexpr std::uint16_t KeepPower = 1U << 5U;        // keep power (保电) active
inline constexpr std::uint16_t OverVoltage = 1U << 6U;      // voltage above 242.0 V
inline constexpr std::uint16_t UnderVoltage = 1U << 7U;     // voltage below 198.0 V
inline constexpr std::uint16_t CommandRejected = 1U << 8U;  // last command refused (set by the bus)
}  // namespace status_bit

/// Everything the meter persists (state file) besides its identity.
struct SimMeterState {
  std::array<std::int64_t, SimRateCount> energyMilliJoule{};  // per rate; 0.01 kWh = 36e6 mJ
  std::int64_t balanceMicroYuan = 100 * 1'000'000;            // 100 yuan
  std::int64_t costRemainder = 0;  // sub-micro-yuan part of the charge (units of 1/3.6e9 µ¥)
  std::uint32_t purchaseCount = 0;
  SimRelay relay = SimRelay::Closed;
  TripCause tripCause = TripCause::None;
  bool keepPower = false;
  std::int64_t alarm1Fen = 2000;  // 20 yuan
  std::int64_t alarm2Fen = 500;   // 5 yuan
  std::int64_t overloadW = 10'000;
  std::array<std::int64_t, SimRateCount> pricesMicroYuan{1'200'000, 1'000'000, 800'000, 400'000};
  std::int64_t simMs = 0;   // simulated UTC time up to which consumption is integrated
  std::int64_t powerW = 0;  // mean power in the current minute (0 while the relay is open)
};

/// Static configuration of a meter.
struct SimMeterConfig {
  std::uint64_t key = 0;      // identity for the load profile's variation
  std::int64_t peakW = 3000;  // busiest-hour load of this shop
  Phases phases = Phases::Single;
  int utcOffsetMinutes = 8 * 60;  // site civil time (Asia/Shanghai)
};

class SimMeter {
 public:
  SimMeter(SimMeterConfig config, SimMeterState state) : m_config(config), m_state(state) {}

  /// Integrates consumption and billing up to simMs (no-op when simMs is not later). Trips the
  /// relay when the balance reaches zero unless keep power is on.
  void advanceTo(std::int64_t simMs, const LoadProfile& profile);

  /// Credits amountFen when the MAC verified and purchaseCount == current + 1; otherwise
  /// changes nothing. A recharge after an arrears trip closes the relay again.
  [[nodiscard]] CommandResult recharge(std::int64_t amountFen, std::uint32_t purchaseCount,
                                       MacCheck mac);
  /// Relay and keep-power commands; the caller has checked the MAC and the purchase count.
  [[nodiscard]] CommandResult control(SimControl command, MacCheck mac);
  /// New prices in micro-yuan per kWh for sharp, peak, flat, valley (each 0..100 yuan).
  [[nodiscard]] CommandResult setPrices(const std::array<std::int64_t, SimRateCount>& microYuan);
  /// Alarm thresholds in fen (alarm1 >= alarm2 >= 0) and overload threshold in W (> 0).
  [[nodiscard]] CommandResult setThresholds(std::int64_t alarm1Fen, std::int64_t alarm2Fen,
                                            std::int64_t overloadW);

  [[nodiscard]] std::int64_t totalEnergyCentiKwh() const;
  [[nodiscard]] std::int64_t energyCentiKwh(SimRate rate) const;
  [[nodiscard]] std::int64_t balanceFen() const;
  [[nodiscard]] std::uint16_t statusBits() const;
  /// Line voltage in 0.1 V, current in 0.01 A, power factor in 0.001 (derived from power).
  [[nodiscard]] std::int64_t voltageDeciV() const;
  [[nodiscard]] std::int64_t currentCentiA() const;
  [[nodiscard]] std::int64_t powerFactorPermille() const;

  /// The TOU rate in force at a minute of the local day (0..1439). Fixed schedule, see README.
  [[nodiscard]] static SimRate rateAt(std::int64_t minuteOfDay);

  [[nodiscard]] const SimMeterState& state() const { return m_state; }
  [[nodiscard]] SimMeterState& mutableState() { return m_state; }
  [[nodiscard]] const SimMeterConfig& config() const { return m_config; }

 private:
  void applyTripRule();

  SimMeterConfig m_config;
  SimMeterState m_state;
};

[[nodiscard]] std::string toString(SimRelay relay);
[[nodiscard]] std::string toString(CommandResult result);

}  // namespace prepaid::devices::sim
