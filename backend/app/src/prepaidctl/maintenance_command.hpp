#pragma once

// prepaidctl verify / backup / restore — database maintenance (backend/app/README.md).

#include "meter_command.hpp"
#include <CLI/CLI.hpp>

namespace prepaid::backend::ctl {

/// Adds `verify`, `backup` and `restore`. Exit status: 0 done (verify: consistent), 1 bad input,
/// 3 store error, 4 verify found a mismatch (restore: the backup does not verify, nothing
/// restored), 5 restore refused (database in use).
void registerMaintenanceCommands(CLI::App& app, CommandResult& result);

}  // namespace prepaid::backend::ctl
