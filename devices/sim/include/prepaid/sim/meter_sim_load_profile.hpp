#pragma once

// A seeded, deterministic load profile: the mean active power of a simulated shop during each
// minute of local civil time, shaped like a commercial building (low at night, high while the
// shops are open, a peak in the evening) with per-meter, per-minute pseudo-random variation.
// Integer arithmetic only, so the same seed gives the same consumption on every platform.

#include <cstdint>

namespace prepaid::devices::sim {

class LoadProfile {
 public:
  explicit LoadProfile(std::uint64_t seed) : m_seed(seed) {}

  /// Mean power in W of meter meterKey during minute localMinute (minutes since the epoch in
  /// the site's local time), for a shop whose busiest-hour load is peakW. Pure function.
  [[nodiscard]] std::int64_t powerW(std::uint64_t meterKey, std::int64_t localMinute,
                                    std::int64_t peakW) const;

  /// The day shape in permille of peak for a minute of the day (0..1439), before the noise.
  [[nodiscard]] static std::int64_t shapePermille(std::int64_t minuteOfDay);

  /// splitmix64: a small, well-mixed hash used for the per-minute variation.
  [[nodiscard]] static std::uint64_t mix(std::uint64_t value);

  [[nodiscard]] std::uint64_t seed() const { return m_seed; }

 private:
  std::uint64_t m_seed;
};

}  // namespace prepaid::devices::sim
