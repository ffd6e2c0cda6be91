// prepaidctl: the admin and technician command line. Each area registers its subcommands; this
// file only builds the app and turns parse errors into one-line messages.
#include <iostream>
#include <string>

#include "access_command.hpp"
#include "import_command.hpp"
#include "maintenance_command.hpp"
#include "meter_command.hpp"
#include "sell_command.hpp"
#include "site_command.hpp"
#include "status_command.hpp"
#include <CLI/CLI.hpp>

#include "prepaid/version.hpp"

int main(int argc, char** argv) {
  CLI::App app{"prepaidctl — Prepaid site administration and technician tools", "prepaidctl"};
  app.set_version_flag("--version", std::string("prepaidctl ") + prepaid::Version);
  app.require_subcommand(1);
  prepaid::backend::ctl::CommandResult result;
  prepaid::backend::ctl::registerMeterCommands(app, result);
  prepaid::backend::ctl::registerSellCommand(app, result);
  prepaid::backend::ctl::registerStatusCommands(app, result);
  prepaid::backend::ctl::registerSiteCommands(app, result);
  prepaid::backend::ctl::registerAccessCommands(app, result);
  prepaid::backend::ctl::registerMaintenanceCommands(app, result);
  prepaid::backend::ctl::registerImportCommand(app, result);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "prepaidctl: " << e.what() << " (see --help)\n";
    return e.get_exit_code() != 0 ? e.get_exit_code() : 2;
  }
  return result.exitCode;
}
