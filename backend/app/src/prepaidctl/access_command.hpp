#pragma once

// prepaidctl operator add / kiosk add — staff access outside HTTP (backend/http access_admin),
// each change written to the audit log with actor "prepaidctl".

#include "meter_command.hpp"
#include <CLI/CLI.hpp>

namespace prepaid::backend::ctl {

/// Adds `operator add` and `kiosk add`. Exit status: 0 done, 1 bad input (password length,
/// unknown role, name taken), 3 store error.
void registerAccessCommands(CLI::App& app, CommandResult& result);

}  // namespace prepaid::backend::ctl
