#pragma once

// prepaidctl meter read|control|recharge — the technician's "is this meter alive and what does
// it say" tool (devices/meter/README.md describes transports and profiles).

#include <CLI/CLI.hpp>

namespace prepaid::backend::ctl {

/// Exit status set by the command callbacks: 0 ok, 1 bad input (profile, key), 3 device error,
/// 4 the meter rejected the command.
struct CommandResult {
  int exitCode = 0;
};

/// Adds the `meter` subcommand tree to `app`; callbacks write their exit status to `result`.
void registerMeterCommands(CLI::App& app, CommandResult& result);

}  // namespace prepaid::backend::ctl
