#include "meter_command.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "ctl_audit.hpp"
#include <nlohmann/json.hpp>

#include "prepaid/meter/dlt645_meter.hpp"
#include "prepaid/meter/modbus_meter.hpp"
#include "prepaid/meter/recharge_exactly_once.hpp"
#include "prepaid/secure/command_mac.hpp"

namespace prepaid::backend::ctl {

namespace {

using devices::DeviceError;
using nlohmann::json;

constexpr int ExitBadInput = 1;
constexpr int ExitDeviceError = 3;
constexpr int ExitRejected = 4;

struct MeterOptions {
  std::string transport;
  int unit = 1;
  std::string profile = "single-phase-prepaid";
  std::string profileDir;
  std::string address;  // DL/T 645 meter address / meter number for the MAC
  std::string keyHex;
  std::string command;
  std::int64_t amountFen = 0;
  std::int64_t purchaseCount = -1;
  std::int64_t timeUnixSeconds = -1;
  std::string auditDb;  // site database that receives the audit record (optional)
};

// Installed and build-tree layout: <prefix>/bin/prepaidctl, <prefix>/share/prepaid/meters.
std::filesystem::path defaultProfileDir() {
  if (const char* env = std::getenv("PREPAID_PROFILE_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  std::error_code error;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) {
    return "share/prepaid/meters";
  }
  return exe.parent_path().parent_path() / "share" / "prepaid" / "meters";
}

template <typename T>
json orNull(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

json snapshotJson(const devices::MeterSnapshot& s) {
  json out;
  out["total_energy_centi_kwh"] = s.totalEnergy ? json(s.totalEnergy->centiKwh()) : json(nullptr);
  json rates = json::object();
  for (const auto rate : domain::AllRates) {
    const auto& e = s.rateEnergy[domain::indexOf(rate)];
    rates[std::string(domain::toString(rate))] = e ? json(e->centiKwh()) : json(nullptr);
  }
  out["rate_energy_centi_kwh"] = rates;
  out["voltage_mv"] = orNull(s.voltageMilliVolts);
  out["current_ma"] = orNull(s.currentMilliAmps);
  out["active_power_w"] = orNull(s.activePowerWatts);
  out["power_factor_milli"] = orNull(s.powerFactorMilli);
  if (s.voltageBMilliVolts || s.voltageCMilliVolts || s.currentBMilliAmps || s.currentCMilliAmps) {
    out["voltage_b_mv"] = orNull(s.voltageBMilliVolts);
    out["voltage_c_mv"] = orNull(s.voltageCMilliVolts);
    out["current_b_ma"] = orNull(s.currentBMilliAmps);
    out["current_c_ma"] = orNull(s.currentCMilliAmps);
  }
  if (!s.prepaid) {
    out["prepaid"] = nullptr;
    return out;
  }
  const auto& p = *s.prepaid;
  json prepaid;
  const auto money = [](const std::optional<domain::Money>& m) {
    return m ? json(m->fen()) : json(nullptr);
  };
  prepaid["balance_fen"] = money(p.balance);
  prepaid["purchase_count"] = orNull(p.purchaseCount);
  prepaid["relay"] = p.relay ? json(std::string(domain::toString(*p.relay))) : json(nullptr);
  prepaid["keep_power"] =
      p.keepPower ? json(*p.keepPower == devices::KeepPower::On) : json(nullptr);
  prepaid["alarm_threshold_1_fen"] = money(p.alarmThreshold1);
  prepaid["alarm_threshold_2_fen"] = money(p.alarmThreshold2);
  prepaid["overload_threshold_w"] = orNull(p.overloadThresholdWatts);
  json prices = json::object();
  for (const auto rate : domain::AllRates) {
    const auto& price = p.prices[domain::indexOf(rate)];
    prices[std::string(domain::toString(rate))] = price ? json(price->microYuan()) : json(nullptr);
  }
  prepaid["prices_micro_yuan_per_kwh"] = prices;
  prepaid["status_bits"] = orNull(p.statusBits);
  out["prepaid"] = prepaid;
  return out;
}

int fail(const std::string& what) {
  std::cerr << "prepaidctl: " << what << '\n';
  return ExitBadInput;
}

int deviceFailure(std::string_view step, const DeviceError& error) {
  std::cerr << "prepaidctl: meter " << step << ": " << devices::describe(error) << '\n';
  json out;
  out["error"] = {{"kind", std::string(devices::toString(error.kind))}, {"detail", error.detail}};
  if (error.kind == devices::DeviceErrorKind::ModbusException) {
    out["error"]["exception_code"] = error.exceptionCode;
  }
  if (error.kind == devices::DeviceErrorKind::Rejected) {
    out["error"]["reason"] = std::string(devices::toString(error.rejectReason));
  }
  if (error.kind == devices::DeviceErrorKind::OutcomeUnknown) {
    out["error"]["cause"] = std::string(devices::toString(error.cause));
  }
  std::cout << out.dump(2) << '\n';
  return error.kind == devices::DeviceErrorKind::Rejected ? ExitRejected : ExitDeviceError;
}

// Builds the meter the options name; on error prints it and returns nullptr with `exitCode`.
std::unique_ptr<devices::Meter> openMeter(const MeterOptions& options, int& exitCode) {
  const auto uri = devices::parseTransportUri(options.transport);
  if (!uri) {
    exitCode = fail(uri.error().detail);
    return nullptr;
  }
  if (!devices::isModbusScheme(uri->scheme)) {
    const auto address = options.address.empty()
                             ? std::optional(devices::Dlt645Address::broadcast())
                             : devices::Dlt645Address::parse(options.address);
    if (!address) {
      exitCode = fail("--address must be 12 digits (or AAAAAAAAAAAA)");
      return nullptr;
    }
    auto link = devices::openDlt645Link(*uri);
    if (!link) {
      exitCode = fail(link.error().detail);
      return nullptr;
    }
    return std::make_unique<devices::Dlt645Meter>(*link, *address);
  }
  const std::filesystem::path dir =
      options.profileDir.empty() ? defaultProfileDir() : std::filesystem::path(options.profileDir);
  auto profile = devices::loadMeterProfileByName(dir, options.profile);
  if (!profile) {
    exitCode = fail(profile.error().describe());
    return nullptr;
  }
  std::optional<std::uint64_t> macAddress;
  if (!options.address.empty()) {
    const auto number = devices::Dlt645Address::parse(options.address);
    if (!number || number->isBroadcast()) {
      exitCode = fail("--address must be the 12-digit meter number");
      return nullptr;
    }
    macAddress = std::stoull(options.address);
  }
  auto transport = devices::openModbusTransport(*uri);
  if (!transport) {
    exitCode = fail(transport.error().detail);
    return nullptr;
  }
  return std::make_unique<devices::ModbusMeter>(*transport, static_cast<std::uint8_t>(options.unit),
                                                std::move(*profile), macAddress);
}

std::optional<devices::MacKey> resolveKey(const MeterOptions& options, int& exitCode) {
  std::string hex = options.keyHex;
  if (hex.empty()) {
    if (const char* env = std::getenv("PREPAID_METER_KEY"); env != nullptr) {
      hex = env;
    }
  }
  if (hex.empty()) {
    exitCode = fail("a key is needed: --key HEX or PREPAID_METER_KEY");
    return std::nullopt;
  }
  const auto key = devices::parseMacKey(hex);
  if (!key) {
    exitCode = fail(std::string(devices::toString(key.error())));
    return std::nullopt;
  }
  return *key;
}

std::uint32_t commandTime(const MeterOptions& options) {
  if (options.timeUnixSeconds >= 0) {
    return static_cast<std::uint32_t>(options.timeUnixSeconds);
  }
  return static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

int runRead(const MeterOptions& options) {
  int exitCode = 0;
  auto meter = openMeter(options, exitCode);
  if (!meter) {
    return exitCode;
  }
  const auto snapshot = meter->readSnapshot();
  if (!snapshot) {
    return deviceFailure("read", snapshot.error());
  }
  json out = snapshotJson(*snapshot);
  out["transport"] = options.transport;
  if (dynamic_cast<devices::Dlt645Meter*>(meter.get()) != nullptr) {
    out["address"] = options.address.empty() ? "AAAAAAAAAAAA" : options.address;
  } else {
    out["unit"] = options.unit;
  }
  std::cout << out.dump(2) << '\n';
  return 0;
}

int runControl(const MeterOptions& options) {
  const auto code = devices::parseControlCode(options.command);
  if (!code) {
    return fail("--command must be trip, close, keep-power-on, keep-power-off or resume-prepaid");
  }
  int exitCode = 0;
  auto meter = openMeter(options, exitCode);
  if (!meter) {
    return exitCode;
  }
  const auto key = resolveKey(options, exitCode);
  if (!key) {
    return exitCode;
  }
  // The control MAC binds the command to the meter's current purchase count.
  std::uint32_t count = 0;
  if (options.purchaseCount >= 0) {
    count = static_cast<std::uint32_t>(options.purchaseCount);
  } else if (auto current = meter->readPurchaseCount()) {
    count = *current;
  } else if (current.error().kind != devices::DeviceErrorKind::Unsupported) {
    return deviceFailure("control (reading the purchase count)", current.error());
  }
  devices::ControlCommand command{*code, count, commandTime(options), 0, {}};
  const auto mac = devices::computeCommandMac(
      meter->macAlgorithm(), *key, devices::controlMacFields(meter->macAddress(), command));
  if (!mac) {
    return fail(std::string(devices::toString(mac.error())));
  }
  command.mac = *mac;
  if (auto sent = meter->control(command); !sent) {
    return deviceFailure("control", sent.error());
  }
  std::cout << json{{"command", options.command}, {"result", "applied"}}.dump(2) << '\n';
  return 0;
}

int runRecharge(const MeterOptions& options) {
  if (options.amountFen <= 0) {
    return fail("--amount-fen must be positive");
  }
  int exitCode = 0;
  auto meter = openMeter(options, exitCode);
  if (!meter) {
    return exitCode;
  }
  const auto key = resolveKey(options, exitCode);
  if (!key) {
    return exitCode;
  }
  std::uint32_t count = 0;
  if (options.purchaseCount > 0) {
    count = static_cast<std::uint32_t>(options.purchaseCount);
  } else {
    // Without an explicit count this is a fresh recharge: the next number after the meter's.
    const auto current = meter->readPurchaseCount();
    if (!current) {
      return deviceFailure("recharge (reading the purchase count)", current.error());
    }
    count = *current + 1;
  }
  devices::RechargeCommand command{
      domain::Money::fromFen(options.amountFen), count, commandTime(options), {}};
  const auto fields = devices::rechargeMacFields(meter->macAddress(), command);
  if (!fields) {
    return fail("--amount-fen must be at most 4294967295");
  }
  const auto mac = devices::computeCommandMac(meter->macAlgorithm(), *key, *fields);
  if (!mac) {
    return fail(std::string(devices::toString(mac.error())));
  }
  command.mac = *mac;
  const auto outcome = devices::rechargeExactlyOnce(*meter, command);
  if (!outcome) {
    return deviceFailure("recharge", outcome.error());
  }
  std::cout << json{{"purchase_count", count},
                    {"amount_fen", options.amountFen},
                    {"result",
                     *outcome == devices::RechargeOutcome::Applied ? "applied" : "already_applied"}}
                   .dump(2)
            << '\n';
  return 0;
}

// control and recharge change a meter: audited in the site database given with --db (opened
// before the meter is touched, so an unusable database stops the action instead of leaving it
// unrecorded). Without --db (a meter on the bench, no site) the action is not audited; stderr
// says so.
int audited(const MeterOptions& options, const std::string& action, const json& asked,
            int (*run)(const MeterOptions&)) {
  std::unique_ptr<store::Store> db;
  if (!options.auditDb.empty()) {
    store::StoreOptions storeOptions;
    storeOptions.create = store::StoreOptions::Create::MustExist;
    auto opened = store::openSqliteStore(options.auditDb, storeOptions);
    if (!opened) {
      std::cerr << "prepaidctl: " << options.auditDb << ": " << opened.error().message
                << " (nothing sent)\n";
      return ExitDeviceError;
    }
    db = std::move(*opened);
  } else {
    std::cerr << "prepaidctl: note: " << action << " not audited (no --db site database given)\n";
  }
  const int exitCode = run(options);
  if (db) {
    recordAudit(
        *db, auditEntry(action, "device:" + options.transport + "#" + std::to_string(options.unit),
                        asked, json{{"exit_code", exitCode}},
                        exitCode == 0 ? "ok" : "exit_" + std::to_string(exitCode)));
  }
  return exitCode;
}

void addConnectionOptions(CLI::App& command, MeterOptions& options) {
  command
      .add_option("--transport", options.transport,
                  "rtu:/dev/ttyUSB0?baud=9600&parity=E | tcp://HOST[:502] | rtu+tcp://HOST:PORT | "
                  "dlt645+tcp://HOST:PORT | dlt645:/dev/ttyUSB0 (timing: timeout_ms, "
                  "byte_timeout_ms, delay_ms, retries, quiet_ms)")
      ->required();
  command.add_option("--unit", options.unit, "Modbus unit id (1..247)")->check(CLI::Range(1, 247));
  command.add_option("--profile", options.profile, "meter model (profile file name)")
      ->capture_default_str();
  command.add_option("--profile-dir", options.profileDir,
                     "profile directory (default: $PREPAID_PROFILE_DIR, else "
                     "<prefix>/share/prepaid/meters next to this program)");
  command.add_option("--address", options.address,
                     "12-digit meter address (DL/T 645) / meter number covered by the MAC "
                     "(Modbus default: the unit id)");
}

}  // namespace

void registerMeterCommands(CLI::App& app, CommandResult& result) {
  auto options = std::make_shared<MeterOptions>();
  CLI::App* meter = app.add_subcommand("meter", "talk to one meter (technician tool)");
  meter->require_subcommand(1);

  CLI::App* read = meter->add_subcommand("read", "read a snapshot and print it as JSON");
  addConnectionOptions(*read, *options);
  read->callback([options, &result] { result.exitCode = runRead(*options); });

  CLI::App* control =
      meter->add_subcommand("control", "trip / close / keep power / resume prepaid");
  addConnectionOptions(*control, *options);
  control
      ->add_option("--command", options->command,
                   "trip | close | keep-power-on | keep-power-off | resume-prepaid")
      ->required();
  control->add_option("--key", options->keyHex, "meter key, 32 hex digits (or PREPAID_METER_KEY)");
  control->add_option("--purchase-count", options->purchaseCount,
                      "the meter's current purchase count (default: read it)");
  control->add_option("--time", options->timeUnixSeconds,
                      "command time, Unix seconds (default: now)");
  control->add_option("--db", options->auditDb, "site database to write the audit record to");
  control->callback([options, &result] {
    result.exitCode =
        audited(*options, "meter.control",
                json{{"command", options->command}, {"address", options->address}}, runControl);
  });

  CLI::App* recharge =
      meter->add_subcommand("recharge", "credit an amount exactly once (reads the count back)");
  addConnectionOptions(*recharge, *options);
  recharge->add_option("--amount-fen", options->amountFen, "amount in fen")->required();
  recharge->add_option("--key", options->keyHex, "meter key, 32 hex digits (or PREPAID_METER_KEY)");
  recharge->add_option("--purchase-count", options->purchaseCount,
                       "the recharge's number N (meter's count + 1); repeat the same N to retry "
                       "safely (default: read the meter's count + 1)");
  recharge->add_option("--time", options->timeUnixSeconds,
                       "command time, Unix seconds (default: now)");
  recharge->add_option("--db", options->auditDb, "site database to write the audit record to");
  recharge->callback([options, &result] {
    result.exitCode = audited(*options, "meter.recharge",
                              json{{"amount_fen", options->amountFen},
                                   {"purchase_count", options->purchaseCount},
                                   {"address", options->address}},
                              runRecharge);
  });
}

}  // namespace prepaid::backend::ctl
