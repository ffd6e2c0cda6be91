#pragma once

// The physical limit of one polling pass over a Modbus RTU bus: the time the serial line needs
// for every request and reply of the drivers' read plan, with the simulator's own timing model
// (devices/sim BusTiming: characters x bits / baud, t3.5 after the request and after the reply,
// the meter's turnaround). The same formula as tests/bench/bus, computed by the code the
// simulator times its replies with instead of a second copy of it.

#include <chrono>
#include <cstddef>

#include "prepaid/meter/modbus_meter.hpp"
#include "prepaid/sim/meter_sim_timing.hpp"

namespace prepaid::bench {

/// Seconds one pass over `meters` meters of `profile` occupies a bus with `timing`.
inline double busPassLimitSeconds(const devices::MeterProfile& profile, int meters,
                                  const devices::sim::BusTiming& timing) {
  std::chrono::nanoseconds total{0};
  for (const auto& read : devices::planReads(profile)) {
    constexpr std::size_t RequestChars = 8;              // unit, fc, address, count, CRC
    const std::size_t replyChars = 5 + 2U * read.count;  // unit, fc, byte count, data, CRC
    total += timing.transactionTime(RequestChars, replyChars);
  }
  return std::chrono::duration<double>(total).count() * meters;
}

}  // namespace prepaid::bench
