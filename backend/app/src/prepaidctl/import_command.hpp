#pragma once

// prepaidctl meters import FILE.csv — batch meter import in one transaction: every row or none,
// with a per-row error report. Same columns and rules as POST /api/v1/meters/import
// (backend/http/README.md); the rows are written with the store's MeterRepository::add.

#include "meter_command.hpp"
#include <CLI/CLI.hpp>

namespace prepaid::backend::ctl {

/// Adds `meters import`. Exit status: 0 imported, 1 refused (report on stdout; nothing written),
/// 3 store error.
void registerImportCommand(CLI::App& app, CommandResult& result);

}  // namespace prepaid::backend::ctl
