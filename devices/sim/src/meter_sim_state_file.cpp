#include "prepaid/sim/meter_sim_state_file.hpp"

#include <fstream>
#include <system_error>

#include <toml++/toml.h>

namespace prepaid::devices::sim {

namespace {

constexpr std::int64_t FormatVersion = 1;
constexpr std::array<std::string_view, SimRateCount> RateNames = {"sharp", "peak", "flat",
                                                                  "valley"};

std::string tripCauseName(TripCause cause) {
  switch (cause) {
    case TripCause::None:
      return "none";
    case TripCause::Arrears:
      return "arrears";
    case TripCause::Remote:
      return "remote";
  }
  return "none";
}

}  // namespace

std::expected<void, std::string> saveState(const std::filesystem::path& file,
                                           const SavedFleet& fleet) {
  toml::table root;
  root.insert("format", FormatVersion);
  root.insert("sim_ms", fleet.simMs);
  toml::array meters;
  for (const auto& saved : fleet.meters) {
    const auto& s = saved.state;
    toml::table meter;
    meter.insert("gateway", saved.gateway);
    meter.insert("unit", saved.unit);
    toml::table energy;
    toml::array prices;
    for (std::size_t i = 0; i < SimRateCount; ++i) {
      energy.insert(RateNames[i], s.energyMilliJoule[i]);
      prices.push_back(s.pricesMicroYuan[i]);
    }
    meter.insert("energy_mj", std::move(energy));
    meter.insert("prices_micro_yuan", std::move(prices));
    meter.insert("balance_micro_yuan", s.balanceMicroYuan);
    meter.insert("cost_remainder", s.costRemainder);
    meter.insert("purchase_count", std::int64_t{s.purchaseCount});
    meter.insert("relay", toString(s.relay));
    meter.insert("trip_cause", tripCauseName(s.tripCause));
    meter.insert("keep_power", s.keepPower);
    meter.insert("alarm1_fen", s.alarm1Fen);
    meter.insert("alarm2_fen", s.alarm2Fen);
    meter.insert("overload_w", s.overloadW);
    meter.insert("sim_ms", s.simMs);
    meter.insert("power_w", s.powerW);
    meters.push_back(std::move(meter));
  }
  root.insert("meter", std::move(meters));

  auto temp = file;
  temp += ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    if (!out) {
      return std::unexpected(temp.string() + ": cannot write");
    }
    out << "# prepaid-meter-sim state; written on exit, read at start\n" << root << '\n';
    out.flush();
    if (!out) {
      return std::unexpected(temp.string() + ": write failed");
    }
  }
  std::error_code error;
  std::filesystem::rename(temp, file, error);
  if (error) {
    return std::unexpected(file.string() + ": " + error.message());
  }
  return {};
}

std::expected<SavedFleet, std::string> loadState(const std::filesystem::path& file) {
  toml::table root;
  try {
    root = toml::parse_file(file.string());
  } catch (const toml::parse_error& error) {
    return std::unexpected(file.string() + ":" + std::to_string(error.source().begin.line) + ": " +
                           std::string(error.description()));
  }
  const auto bad = [&](const std::string& field) {
    return std::unexpected(file.string() + ": " + field + ": missing or wrong type");
  };
  if (root["format"].value<std::int64_t>() != FormatVersion) {
    return std::unexpected(file.string() + ": format: expected " + std::to_string(FormatVersion));
  }
  SavedFleet fleet;
  auto simMs = root["sim_ms"].value<std::int64_t>();
  if (!simMs) {
    return bad("sim_ms");
  }
  fleet.simMs = *simMs;
  const auto* meters = root["meter"].as_array();
  if (meters == nullptr) {
    return fleet;  // an empty fleet is written without [[meter]]
  }
  for (std::size_t m = 0; m < meters->size(); ++m) {
    const std::string context = "meter[" + std::to_string(m) + "].";
    const auto* table = (*meters)[m].as_table();
    if (table == nullptr) {
      return bad(context);
    }
    const auto node = toml::node_view<const toml::node>(static_cast<const toml::node&>(*table));
    SavedMeter saved;
    auto& s = saved.state;
    const auto integer = [&](std::string_view key, std::int64_t& out) {
      auto value = node[key].value<std::int64_t>();
      if (value) {
        out = *value;
      }
      return value.has_value();
    };
    std::int64_t gateway = 0;
    std::int64_t unit = 0;
    std::int64_t count = 0;
    for (auto [key, out] : {std::pair<std::string_view, std::int64_t*>{"gateway", &gateway},
                            {"unit", &unit},
                            {"purchase_count", &count},
                            {"balance_micro_yuan", &s.balanceMicroYuan},
                            {"cost_remainder", &s.costRemainder},
                            {"alarm1_fen", &s.alarm1Fen},
                            {"alarm2_fen", &s.alarm2Fen},
                            {"overload_w", &s.overloadW},
                            {"sim_ms", &s.simMs},
                            {"power_w", &s.powerW}}) {
      if (!integer(key, *out)) {
        return bad(context + std::string(key));
      }
    }
    if (count < 0 || count > 0xFFFF'FFFFLL || unit < 1 || unit > 247 || gateway < 0 ||
        gateway > 1'000'000) {
      return std::unexpected(file.string() + ": " + context + ": value out of range");
    }
    saved.gateway = static_cast<int>(gateway);
    saved.unit = static_cast<int>(unit);
    s.purchaseCount = static_cast<std::uint32_t>(count);
    for (std::size_t i = 0; i < SimRateCount; ++i) {
      auto energy = node["energy_mj"][RateNames[i]].value<std::int64_t>();
      auto price = node["prices_micro_yuan"][i].value<std::int64_t>();
      if (!energy || !price) {
        return bad(context + "energy_mj/prices_micro_yuan");
      }
      s.energyMilliJoule[i] = *energy;
      s.pricesMicroYuan[i] = *price;
    }
    const auto relay = node["relay"].value<std::string>();
    const auto cause = node["trip_cause"].value<std::string>();
    const auto keep = node["keep_power"].value<bool>();
    if (!relay || (*relay != "open" && *relay != "closed")) {
      return bad(context + "relay");
    }
    if (!cause || (*cause != "none" && *cause != "arrears" && *cause != "remote")) {
      return bad(context + "trip_cause");
    }
    if (!keep) {
      return bad(context + "keep_power");
    }
    s.relay = *relay == "open" ? SimRelay::Open : SimRelay::Closed;
    s.tripCause = *cause == "arrears"  ? TripCause::Arrears
                  : *cause == "remote" ? TripCause::Remote
                                       : TripCause::None;
    s.keepPower = *keep;
    fleet.meters.push_back(saved);
  }
  return fleet;
}

}  // namespace prepaid::devices::sim
