#include "prepaid/sim/meter_sim_load_profile.hpp"

#include <array>

namespace prepaid::devices::sim {

namespace {

// Hourly load of a shop in a commercial building, permille of its busiest hour: standby at
// night, opening around 09:00, lunch and evening peaks, closing after 22:00.
constexpr std::array<std::int64_t, 25> HourlyPermille = {
    120, 110, 100, 100, 100, 110, 150,  250, 450, 700, 820, 880, 950,
    900, 850, 830, 850, 900, 980, 1000, 950, 800, 550, 250, 120};

constexpr std::int64_t MinutesPerDay = 24 * 60;

}  // namespace

std::uint64_t LoadProfile::mix(std::uint64_t value) {
  value += 0x9e3779b97f4a7c15ULL;
  value = (value ^ (value >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  value = (value ^ (value >> 27U)) * 0x94d049bb133111ebULL;
  return value ^ (value >> 31U);
}

std::int64_t LoadProfile::shapePermille(std::int64_t minuteOfDay) {
  const std::int64_t minute = ((minuteOfDay % MinutesPerDay) + MinutesPerDay) % MinutesPerDay;
  const auto hour = static_cast<std::size_t>(minute / 60);
  const std::int64_t within = minute % 60;
  // Linear interpolation between hourly points so the power has no steps at the hour.
  return HourlyPermille[hour] + (HourlyPermille[hour + 1] - HourlyPermille[hour]) * within / 60;
}

std::int64_t LoadProfile::powerW(std::uint64_t meterKey, std::int64_t localMinute,
                                 std::int64_t peakW) const {
  const std::uint64_t hash =
      mix(m_seed ^ mix(meterKey ^ mix(static_cast<std::uint64_t>(localMinute))));
  // Variation of -20 %..+20 % around the shape.
  const auto noisePermille = static_cast<std::int64_t>(hash % 401) - 200;
  const std::int64_t permille = shapePermille(localMinute % MinutesPerDay);
  const std::int64_t watts = peakW * permille / 1000 * (1000 + noisePermille) / 1000;
  return watts < 0 ? 0 : watts;
}

}  // namespace prepaid::devices::sim
