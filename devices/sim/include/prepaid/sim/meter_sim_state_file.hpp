#pragma once

// The simulator's state file: the simulated clock and every meter's state, written on exit
// (atomically: temp file + rename) and read at start so a demo continues where it stopped.
// TOML, one [[meter]] table per meter keyed by gateway index and unit id.

#include <cstdint>
#include <expected>
#include <filesystem>
#include <string>
#include <vector>

#include "prepaid/sim/meter_sim_meter.hpp"

namespace prepaid::devices::sim {

struct SavedMeter {
  int gateway = 0;
  int unit = 0;
  SimMeterState state;
};

struct SavedFleet {
  std::int64_t simMs = 0;  // simulated UTC time when saved
  std::vector<SavedMeter> meters;
};

/// Writes the state file atomically. Error: a message naming the file.
[[nodiscard]] std::expected<void, std::string> saveState(const std::filesystem::path& file,
                                                         const SavedFleet& fleet);
/// Reads a state file. Error: a message naming the file and the field.
[[nodiscard]] std::expected<SavedFleet, std::string> loadState(const std::filesystem::path& file);

}  // namespace prepaid::devices::sim
