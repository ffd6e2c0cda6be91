#include "prepaid/meter/meter_profile.hpp"

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace prepaid::devices {
namespace {

const std::filesystem::path ProfileDir =
    std::filesystem::path(PREPAID_SOURCE_DIR) / "assets/meters";

constexpr std::string_view MinimalPoint = R"(
[points.total_energy]
address = 0
type = "u32"
scale = 0.01
unit = "kWh"
)";

ProfileError parseError(const std::string& text) {
  const auto result = parseMeterProfile(text, "test.toml", "test");
  EXPECT_FALSE(result.has_value()) << "expected an error for:\n" << text;
  return result ? ProfileError{} : result.error();
}

TEST(MeterProfileTest, ShippedSinglePhaseProfileLoads) {
  const auto profile = loadMeterProfileByName(ProfileDir, "single-phase-prepaid");
  ASSERT_TRUE(profile.has_value()) << profile.error().describe();
  EXPECT_EQ(profile->model, "single-phase-prepaid");
  const PointSpec* total = profile->find(PointId::TotalEnergy);
  ASSERT_NE(total, nullptr);
  EXPECT_EQ(total->address, 0x0000);
  EXPECT_EQ(total->type, ValueType::U32);
  EXPECT_EQ(total->wordOrder, WordOrder::HighFirst);
  EXPECT_EQ(pointBaseExponent(*total), 0);  // 0.01 kWh raw == centi-kWh
  const PointSpec* voltage = profile->find(PointId::Voltage);
  ASSERT_NE(voltage, nullptr);
  EXPECT_EQ(voltage->address, 0x000B);
  EXPECT_EQ(pointBaseExponent(*voltage), 2);  // 0.1 V -> mV
  const PointSpec* power = profile->find(PointId::ActivePower);
  ASSERT_NE(power, nullptr);
  EXPECT_EQ(power->type, ValueType::I16);
  EXPECT_EQ(pointBaseExponent(*power), 0);  // 0.001 kW == 1 W
  const PointSpec* pf = profile->find(PointId::PowerFactor);
  ASSERT_NE(pf, nullptr);
  EXPECT_EQ(pf->address, 0x0010);
  EXPECT_EQ(pointBaseExponent(*pf), 0);  // 0.001 -> thousandths
  const PointSpec* price = profile->find(PointId::PriceFlat);
  ASSERT_NE(price, nullptr);
  EXPECT_EQ(pointBaseExponent(*price), 2);  // 0.0001 yuan -> micro-yuan x100
  ASSERT_TRUE(profile->prepaid.has_value());
  EXPECT_EQ(profile->prepaid->mac, MacAlgorithm::AesCmac);
  EXPECT_EQ(profile->prepaid->recharge.address, 0x0200);
  EXPECT_EQ(profile->prepaid->control.address, 0x0210);
  EXPECT_EQ(profile->prepaid->prices.points.size(), 4U);
  EXPECT_EQ(profile->prepaid->thresholds.points.size(), 3U);
  EXPECT_EQ(profile->prepaid->rejectException, 0x07);
}

TEST(MeterProfileTest, ShippedThreePhaseAndEnergyMeterLoad) {
  const auto three = loadMeterProfileByName(ProfileDir, "three-phase-prepaid");
  ASSERT_TRUE(three.has_value()) << three.error().describe();
  EXPECT_NE(three->find(PointId::VoltageC), nullptr);
  EXPECT_TRUE(three->prepaid.has_value());
  const auto energy = loadMeterProfileByName(ProfileDir, "energy-meter");
  ASSERT_TRUE(energy.has_value()) << energy.error().describe();
  EXPECT_FALSE(energy->prepaid.has_value());
  EXPECT_EQ(energy->find(PointId::Balance), nullptr);
  EXPECT_NE(energy->find(PointId::PowerFactor), nullptr);
}

TEST(MeterProfileTest, MissingFileNamesTheFile) {
  const auto result = loadMeterProfileByName(ProfileDir, "no-such-model");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, ProfileErrorKind::FileNotFound);
  EXPECT_NE(result.error().file.find("no-such-model.toml"), std::string::npos);
  EXPECT_EQ(loadMeterProfileByName(ProfileDir, "../meters/energy-meter").error().kind,
            ProfileErrorKind::FileNotFound);
}

TEST(MeterProfileTest, TomlSyntaxError) {
  const auto error = parseError("points = [[[");
  EXPECT_EQ(error.kind, ProfileErrorKind::ParseError);
  EXPECT_EQ(error.file, "test.toml");
  EXPECT_NE(error.field.find("line"), std::string::npos);
}

TEST(MeterProfileTest, UnknownPoint) {
  const auto error = parseError(std::string(MinimalPoint) + R"(
[points.frequency]
address = 20
type = "u16"
)");
  EXPECT_EQ(error.kind, ProfileErrorKind::UnknownPoint);
  EXPECT_EQ(error.field, "points.frequency");
  EXPECT_EQ(error.describe(), "test.toml: points.frequency: unknown point 'frequency'");
}

TEST(MeterProfileTest, OverlappingRegisters) {
  const auto error = parseError(std::string(MinimalPoint) + R"(
[points.voltage]
address = 1
type = "u16"
scale = 0.1
unit = "V"
)");
  EXPECT_EQ(error.kind, ProfileErrorKind::OverlappingRegisters);
  EXPECT_EQ(error.field, "points.voltage");
  EXPECT_NE(error.message.find("total_energy"), std::string::npos);
}

TEST(MeterProfileTest, SameAddressInOtherFunctionSpaceIsNoOverlap) {
  const auto result = parseMeterProfile(std::string(MinimalPoint) + R"(
[points.voltage]
function = 0x04
address = 1
type = "u16"
scale = 0.1
unit = "V"
)",
                                        "t.toml", "t");
  EXPECT_TRUE(result.has_value()) << result.error().describe();
}

TEST(MeterProfileTest, BadType) {
  const auto error = parseError(R"(
[points.voltage]
address = 1
type = "u24"
unit = "V"
)");
  EXPECT_EQ(error.kind, ProfileErrorKind::BadType);
  EXPECT_EQ(error.field, "points.voltage.type");
  const auto notString = parseError(R"(
[points.voltage]
address = "one"
type = "u16"
unit = "V"
)");
  EXPECT_EQ(notString.kind, ProfileErrorKind::BadType);
  EXPECT_EQ(notString.field, "points.voltage.address");
}

TEST(MeterProfileTest, BadValues) {
  struct Case {
    std::string text;
    std::string field;
  };
  const Case cases[] = {
      {"[points.voltage]\nfunction = 6\naddress = 1\ntype = \"u16\"\nunit = \"V\"\n",
       "points.voltage.function"},
      {"[points.voltage]\naddress = 70000\ntype = \"u16\"\nunit = \"V\"\n",
       "points.voltage.address"},
      {"[points.voltage]\naddress = 0xFFFF\ntype = \"u32\"\nunit = \"V\"\n",
       "points.voltage.address"},
      {"[points.voltage]\naddress = 1\ntype = \"u16\"\nscale = 0.5\nunit = \"V\"\n",
       "points.voltage.scale"},
      {"[points.voltage]\naddress = 1\ntype = \"u16\"\nunit = \"kWh\"\n", "points.voltage.unit"},
      {"[points.voltage]\naddress = 1\ntype = \"u16\"\nunit = \"V\"\nword_order = \"middle\"\n",
       "points.voltage.word_order"},
      {"[points.purchase_count]\naddress = 1\ntype = \"float32\"\n", "points.purchase_count"},
      {"max_read_registers = 500\n[points.voltage]\naddress = 1\ntype = \"u16\"\nunit = \"V\"\n",
       "max_read_registers"},
  };
  for (const auto& c : cases) {
    const auto error = parseError(c.text);
    EXPECT_EQ(error.kind, ProfileErrorKind::BadValue) << c.text << error.describe();
    EXPECT_EQ(error.field, c.field) << c.text;
  }
}

TEST(MeterProfileTest, MissingFieldsAndUnknownKeys) {
  EXPECT_EQ(parseError("description = \"x\"\n").kind, ProfileErrorKind::MissingField);
  const auto noAddress = parseError("[points.voltage]\ntype = \"u16\"\nunit = \"V\"\n");
  EXPECT_EQ(noAddress.kind, ProfileErrorKind::MissingField);
  EXPECT_EQ(noAddress.field, "points.voltage.address");
  const auto noUnit = parseError("[points.voltage]\naddress = 1\ntype = \"u16\"\n");
  EXPECT_EQ(noUnit.kind, ProfileErrorKind::MissingField);
  EXPECT_EQ(noUnit.field, "points.voltage.unit");
  const auto typo = parseError("[points.voltage]\nadress = 1\ntype = \"u16\"\nunit = \"V\"\n");
  EXPECT_EQ(typo.kind, ProfileErrorKind::UnknownKey);
  EXPECT_EQ(typo.field, "points.voltage.adress");
  EXPECT_EQ(parseError("colour = 1\n" + std::string(MinimalPoint)).field, "colour");
}

std::string prepaidProfile(std::string_view extraPrepaid,
                           std::string_view rechargeAddress = "0x0200") {
  return std::string(MinimalPoint) + R"(
[points.purchase_count]
address = 0x0102
type = "u32"
[points.command_result]
address = 0x0107
type = "u16"
[points.alarm_threshold_1]
address = 0x0108
type = "u32"
scale = 0.01
unit = "yuan"
[points.alarm_threshold_2]
address = 0x010A
type = "u32"
scale = 0.01
unit = "yuan"
[points.overload_threshold]
address = 0x010C
type = "u32"
unit = "W"
[points.price_sharp]
address = 0x010E
type = "u32"
scale = 0.0001
unit = "yuan/kWh"
[points.price_peak]
address = 0x0110
type = "u32"
scale = 0.0001
unit = "yuan/kWh"
[points.price_flat]
address = 0x0112
type = "u32"
scale = 0.0001
unit = "yuan/kWh"
[points.price_valley]
address = 0x0114
type = "u32"
scale = 0.0001
unit = "yuan/kWh"
[prepaid]
)" + std::string(extraPrepaid) +
         R"(
[prepaid.recharge]
function = 0x10
address = )" +
         std::string(rechargeAddress) +
         R"(
[prepaid.control]
function = 0x10
address = 0x0210
[prepaid.prices]
points = ["price_sharp", "price_peak", "price_flat", "price_valley"]
[prepaid.thresholds]
points = ["alarm_threshold_1", "alarm_threshold_2", "overload_threshold"]
)";
}

TEST(MeterProfileTest, PrepaidBlockValidation) {
  const auto good = parseMeterProfile(prepaidProfile("mac = \"3des-retail\""), "p.toml", "p");
  ASSERT_TRUE(good.has_value()) << good.error().describe();
  EXPECT_EQ(good->prepaid->mac, MacAlgorithm::TripleDesRetail);

  const auto badMac = parseError(prepaidProfile("mac = \"des\""));
  EXPECT_EQ(badMac.kind, ProfileErrorKind::BadValue);
  EXPECT_EQ(badMac.field, "prepaid.mac");

  const auto overlapPoint = parseError(prepaidProfile("", "0x0100"));
  EXPECT_EQ(overlapPoint.kind, ProfileErrorKind::OverlappingRegisters);
  EXPECT_EQ(overlapPoint.field, "prepaid.recharge.address");

  const auto overlapBlock = parseError(prepaidProfile("", "0x0208"));
  EXPECT_EQ(overlapBlock.kind, ProfileErrorKind::OverlappingRegisters);
  EXPECT_EQ(overlapBlock.field, "prepaid.control.address");

  const auto unknownKey = parseError(prepaidProfile("pin = 1"));
  EXPECT_EQ(unknownKey.kind, ProfileErrorKind::UnknownKey);
  EXPECT_EQ(unknownKey.field, "prepaid.pin");
}

TEST(MeterProfileTest, PointWritesMustBeCompleteAndContiguous) {
  auto text = prepaidProfile("");
  text.replace(text.find("\"price_peak\", \"price_flat\""), 26, "\"price_flat\", \"price_peak\"");
  const auto swapped = parseError(text);
  EXPECT_EQ(swapped.kind, ProfileErrorKind::BadValue);
  EXPECT_EQ(swapped.field, "prepaid.prices.points[1]");

  text = prepaidProfile("");
  text.replace(text.find("\"alarm_threshold_2\""), 19, "\"voltage\"");
  const auto foreign = parseError(text);
  EXPECT_EQ(foreign.kind, ProfileErrorKind::UnknownPoint);
  EXPECT_EQ(foreign.field, "prepaid.thresholds.points[1]");
}

TEST(MeterProfileTest, PrepaidNeedsPurchaseCount) {
  auto text = prepaidProfile("");
  text.replace(text.find("[points.purchase_count]"), 23, "[points.balance]");
  text.replace(text.find("type = \"u32\"\n[points.command_result]"), 12,
               "type = \"i32\"\nunit = \"fen\"");
  const auto error = parseError(text);
  EXPECT_EQ(error.kind, ProfileErrorKind::MissingField);
  EXPECT_EQ(error.field, "points.purchase_count");
}

}  // namespace
}  // namespace prepaid::devices
