#pragma once

// prepaidctl init — creates (or extends) a site database from a TOML site file: site and
// settings, tariffs (effective-dated versions; site default and per meter), buildings/floors/shops,
// gateways, meters (with accounts for named tenants, and their opening balances posted through
// billing). Format:
// backend/app/README.md.

#include "meter_command.hpp"
#include <CLI/CLI.hpp>

namespace prepaid::backend::ctl {

/// Adds `init`. Exit status: 0 done, 1 bad site file (nothing written), 3 store error.
void registerSiteCommands(CLI::App& app, CommandResult& result);

}  // namespace prepaid::backend::ctl
