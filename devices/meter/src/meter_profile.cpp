#include "prepaid/meter/meter_profile.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <sstream>
#include <utility>

#include <toml++/toml.h>

namespace prepaid::devices {

namespace {

constexpr std::array<std::string_view, PointIdCount> PointNames = {
    "total_energy",  "sharp_energy", "peak_energy",       "flat_energy",       "valley_energy",
    "voltage",       "current",      "active_power",      "power_factor",      "voltage_b",
    "voltage_c",     "current_b",    "current_c",         "balance",           "purchase_count",
    "relay_state",   "keep_power",   "alarm_threshold_1", "alarm_threshold_2", "overload_threshold",
    "price_sharp",   "price_peak",   "price_flat",        "price_valley",      "status",
    "command_result"};

enum class Dimension { Energy, Voltage, Current, Power, PowerFactor, Money, Price, Integer };

Dimension dimensionOf(PointId id) {
  switch (id) {
    case PointId::TotalEnergy:
    case PointId::SharpEnergy:
    case PointId::PeakEnergy:
    case PointId::FlatEnergy:
    case PointId::ValleyEnergy:
      return Dimension::Energy;
    case PointId::Voltage:
    case PointId::VoltageB:
    case PointId::VoltageC:
      return Dimension::Voltage;
    case PointId::Current:
    case PointId::CurrentB:
    case PointId::CurrentC:
      return Dimension::Current;
    case PointId::ActivePower:
    case PointId::OverloadThreshold:
      return Dimension::Power;
    case PointId::PowerFactor:
      return Dimension::PowerFactor;
    case PointId::Balance:
    case PointId::AlarmThreshold1:
    case PointId::AlarmThreshold2:
      return Dimension::Money;
    case PointId::PriceSharp:
    case PointId::PricePeak:
    case PointId::PriceFlat:
    case PointId::PriceValley:
      return Dimension::Price;
    case PointId::PurchaseCount:
    case PointId::RelayState:
    case PointId::KeepPower:
    case PointId::StatusBits:
    case PointId::CommandResult:
      return Dimension::Integer;
  }
  return Dimension::Integer;
}

std::vector<Unit> unitsOf(Dimension dimension) {
  switch (dimension) {
    case Dimension::Energy:
      return {Unit::KiloWattHour, Unit::WattHour};
    case Dimension::Voltage:
      return {Unit::Volt};
    case Dimension::Current:
      return {Unit::Ampere};
    case Dimension::Power:
      return {Unit::KiloWatt, Unit::Watt};
    case Dimension::Money:
      return {Unit::Yuan, Unit::Fen};
    case Dimension::Price:
      return {Unit::YuanPerKiloWattHour};
    case Dimension::PowerFactor:
    case Dimension::Integer:
      return {Unit::One};
  }
  return {};
}

constexpr std::array<Unit, 10> AllUnits = {
    Unit::KiloWattHour, Unit::WattHour, Unit::Volt,
    Unit::Ampere,       Unit::KiloWatt, Unit::Watt,
    Unit::Yuan,         Unit::Fen,      Unit::YuanPerKiloWattHour,
    Unit::One};

class Loader {
 public:
  Loader(std::string_view sourceName, std::string_view model)
      : m_file(sourceName), m_model(model) {}

  std::expected<MeterProfile, ProfileError> load(std::string_view text) {
    toml::table root;
    try {
      root = toml::parse(text, m_file);
    } catch (const toml::parse_error& error) {
      std::ostringstream where;
      where << "line " << error.source().begin.line << ", column " << error.source().begin.column;
      return fail(ProfileErrorKind::ParseError, where.str(), std::string(error.description()));
    }
    MeterProfile profile;
    profile.model = m_model;
    WordOrder defaultOrder = WordOrder::HighFirst;
    for (auto&& [key, node] : root) {
      const std::string_view name = key.str();
      if (name != "description" && name != "max_read_registers" && name != "read_gap_max" &&
          name != "word_order" && name != "points" && name != "prepaid") {
        return fail(ProfileErrorKind::UnknownKey, std::string(name), "unknown key");
      }
    }
    if (auto description = optionalString(root, "description", "description")) {
      if (!*description) {
        return std::unexpected(m_error);
      }
      profile.description = **description;
    }
    if (!readInt(root, "max_read_registers", "max_read_registers", 1, 125,
                 profile.maxReadRegisters)) {
      return std::unexpected(m_error);
    }
    if (!readInt(root, "read_gap_max", "read_gap_max", 0, 16, profile.readGapMax)) {
      return std::unexpected(m_error);
    }
    if (!readWordOrder(root, "word_order", "word_order", defaultOrder)) {
      return std::unexpected(m_error);
    }
    const toml::table* points = root["points"].as_table();
    if (points == nullptr) {
      return fail(
          root.contains("points") ? ProfileErrorKind::BadType : ProfileErrorKind::MissingField,
          "points", "a [points] table is required");
    }
    for (auto&& [key, node] : *points) {
      const std::string field = "points." + std::string(key.str());
      const auto id = parsePointId(key.str());
      if (!id) {
        return fail(ProfileErrorKind::UnknownPoint, field,
                    "unknown point '" + std::string(key.str()) + "'");
      }
      const toml::table* table = node.as_table();
      if (table == nullptr) {
        return fail(ProfileErrorKind::BadType, field, "must be a table");
      }
      auto point = readPoint(*id, *table, field, defaultOrder);
      if (!point) {
        return std::unexpected(m_error);
      }
      profile.points.push_back(*point);
    }
    std::sort(profile.points.begin(), profile.points.end(), [](const auto& a, const auto& b) {
      return std::pair(a.function, a.address) < std::pair(b.function, b.address);
    });
    if (!checkPointOverlaps(profile.points)) {
      return std::unexpected(m_error);
    }
    if (root.contains("prepaid")) {
      const toml::table* prepaid = root["prepaid"].as_table();
      if (prepaid == nullptr) {
        return fail(ProfileErrorKind::BadType, "prepaid", "must be a table");
      }
      auto block = readPrepaid(*prepaid, profile);
      if (!block) {
        return std::unexpected(m_error);
      }
      profile.prepaid = *block;
    }
    return profile;
  }

 private:
  std::unexpected<ProfileError> fail(ProfileErrorKind kind, std::string field,
                                     std::string message) {
    m_error = ProfileError{kind, m_file, std::move(field), std::move(message)};
    return std::unexpected(m_error);
  }

  // Outer optional: key absent. Inner: present, nullopt on a type error (m_error set).
  std::optional<std::optional<std::string>> optionalString(const toml::table& table,
                                                           std::string_view key,
                                                           const std::string& field) {
    const toml::node* node = table.get(key);
    if (node == nullptr) {
      return std::nullopt;
    }
    if (const auto* value = node->as_string()) {
      return std::optional<std::string>(value->get());
    }
    (void)fail(ProfileErrorKind::BadType, field, "must be a string");
    return std::optional<std::optional<std::string>>(std::optional<std::string>());
  }

  template <typename T>
  bool readInt(const toml::table& table, std::string_view key, const std::string& field,
               std::int64_t min, std::int64_t max, T& out) {
    const toml::node* node = table.get(key);
    if (node == nullptr) {
      return true;
    }
    const auto* value = node->as_integer();
    if (value == nullptr) {
      (void)fail(ProfileErrorKind::BadType, field, "must be an integer");
      return false;
    }
    const std::int64_t v = value->get();
    if (v < min || v > max) {
      (void)fail(ProfileErrorKind::BadValue, field,
                 "must be in " + std::to_string(min) + " .. " + std::to_string(max) + ", got " +
                     std::to_string(v));
      return false;
    }
    out = static_cast<T>(v);
    return true;
  }

  bool requireInt(const toml::table& table, std::string_view key, const std::string& field,
                  std::int64_t min, std::int64_t max, std::uint16_t& out) {
    if (!table.contains(key)) {
      (void)fail(ProfileErrorKind::MissingField, field, "is required");
      return false;
    }
    return readInt(table, key, field, min, max, out);
  }

  bool readWordOrder(const toml::table& table, std::string_view key, const std::string& field,
                     WordOrder& out) {
    auto text = optionalString(table, key, field);
    if (!text) {
      return true;
    }
    if (!*text) {
      return false;
    }
    if (**text == "high-first") {
      out = WordOrder::HighFirst;
    } else if (**text == "low-first") {
      out = WordOrder::LowFirst;
    } else {
      (void)fail(ProfileErrorKind::BadValue, field,
                 "must be \"high-first\" or \"low-first\", got \"" + **text + "\"");
      return false;
    }
    return true;
  }

  std::optional<PointSpec> readPoint(PointId id, const toml::table& table, const std::string& field,
                                     WordOrder defaultOrder) {
    for (auto&& [key, node] : table) {
      const std::string_view name = key.str();
      if (name != "function" && name != "address" && name != "type" && name != "word_order" &&
          name != "scale" && name != "unit") {
        (void)fail(ProfileErrorKind::UnknownKey, field + "." + std::string(name), "unknown key");
        return std::nullopt;
      }
    }
    PointSpec point;
    point.id = id;
    point.wordOrder = defaultOrder;
    std::uint8_t function = ReadHoldingRegisters;
    if (!readInt(table, "function", field + ".function", 0, 255, function)) {
      return std::nullopt;
    }
    if (function != ReadHoldingRegisters && function != ReadInputRegisters) {
      (void)fail(ProfileErrorKind::BadValue, field + ".function",
                 "must be 0x03 (holding) or 0x04 (input registers)");
      return std::nullopt;
    }
    point.function = function;
    if (!requireInt(table, "address", field + ".address", 0, 0xFFFF, point.address)) {
      return std::nullopt;
    }
    const toml::node* typeNode = table.get("type");
    if (typeNode == nullptr) {
      (void)fail(ProfileErrorKind::MissingField, field + ".type", "is required");
      return std::nullopt;
    }
    const auto* typeText = typeNode->as_string();
    const std::string typeName = typeText != nullptr ? typeText->get() : std::string("?");
    bool typeOk = false;
    for (const auto type :
         {ValueType::U16, ValueType::U32, ValueType::I16, ValueType::I32, ValueType::Float32}) {
      if (toString(type) == typeName) {
        point.type = type;
        typeOk = true;
      }
    }
    if (!typeOk) {
      (void)fail(ProfileErrorKind::BadType, field + ".type",
                 "must be one of u16, u32, i16, i32, float32; got \"" + typeName + "\"");
      return std::nullopt;
    }
    if (std::uint32_t{point.address} + point.registerCount() > 0x10000U) {
      (void)fail(ProfileErrorKind::BadValue, field + ".address", "value runs past 0xFFFF");
      return std::nullopt;
    }
    if (!readWordOrder(table, "word_order", field + ".word_order", point.wordOrder)) {
      return std::nullopt;
    }
    if (const toml::node* scale = table.get("scale")) {
      double value = 0;
      if (const auto* asFloat = scale->as_floating_point()) {
        value = asFloat->get();
      } else if (const auto* asInt = scale->as_integer()) {
        value = static_cast<double>(asInt->get());
      } else {
        (void)fail(ProfileErrorKind::BadType, field + ".scale", "must be a number");
        return std::nullopt;
      }
      // Scales are exact powers of ten so that conversions stay integer arithmetic.
      bool found = false;
      for (int e = -6; e <= 6; ++e) {
        const double candidate = std::pow(10.0, e);
        if (std::fabs(value - candidate) <= candidate * 1e-9) {
          point.scaleExponent = e;
          found = true;
        }
      }
      if (!found) {
        (void)fail(ProfileErrorKind::BadValue, field + ".scale",
                   "must be a power of ten between 1e-6 and 1e6");
        return std::nullopt;
      }
    }
    const Dimension dimension = dimensionOf(id);
    const auto allowed = unitsOf(dimension);
    point.unit = allowed.front();
    auto unitText = optionalString(table, "unit", field + ".unit");
    if (unitText) {
      if (!*unitText) {
        return std::nullopt;
      }
      const auto match = std::find_if(AllUnits.begin(), AllUnits.end(),
                                      [&](Unit u) { return toString(u) == **unitText; });
      if (match == AllUnits.end() ||
          std::find(allowed.begin(), allowed.end(), *match) == allowed.end()) {
        std::string list;
        for (const auto u : allowed) {
          list += (list.empty() ? "" : ", ") + std::string(toString(u));
        }
        (void)fail(ProfileErrorKind::BadValue, field + ".unit",
                   "\"" + **unitText + "\" is not a unit of this point (expected " + list + ")");
        return std::nullopt;
      }
      point.unit = *match;
    } else if (dimension != Dimension::Integer && dimension != Dimension::PowerFactor) {
      (void)fail(ProfileErrorKind::MissingField, field + ".unit", "is required for this point");
      return std::nullopt;
    }
    if (dimension == Dimension::Integer &&
        (point.scaleExponent != 0 || point.type == ValueType::Float32)) {
      (void)fail(ProfileErrorKind::BadValue, field,
                 "counts, states and bit sets must be integer types with scale 1");
      return std::nullopt;
    }
    return point;
  }

  bool checkPointOverlaps(const std::vector<PointSpec>& points) {
    for (std::size_t i = 1; i < points.size(); ++i) {
      const auto& a = points[i - 1];
      const auto& b = points[i];
      if (a.function == b.function && a.address + a.registerCount() > b.address) {
        (void)fail(ProfileErrorKind::OverlappingRegisters, "points." + std::string(toString(b.id)),
                   "registers overlap points." + std::string(toString(a.id)));
        return false;
      }
    }
    return true;
  }

  std::optional<CommandBlock> readCommandBlock(
      const toml::table& prepaid, std::string_view key, std::uint16_t registers,
      const MeterProfile& profile,
      const std::vector<std::pair<std::string, std::pair<int, int>>>& taken) {
    const std::string field = "prepaid." + std::string(key);
    const toml::table* table = prepaid[key].as_table();
    if (table == nullptr) {
      (void)fail(prepaid.contains(key) ? ProfileErrorKind::BadType : ProfileErrorKind::MissingField,
                 field, "a table with function and address is required");
      return std::nullopt;
    }
    for (auto&& [k, node] : *table) {
      if (k.str() != "function" && k.str() != "address") {
        (void)fail(ProfileErrorKind::UnknownKey, field + "." + std::string(k.str()), "unknown key");
        return std::nullopt;
      }
    }
    CommandBlock block;
    if (!readInt(*table, "function", field + ".function", 0, 255, block.function)) {
      return std::nullopt;
    }
    if (block.function != WriteMultipleRegisters) {
      (void)fail(ProfileErrorKind::BadValue, field + ".function",
                 "command blocks are written with function 0x10");
      return std::nullopt;
    }
    if (!requireInt(*table, "address", field + ".address", 0, 0x10000 - registers, block.address)) {
      return std::nullopt;
    }
    const int begin = block.address;
    const int end = begin + registers;
    for (const auto& point : profile.points) {
      if (point.function == ReadHoldingRegisters && point.address < end &&
          point.address + point.registerCount() > begin) {
        (void)fail(ProfileErrorKind::OverlappingRegisters, field + ".address",
                   "block overlaps points." + std::string(toString(point.id)));
        return std::nullopt;
      }
    }
    for (const auto& [name, range] : taken) {
      if (range.first < end && range.second > begin) {
        (void)fail(ProfileErrorKind::OverlappingRegisters, field + ".address",
                   "block overlaps " + name);
        return std::nullopt;
      }
    }
    return block;
  }

  std::optional<PointWrite> readPointWrite(const toml::table& prepaid, std::string_view key,
                                           const std::vector<PointId>& expected,
                                           const MeterProfile& profile) {
    const std::string field = "prepaid." + std::string(key);
    const toml::table* table = prepaid[key].as_table();
    if (table == nullptr) {
      (void)fail(prepaid.contains(key) ? ProfileErrorKind::BadType : ProfileErrorKind::MissingField,
                 field, "a table with function and points is required");
      return std::nullopt;
    }
    for (auto&& [k, node] : *table) {
      if (k.str() != "function" && k.str() != "points") {
        (void)fail(ProfileErrorKind::UnknownKey, field + "." + std::string(k.str()), "unknown key");
        return std::nullopt;
      }
    }
    PointWrite write;
    if (!readInt(*table, "function", field + ".function", 0, 255, write.function)) {
      return std::nullopt;
    }
    if (write.function != WriteMultipleRegisters) {
      (void)fail(ProfileErrorKind::BadValue, field + ".function", "point writes use function 0x10");
      return std::nullopt;
    }
    const toml::array* names = (*table)["points"].as_array();
    if (names == nullptr) {
      (void)fail(ProfileErrorKind::MissingField, field + ".points", "a list of points is required");
      return std::nullopt;
    }
    for (std::size_t i = 0; i < names->size(); ++i) {
      const std::string itemField = field + ".points[" + std::to_string(i) + "]";
      const toml::node* item = names->get(i);
      const auto* name = item != nullptr ? item->as_string() : nullptr;
      if (name == nullptr) {
        (void)fail(ProfileErrorKind::BadType, itemField, "must be a string");
        return std::nullopt;
      }
      const auto id = parsePointId(name->get());
      if (!id || std::find(expected.begin(), expected.end(), *id) == expected.end()) {
        (void)fail(ProfileErrorKind::UnknownPoint, itemField,
                   "\"" + name->get() + "\" is not a point of this block");
        return std::nullopt;
      }
      const PointSpec* point = profile.find(*id);
      if (point == nullptr) {
        (void)fail(ProfileErrorKind::UnknownPoint, itemField,
                   "\"" + name->get() + "\" is not mapped in [points]");
        return std::nullopt;
      }
      if (point->function != ReadHoldingRegisters) {
        (void)fail(ProfileErrorKind::BadValue, itemField,
                   "written points must be holding registers (function 0x03)");
        return std::nullopt;
      }
      if (!write.points.empty()) {
        const PointSpec* previous = profile.find(write.points.back());
        if (previous->address + previous->registerCount() != point->address) {
          (void)fail(ProfileErrorKind::BadValue, itemField,
                     "points of one write must be contiguous registers in list order");
          return std::nullopt;
        }
      }
      write.points.push_back(*id);
    }
    if (write.points.size() != expected.size()) {
      (void)fail(ProfileErrorKind::MissingField, field + ".points",
                 "must list all " + std::to_string(expected.size()) + " points of the block");
      return std::nullopt;
    }
    return write;
  }

  std::optional<PrepaidBlock> readPrepaid(const toml::table& prepaid, const MeterProfile& profile) {
    for (auto&& [key, node] : prepaid) {
      const std::string_view name = key.str();
      if (name != "mac" && name != "reject_exception" && name != "recharge" && name != "control" &&
          name != "prices" && name != "thresholds") {
        (void)fail(ProfileErrorKind::UnknownKey, "prepaid." + std::string(name), "unknown key");
        return std::nullopt;
      }
    }
    PrepaidBlock block;
    if (auto mac = optionalString(prepaid, "mac", "prepaid.mac")) {
      if (!*mac) {
        return std::nullopt;
      }
      const auto algorithm = parseMacAlgorithm(**mac);
      if (!algorithm) {
        (void)fail(ProfileErrorKind::BadValue, "prepaid.mac",
                   "must be \"aes-cmac\" or \"3des-retail\"");
        return std::nullopt;
      }
      block.mac = *algorithm;
    }
    if (!readInt(prepaid, "reject_exception", "prepaid.reject_exception", 1, 0x7F,
                 block.rejectException)) {
      return std::nullopt;
    }
    for (const auto required : {PointId::PurchaseCount, PointId::CommandResult}) {
      if (profile.find(required) == nullptr) {
        (void)fail(ProfileErrorKind::MissingField, "points." + std::string(toString(required)),
                   "is required when the profile has a [prepaid] block");
        return std::nullopt;
      }
    }
    std::vector<std::pair<std::string, std::pair<int, int>>> taken;
    auto recharge = readCommandBlock(prepaid, "recharge", RechargeBlockRegisters, profile, taken);
    if (!recharge) {
      return std::nullopt;
    }
    block.recharge = *recharge;
    taken.emplace_back("prepaid.recharge", std::pair(int{recharge->address},
                                                     recharge->address + RechargeBlockRegisters));
    auto control = readCommandBlock(prepaid, "control", ControlBlockRegisters, profile, taken);
    if (!control) {
      return std::nullopt;
    }
    block.control = *control;
    auto prices = readPointWrite(
        prepaid, "prices",
        {PointId::PriceSharp, PointId::PricePeak, PointId::PriceFlat, PointId::PriceValley},
        profile);
    if (!prices) {
      return std::nullopt;
    }
    block.prices = *prices;
    auto thresholds = readPointWrite(
        prepaid, "thresholds",
        {PointId::AlarmThreshold1, PointId::AlarmThreshold2, PointId::OverloadThreshold}, profile);
    if (!thresholds) {
      return std::nullopt;
    }
    block.thresholds = *thresholds;
    return block;
  }

  std::string m_file;
  std::string m_model;
  ProfileError m_error;
};

}  // namespace

std::uint16_t PointSpec::registerCount() const {
  return (type == ValueType::U16 || type == ValueType::I16) ? 1 : 2;
}

const PointSpec* MeterProfile::find(PointId id) const {
  const auto it =
      std::find_if(points.begin(), points.end(), [id](const auto& p) { return p.id == id; });
  return it == points.end() ? nullptr : &*it;
}

std::string ProfileError::describe() const {
  return file + ": " + field + ": " + message;
}

std::expected<MeterProfile, ProfileError> parseMeterProfile(std::string_view text,
                                                            std::string_view sourceName,
                                                            std::string_view model) {
  Loader loader(sourceName, model);
  return loader.load(text);
}

std::expected<MeterProfile, ProfileError> loadMeterProfile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return std::unexpected(
        ProfileError{ProfileErrorKind::FileNotFound, file.string(), "", "cannot open the file"});
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parseMeterProfile(text.str(), file.string(), file.stem().string());
}

std::expected<MeterProfile, ProfileError> loadMeterProfileByName(const std::filesystem::path& dir,
                                                                 std::string_view model) {
  const bool plain = !model.empty() && model.find('/') == std::string_view::npos &&
                     model.find('\\') == std::string_view::npos && model != "." && model != "..";
  if (!plain) {
    return std::unexpected(ProfileError{ProfileErrorKind::FileNotFound, std::string(model), "",
                                        "a profile name must be a plain model name"});
  }
  return loadMeterProfile(dir / (std::string(model) + ".toml"));
}

std::string_view toString(PointId id) {
  return PointNames[static_cast<std::size_t>(id)];
}

std::optional<PointId> parsePointId(std::string_view name) {
  for (std::size_t i = 0; i < PointNames.size(); ++i) {
    if (PointNames[i] == name) {
      return static_cast<PointId>(i);
    }
  }
  return std::nullopt;
}

std::string_view toString(ValueType type) {
  switch (type) {
    case ValueType::U16:
      return "u16";
    case ValueType::U32:
      return "u32";
    case ValueType::I16:
      return "i16";
    case ValueType::I32:
      return "i32";
    case ValueType::Float32:
      return "float32";
  }
  return "?";
}

std::string_view toString(Unit unit) {
  switch (unit) {
    case Unit::KiloWattHour:
      return "kWh";
    case Unit::WattHour:
      return "Wh";
    case Unit::Volt:
      return "V";
    case Unit::Ampere:
      return "A";
    case Unit::KiloWatt:
      return "kW";
    case Unit::Watt:
      return "W";
    case Unit::Yuan:
      return "yuan";
    case Unit::Fen:
      return "fen";
    case Unit::YuanPerKiloWattHour:
      return "yuan/kWh";
    case Unit::One:
      return "1";
  }
  return "?";
}

std::string_view toString(ProfileErrorKind kind) {
  switch (kind) {
    case ProfileErrorKind::FileNotFound:
      return "file_not_found";
    case ProfileErrorKind::ParseError:
      return "parse_error";
    case ProfileErrorKind::MissingField:
      return "missing_field";
    case ProfileErrorKind::UnknownPoint:
      return "unknown_point";
    case ProfileErrorKind::UnknownKey:
      return "unknown_key";
    case ProfileErrorKind::BadType:
      return "bad_type";
    case ProfileErrorKind::BadValue:
      return "bad_value";
    case ProfileErrorKind::OverlappingRegisters:
      return "overlapping_registers";
  }
  return "?";
}

int unitExponent(Unit unit) {
  switch (unit) {
    case Unit::KiloWattHour:
      return 2;  // -> 0.01 kWh
    case Unit::WattHour:
      return -1;
    case Unit::Volt:
    case Unit::Ampere:
    case Unit::KiloWatt:
      return 3;  // -> mV, mA, W
    case Unit::Watt:
    case Unit::Fen:
    case Unit::One:
      return 0;
    case Unit::Yuan:
      return 2;  // -> fen
    case Unit::YuanPerKiloWattHour:
      return 6;  // -> micro-yuan
  }
  return 0;
}

int pointBaseExponent(const PointSpec& point) {
  return point.scaleExponent + unitExponent(point.unit) +
         (point.id == PointId::PowerFactor ? 3 : 0);
}

}  // namespace prepaid::devices
