#include "prepaid/sim/meter_sim_fleet.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

#include <openssl/evp.h>
#include <toml++/toml.h>

namespace prepaid::devices::sim {

namespace {

constexpr int MaxUnit = 247;  // Modbus: unit ids 1..247
constexpr int MaxMetersPerGateway = 247;
constexpr int MaxGateways = 4096;

std::uint64_t addressKey(const std::string& address) {
  std::uint64_t key = 1469598103934665603ULL;  // FNV-1a
  for (const char c : address) {
    key = (key ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  }
  return key;
}

MeterSpec makeMeter(const FleetSpec& fleet, int gateway, int unit, const std::string& profile) {
  MeterSpec meter;
  meter.unit = unit;
  meter.address = defaultAddress(gateway, unit);
  meter.profile = profile;
  meter.key = deriveMeterKey(fleet.masterKey, meter.address);
  meter.config.key = addressKey(meter.address);
  meter.config.utcOffsetMinutes = fleet.utcOffsetMinutes;
  const bool three = profile.find("three") != std::string::npos;
  meter.config.phases = three ? Phases::Three : Phases::Single;
  // Shops differ: a deterministic busiest-hour load per meter.
  const auto spread = LoadProfile::mix(meter.config.key ^ fleet.seed);
  meter.config.peakW = three ? 6000 + static_cast<std::int64_t>(spread % 18000)
                             : 1500 + static_cast<std::int64_t>(spread % 4500);
  meter.initial.overloadW = three ? 40'000 : 10'000;
  return meter;
}

std::string where(const std::filesystem::path& file, const std::string& field) {
  return file.string() + ": " + field;
}

template <typename T>
std::expected<std::optional<T>, std::string> optionalValue(const toml::table& table,
                                                           std::string_view key,
                                                           const std::filesystem::path& file,
                                                           const std::string& context) {
  const toml::node* node = table.get(key);
  if (node == nullptr) {
    return std::optional<T>{};
  }
  auto value = node->value<T>();
  if (!value) {
    return std::unexpected(where(file, context + std::string(key)) + ": wrong type");
  }
  return std::optional<T>{*value};
}

std::expected<void, std::string> checkKeys(const toml::table& table,
                                           const std::set<std::string_view>& allowed,
                                           const std::filesystem::path& file,
                                           const std::string& context) {
  for (const auto& [key, node] : table) {
    if (!allowed.contains(key.str())) {
      return std::unexpected(where(file, context + std::string(key.str())) + ": unknown field");
    }
  }
  return {};
}

// Reads the serial line / turnaround keys shared by [timing] and [[gateway]].
std::expected<void, std::string> readTiming(const toml::table& table, SerialLine& line,
                                            std::chrono::microseconds& turnaround,
                                            const std::filesystem::path& file,
                                            const std::string& context) {
  auto baud = optionalValue<std::int64_t>(table, "baud", file, context);
  if (!baud) {
    return std::unexpected(baud.error());
  }
  if (*baud) {
    if (**baud < 300 || **baud > 4'000'000) {
      return std::unexpected(where(file, context + "baud") + ": must be 300..4000000");
    }
    line.baud = static_cast<int>(**baud);
  }
  auto parity = optionalValue<std::string>(table, "parity", file, context);
  if (!parity) {
    return std::unexpected(parity.error());
  }
  if (*parity) {
    if (auto ok = parseParity(**parity, line); !ok) {
      return std::unexpected(where(file, context + "parity") + ": " + ok.error());
    }
  }
  auto turn = optionalValue<double>(table, "turnaround_ms", file, context);
  if (!turn) {
    return std::unexpected(turn.error());
  }
  if (*turn) {
    if (**turn < 0 || **turn > 10'000) {
      return std::unexpected(where(file, context + "turnaround_ms") + ": must be 0..10000");
    }
    turnaround = std::chrono::microseconds(static_cast<std::int64_t>(**turn * 1000.0));
  }
  return {};
}

// Meter fields allowed in [defaults], [[gateway]] and [[gateway.meter]].
std::expected<void, std::string> readMeterFields(const toml::table& table, MeterSpec& meter,
                                                 const std::filesystem::path& file,
                                                 const std::string& context) {
  auto readInt = [&](std::string_view key, std::int64_t& out) -> std::expected<void, std::string> {
    auto value = optionalValue<std::int64_t>(table, key, file, context);
    if (!value) {
      return std::unexpected(value.error());
    }
    if (*value) {
      out = **value;
    }
    return {};
  };
  std::int64_t count = meter.initial.purchaseCount;
  std::int64_t balanceFen = meter.initial.balanceMicroYuan / 10'000;
  for (auto [key, out] : {std::pair<std::string_view, std::int64_t*>{"balance_fen", &balanceFen},
                          {"purchase_count", &count},
                          {"alarm1_fen", &meter.initial.alarm1Fen},
                          {"alarm2_fen", &meter.initial.alarm2Fen},
                          {"overload_w", &meter.initial.overloadW},
                          {"peak_w", &meter.config.peakW}}) {
    if (auto ok = readInt(key, *out); !ok) {
      return ok;
    }
  }
  if (count < 0 || count > 0xFFFF'FFFFLL) {
    return std::unexpected(where(file, context + "purchase_count") + ": out of range");
  }
  if (table.get("peak_w") != nullptr) {
    meter.peakConfigured = true;
  }
  if (meter.config.peakW < 0 || meter.config.peakW > 1'000'000) {
    return std::unexpected(where(file, context + "peak_w") + ": must be 0..1000000");
  }
  meter.initial.purchaseCount = static_cast<std::uint32_t>(count);
  meter.initial.balanceMicroYuan = balanceFen * 10'000;
  if (const auto* prices = table.get("prices_micro_yuan")) {
    const auto* array = prices->as_array();
    if (array == nullptr || array->size() != SimRateCount) {
      return std::unexpected(where(file, context + "prices_micro_yuan") +
                             ": must be 4 integers (sharp, peak, flat, valley)");
    }
    for (std::size_t i = 0; i < SimRateCount; ++i) {
      auto price = (*array)[i].value<std::int64_t>();
      if (!price || *price < 0) {
        return std::unexpected(where(file, context + "prices_micro_yuan") +
                               ": must be non-negative integers");
      }
      meter.initial.pricesMicroYuan[i] = *price;
    }
  }
  auto keepPower = optionalValue<bool>(table, "keep_power", file, context);
  if (!keepPower) {
    return std::unexpected(keepPower.error());
  }
  if (*keepPower) {
    meter.initial.keepPower = **keepPower;
  }
  auto fault = optionalValue<std::string>(table, "fault", file, context);
  if (!fault) {
    return std::unexpected(fault.error());
  }
  if (*fault) {
    auto parsed = parseFault(**fault);
    if (!parsed) {
      return std::unexpected(where(file, context + "fault") + ": " + parsed.error());
    }
    meter.fault = *parsed;
  }
  auto profile = optionalValue<std::string>(table, "profile", file, context);
  if (!profile) {
    return std::unexpected(profile.error());
  }
  if (*profile) {
    meter.profile = **profile;
    const bool three = meter.profile.find("three") != std::string::npos;
    meter.config.phases = three ? Phases::Three : Phases::Single;
  }
  return {};
}

const std::set<std::string_view> MeterFieldNames = {
    "balance_fen", "purchase_count",    "alarm1_fen", "alarm2_fen", "overload_w",
    "peak_w",      "prices_micro_yuan", "keep_power", "fault",      "profile"};

std::set<std::string_view> withMeterFields(std::set<std::string_view> names) {
  names.insert(MeterFieldNames.begin(), MeterFieldNames.end());
  return names;
}

}  // namespace

std::array<std::int64_t, SimRateCount> historyEnergy(std::int64_t peakW, int days) {
  std::array<std::int64_t, SimRateCount> energy{};
  for (std::int64_t minute = 0; minute < 24 * 60; ++minute) {
    const auto rate = static_cast<std::size_t>(SimMeter::rateAt(minute));
    energy[rate] += peakW * LoadProfile::shapePermille(minute) / 1000 * 60'000;  // W x ms = mJ
  }
  for (auto& value : energy) {
    value *= days;
  }
  return energy;
}

std::string toString(GatewayProtocol protocol) {
  switch (protocol) {
    case GatewayProtocol::ModbusTcp:
      return "modbus-tcp";
    case GatewayProtocol::RtuOverTcp:
      return "rtu-over-tcp";
    case GatewayProtocol::Dlt645Tcp:
      return "dlt645-tcp";
    case GatewayProtocol::RtuPty:
      return "rtu-pty";
  }
  return "unknown";
}

std::optional<GatewayProtocol> parseGatewayProtocol(std::string_view text) {
  for (const auto protocol : {GatewayProtocol::ModbusTcp, GatewayProtocol::RtuOverTcp,
                              GatewayProtocol::Dlt645Tcp, GatewayProtocol::RtuPty}) {
    if (toString(protocol) == text) {
      return protocol;
    }
  }
  return std::nullopt;
}

MeterKey defaultMasterKey() {
  MeterKey key{};
  for (std::size_t i = 0; i < key.size(); ++i) {
    key[i] = static_cast<std::uint8_t>(i);
  }
  return key;
}

MeterKey deriveMeterKey(const MeterKey& master, const std::string& address) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, master.data(), master.size());
  EVP_DigestUpdate(ctx, address.data(), address.size());
  EVP_DigestFinal_ex(ctx, digest.data(), &length);
  EVP_MD_CTX_free(ctx);
  MeterKey key{};
  std::copy_n(digest.begin(), key.size(), key.begin());
  return key;
}

std::string defaultAddress(int gateway, int unit) {
  std::array<char, 16> text{};
  std::snprintf(text.data(), text.size(), "%06d%06d", gateway % 1'000'000, unit % 1'000'000);
  return std::string(text.data());
}

std::expected<MeterKey, std::string> parseKey(std::string_view hex) {
  if (hex.size() != 32) {
    return std::unexpected("a key is 32 hex digits (AES-128), got " + std::to_string(hex.size()));
  }
  MeterKey key{};
  for (std::size_t i = 0; i < key.size(); ++i) {
    unsigned value = 0;
    for (std::size_t j = 0; j < 2; ++j) {
      const char c = hex[2 * i + j];
      unsigned digit = 0;
      if (c >= '0' && c <= '9') {
        digit = static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        digit = static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        digit = static_cast<unsigned>(c - 'A' + 10);
      } else {
        return std::unexpected("a key is 32 hex digits; '" + std::string(1, c) + "' is not one");
      }
      value = value * 16 + digit;
    }
    key[i] = static_cast<std::uint8_t>(value);
  }
  return key;
}

std::string toHex(const MeterKey& key) {
  static constexpr std::string_view Digits = "0123456789abcdef";
  std::string text;
  for (const auto byte : key) {
    text += Digits[byte >> 4U];
    text += Digits[byte & 0x0FU];
  }
  return text;
}

std::expected<FleetSpec, std::string> fleetFromFlags(const FlagFleetOptions& options) {
  if (options.gateways < 1 || options.gateways > MaxGateways) {
    return std::unexpected("--gateways must be 1.." + std::to_string(MaxGateways));
  }
  if (options.metersPerGateway < 1 || options.metersPerGateway > MaxMetersPerGateway) {
    return std::unexpected("--meters-per-gateway must be 1.." +
                           std::to_string(MaxMetersPerGateway));
  }
  if (options.basePort < 0 ||
      (options.basePort > 0 && options.basePort + options.gateways > 65536)) {
    return std::unexpected("--tcp-base-port + gateways must stay below 65536");
  }
  if (options.protocols.empty()) {
    return std::unexpected("at least one protocol is needed");
  }
  FleetSpec fleet;
  fleet.seed = options.seed;
  fleet.timeScale = options.timeScale;
  fleet.masterKey = defaultMasterKey();
  for (int g = 0; g < options.gateways; ++g) {
    GatewaySpec gateway;
    gateway.index = g;
    gateway.protocol = options.protocols[static_cast<std::size_t>(g) % options.protocols.size()];
    gateway.port = options.basePort == 0 ? 0 : options.basePort + g;
    gateway.line = options.line;
    gateway.turnaround = options.turnaround;
    for (int unit = 1; unit <= options.metersPerGateway; ++unit) {
      gateway.meters.push_back(makeMeter(fleet, g, unit, options.profile));
    }
    fleet.gateways.push_back(std::move(gateway));
  }
  return fleet;
}

std::expected<FleetSpec, std::string> loadFleetFile(const std::filesystem::path& file) {
  toml::table root;
  try {
    root = toml::parse_file(file.string());
  } catch (const toml::parse_error& error) {
    return std::unexpected(file.string() + ":" + std::to_string(error.source().begin.line) + ": " +
                           std::string(error.description()));
  }
  if (auto ok = checkKeys(root,
                          {"seed", "time_scale", "utc_offset_minutes", "master_key", "profile_dir",
                           "history_days", "timing", "defaults", "gateway"},
                          file, "");
      !ok) {
    return std::unexpected(ok.error());
  }
  FleetSpec fleet;
  fleet.masterKey = defaultMasterKey();
  fleet.profileDir = file.parent_path();
  if (auto seed = optionalValue<std::int64_t>(root, "seed", file, ""); !seed) {
    return std::unexpected(seed.error());
  } else if (*seed) {
    fleet.seed = static_cast<std::uint64_t>(**seed);
  }
  if (const auto* node = root.get("time_scale")) {
    auto scale = node->value<double>();
    if (!scale || *scale <= 0 || *scale > 1e6) {
      return std::unexpected(where(file, "time_scale") + ": must be a number in (0, 1e6]");
    }
    fleet.timeScale = *scale;
  }
  if (auto offset = optionalValue<std::int64_t>(root, "utc_offset_minutes", file, ""); !offset) {
    return std::unexpected(offset.error());
  } else if (*offset) {
    if (**offset < -14 * 60 || **offset > 14 * 60) {
      return std::unexpected(where(file, "utc_offset_minutes") + ": must be -840..840");
    }
    fleet.utcOffsetMinutes = static_cast<int>(**offset);
  }
  if (auto days = optionalValue<std::int64_t>(root, "history_days", file, ""); !days) {
    return std::unexpected(days.error());
  } else if (*days) {
    if (**days < 0 || **days > 36'500) {
      return std::unexpected(where(file, "history_days") + ": must be 0..36500");
    }
    fleet.historyDays = static_cast<int>(**days);
  }
  if (auto master = optionalValue<std::string>(root, "master_key", file, ""); !master) {
    return std::unexpected(master.error());
  } else if (*master) {
    auto key = parseKey(**master);
    if (!key) {
      return std::unexpected(where(file, "master_key") + ": " + key.error());
    }
    fleet.masterKey = *key;
  }
  if (auto dir = optionalValue<std::string>(root, "profile_dir", file, ""); !dir) {
    return std::unexpected(dir.error());
  } else if (*dir) {
    fleet.profileDir = file.parent_path() / **dir;
  } else {
    fleet.profileDir.clear();  // the program's default
  }

  SerialLine line;
  std::chrono::microseconds turnaround{20'000};
  if (const auto* timing = root.get_as<toml::table>("timing")) {
    if (auto ok = checkKeys(*timing, {"baud", "parity", "turnaround_ms"}, file, "timing."); !ok) {
      return std::unexpected(ok.error());
    }
    if (auto ok = readTiming(*timing, line, turnaround, file, "timing."); !ok) {
      return std::unexpected(ok.error());
    }
  }
  MeterSpec defaults;
  if (const auto* table = root.get_as<toml::table>("defaults")) {
    if (auto ok = checkKeys(*table, MeterFieldNames, file, "defaults."); !ok) {
      return std::unexpected(ok.error());
    }
    if (auto ok = readMeterFields(*table, defaults, file, "defaults."); !ok) {
      return std::unexpected(ok.error());
    }
  }
  const auto* gateways = root.get_as<toml::array>("gateway");
  if (gateways == nullptr || gateways->empty()) {
    return std::unexpected(where(file, "gateway") + ": at least one [[gateway]] is needed");
  }
  std::set<int> ports;
  for (std::size_t g = 0; g < gateways->size(); ++g) {
    const std::string context = "gateway[" + std::to_string(g) + "].";
    const auto* table = (*gateways)[g].as_table();
    if (table == nullptr) {
      return std::unexpected(where(file, context) + ": must be a table");
    }
    if (auto ok = checkKeys(*table,
                            withMeterFields({"protocol", "bind", "port", "meters", "meter", "baud",
                                             "parity", "turnaround_ms", "gateway_fault"}),
                            file, context);
        !ok) {
      return std::unexpected(ok.error());
    }
    GatewaySpec gateway;
    gateway.index = static_cast<int>(g);
    gateway.line = line;
    gateway.turnaround = turnaround;
    auto protocolName = optionalValue<std::string>(*table, "protocol", file, context);
    if (!protocolName) {
      return std::unexpected(protocolName.error());
    }
    if (*protocolName) {
      auto protocol = parseGatewayProtocol(**protocolName);
      if (!protocol) {
        return std::unexpected(where(file, context + "protocol") + ": unknown protocol '" +
                               **protocolName +
                               "' (modbus-tcp, rtu-over-tcp, dlt645-tcp, rtu-pty)");
      }
      gateway.protocol = *protocol;
    }
    if (auto bind = optionalValue<std::string>(*table, "bind", file, context); !bind) {
      return std::unexpected(bind.error());
    } else if (*bind) {
      gateway.bindAddress = **bind;
    }
    if (auto port = optionalValue<std::int64_t>(*table, "port", file, context); !port) {
      return std::unexpected(port.error());
    } else if (*port) {
      if (**port < 0 || **port > 65535) {
        return std::unexpected(where(file, context + "port") + ": must be 0..65535");
      }
      gateway.port = static_cast<int>(**port);
      if (gateway.port != 0 && !ports.insert(gateway.port).second) {
        return std::unexpected(where(file, context + "port") + ": used by another gateway");
      }
    }
    if (gateway.protocol != GatewayProtocol::RtuPty && gateway.port == 0 &&
        table->get("port") == nullptr) {
      return std::unexpected(where(file, context + "port") +
                             ": required for TCP gateways (0 for any free port)");
    }
    if (auto ok = readTiming(*table, gateway.line, gateway.turnaround, file, context); !ok) {
      return std::unexpected(ok.error());
    }
    if (auto fault = optionalValue<std::string>(*table, "gateway_fault", file, context); !fault) {
      return std::unexpected(fault.error());
    } else if (*fault) {
      auto parsed = parseFault(**fault);
      if (!parsed) {
        return std::unexpected(where(file, context + "gateway_fault") + ": " + parsed.error());
      }
      gateway.fault = *parsed;
    }
    MeterSpec gatewayDefaults = defaults;
    if (auto ok = readMeterFields(*table, gatewayDefaults, file, context); !ok) {
      return std::unexpected(ok.error());
    }
    auto count = optionalValue<std::int64_t>(*table, "meters", file, context);
    if (!count) {
      return std::unexpected(count.error());
    }
    const std::int64_t meters = count->value_or(0);
    if (meters < 0 || meters > MaxMetersPerGateway) {
      return std::unexpected(where(file, context + "meters") + ": must be 0..247");
    }
    // Units 1..meters from the defaults, then [[gateway.meter]] entries override or add units.
    std::vector<const toml::table*> overrides(MaxUnit + 1, nullptr);
    if (const auto* list = table->get("meter")) {
      const auto* array = list->as_array();
      if (array == nullptr) {
        return std::unexpected(where(file, context + "meter") + ": must be [[gateway.meter]]");
      }
      for (std::size_t m = 0; m < array->size(); ++m) {
        const std::string meterContext = context + "meter[" + std::to_string(m) + "].";
        const auto* meterTable = (*array)[m].as_table();
        if (meterTable == nullptr) {
          return std::unexpected(where(file, meterContext) + ": must be a table");
        }
        if (auto ok = checkKeys(*meterTable, withMeterFields({"unit", "key", "address"}), file,
                                meterContext);
            !ok) {
          return std::unexpected(ok.error());
        }
        auto unit = optionalValue<std::int64_t>(*meterTable, "unit", file, meterContext);
        if (!unit) {
          return std::unexpected(unit.error());
        }
        if (!*unit || **unit < 1 || **unit > MaxUnit) {
          return std::unexpected(where(file, meterContext + "unit") + ": required, 1..247");
        }
        if (overrides[static_cast<std::size_t>(**unit)] != nullptr) {
          return std::unexpected(where(file, meterContext + "unit") + ": duplicate unit " +
                                 std::to_string(**unit));
        }
        overrides[static_cast<std::size_t>(**unit)] = meterTable;
      }
    }
    for (int unit = 1; unit <= MaxUnit; ++unit) {
      const auto* meterTable = overrides[static_cast<std::size_t>(unit)];
      if (unit > meters && meterTable == nullptr) {
        continue;
      }
      MeterSpec meter = makeMeter(fleet, gateway.index, unit, gatewayDefaults.profile);
      meter.initial = gatewayDefaults.initial;
      meter.fault = gatewayDefaults.fault;
      if (gatewayDefaults.peakConfigured) {
        meter.config.peakW = gatewayDefaults.config.peakW;
        meter.peakConfigured = true;
      }
      if (meterTable != nullptr) {
        const std::string meterContext = context + "meter(unit " + std::to_string(unit) + ").";
        if (auto ok = readMeterFields(*meterTable, meter, file, meterContext); !ok) {
          return std::unexpected(ok.error());
        }
        if (auto address = optionalValue<std::string>(*meterTable, "address", file, meterContext);
            !address) {
          return std::unexpected(address.error());
        } else if (*address) {
          if (address->value().size() != 12 ||
              address->value().find_first_not_of("0123456789") != std::string::npos) {
            return std::unexpected(where(file, meterContext + "address") +
                                   ": must be 12 decimal digits");
          }
          meter.address = **address;
          meter.addressConfigured = true;
          meter.key = deriveMeterKey(fleet.masterKey, meter.address);
        }
        if (auto key = optionalValue<std::string>(*meterTable, "key", file, meterContext); !key) {
          return std::unexpected(key.error());
        } else if (*key) {
          auto parsed = parseKey(**key);
          if (!parsed) {
            return std::unexpected(where(file, meterContext + "key") + ": " + parsed.error());
          }
          meter.key = *parsed;
        }
      }
      if (fleet.historyDays > 0) {
        meter.initial.energyMilliJoule = historyEnergy(meter.config.peakW, fleet.historyDays);
      }
      gateway.meters.push_back(std::move(meter));
    }
    if (gateway.meters.empty()) {
      return std::unexpected(where(file, context + "meters") + ": a gateway needs meters");
    }
    fleet.gateways.push_back(std::move(gateway));
  }
  return fleet;
}

}  // namespace prepaid::devices::sim
