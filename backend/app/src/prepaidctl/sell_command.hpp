#pragma once

// prepaidctl sell — 售电 from the command line (until the HTTP API exists): calls
// BillingService::sell on the site database; the running prepaid-backend delivers the recharge.

#include "meter_command.hpp"
#include <CLI/CLI.hpp>

namespace prepaid::backend::ctl {

/// Adds `sell`. Exit status: 0 sold (or replayed), 1 bad input, 3 store error, 5 refused by
/// billing (sales blocked, account not open, hoarding cap, …); a JSON object is printed.
void registerSellCommand(CLI::App& app, CommandResult& result);

}  // namespace prepaid::backend::ctl
