#pragma once

// prepaidctl status — the site at a glance as JSON (gateways and meters with link state,
// balances, purchase counts, sales blocks; the command queue by state; open alarms).
// prepaidctl command — queue a remote command (trip, close, price, …) for one or more meters as
// one batch (CommandService); the running prepaid-backend delivers it.

#include "meter_command.hpp"
#include <CLI/CLI.hpp>

namespace prepaid::backend::ctl {

/// Adds `status` and `command`. Exit status: 0 ok, 1 bad input, 3 store error.
void registerStatusCommands(CLI::App& app, CommandResult& result);

}  // namespace prepaid::backend::ctl
