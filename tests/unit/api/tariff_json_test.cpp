#include "prepaid/api/tariff_json.hpp"

#include <gtest/gtest.h>

#include "prepaid/domain/tariff_codec.hpp"

namespace prepaid::backend::api {
namespace {

using Json = nlohmann::json;

Json tou() {
  return Json::parse(R"({
    "kind": "tou",
    "prices_micro_yuan": {"peak": 1200000, "flat": 800000, "valley": 400000},
    "seasons": [{"first": "11-01", "last": "10-31",
                 "workday": [{"from": "00:00", "to": "08:00", "rate": "valley"},
                             {"from": "08:00", "to": "24:00", "rate": "peak"}],
                 "holiday": [{"from": "00:00", "to": "24:00", "rate": "flat"}]}],
    "holidays": ["2026-10-01"],
    "workdays": ["2026-09-27"],
    "tiering": {"basis": "yearly", "pricing": "surcharge",
                "tiers": [{"from_centi_kwh": 0, "price_micro_yuan": 0},
                          {"from_centi_kwh": 500000, "price_micro_yuan": 30000}]}
  })");
}

TEST(TariffJsonTest, ReadsEveryPartAndWritesItBack) {
  const auto tariff = parseTariffJson(tou(), "definition");
  ASSERT_TRUE(tariff) << tariff.error().message;
  EXPECT_EQ(tariff->kind, domain::TariffKind::TimeOfUse);
  EXPECT_EQ(tariff->prices[domain::indexOf(domain::Rate::Peak)]->microYuan(), 1200000);
  EXPECT_FALSE(tariff->prices[domain::indexOf(domain::Rate::Sharp)]);
  ASSERT_EQ(tariff->seasons.size(), 1u);
  EXPECT_EQ(tariff->seasons[0].workday.periods[1].endMinute, 1440);
  EXPECT_FALSE(tariff->seasons[0].weekend);
  EXPECT_TRUE(tariff->seasons[0].holiday);
  EXPECT_EQ(tariff->calendar.dayType(std::chrono::year(2026) / 10 / 1), domain::DayType::Holiday);
  EXPECT_EQ(tariff->calendar.dayType(std::chrono::year(2026) / 9 / 27), domain::DayType::Workday);
  EXPECT_EQ(tariff->tiering->basis, domain::TierBasis::Yearly);
  EXPECT_EQ(tariff->tiering->tiers[1].from.centiKwh(), 500000);

  EXPECT_EQ(tariffToJson(*tariff), tou());
  // And through the storage form.
  const auto decoded = domain::decodeTariff(domain::encodeTariff(*tariff));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(tariffToJson(*decoded), tou());

  const Json flat{{"kind", "flat"}, {"prices_micro_yuan", {{"flat", 650000}}}};
  const auto flatTariff = parseTariffJson(flat, "definition");
  ASSERT_TRUE(flatTariff);
  EXPECT_EQ(*flatTariff, domain::Tariff::flat(domain::UnitPrice::fromMicroYuan(650000)));
  EXPECT_EQ(tariffToJson(*flatTariff), flat);
}

TEST(TariffJsonTest, ErrorsNameTheFieldByItsPath) {
  const auto expectField = [](Json value, const std::string& path, ErrorCode code) {
    const auto result = parseTariffJson(value, "definition");
    ASSERT_FALSE(result) << value.dump();
    EXPECT_EQ(result.error().code, code) << result.error().message;
    EXPECT_NE(result.error().message.find("'" + path), std::string::npos) << result.error().message;
  };
  auto value = tou();
  value["seasons"][0]["workday"][1]["from"] = "8:00";
  expectField(value, "definition.seasons[0].workday[1].from", ErrorCode::InvalidField);
  value = tou();
  value["seasons"][0]["workday"][0]["from"] = "24:00";  // an end, never a start
  expectField(value, "definition.seasons[0].workday[0].from", ErrorCode::InvalidField);
  value = tou();
  value["seasons"][0]["workday"][0]["to"] = "12:60";
  expectField(value, "definition.seasons[0].workday[0].to", ErrorCode::InvalidField);
  value = tou();
  value["prices_micro_yuan"]["peak"] = 1.5;
  expectField(value, "definition.prices_micro_yuan.peak", ErrorCode::InvalidField);
  value = tou();
  value["prices_micro_yuan"]["peak"] = 1'000'000'001;
  expectField(value, "definition.prices_micro_yuan.peak", ErrorCode::InvalidField);
  value = tou();
  value["tiering"]["tiers"][1]["price_micro_yuan"] = "30000";
  expectField(value, "definition.tiering.tiers[1].price_micro_yuan", ErrorCode::InvalidField);
  value = tou();
  value["tiering"].erase("tiers");
  expectField(value, "definition.tiering.tiers", ErrorCode::MissingField);
  value = tou();
  value["holidays"][0] = "2026-02-30";
  expectField(value, "definition.holidays[0]", ErrorCode::InvalidField);
  value = tou();
  value["seasons"][0]["last"] = "13-01";
  expectField(value, "definition.seasons[0].last", ErrorCode::InvalidField);
  value = tou();
  value["seasons"][0]["workday"] = Json::object();
  expectField(value, "definition.seasons[0].workday", ErrorCode::InvalidField);
  value = tou();
  value["seasons"][0].erase("workday");
  expectField(value, "definition.seasons[0].workday", ErrorCode::MissingField);
  value = tou();
  value["seasons"] = Json::array();
  for (int i = 0; i < 9; ++i) {
    value["seasons"].push_back(tou()["seasons"][0]);
  }
  expectField(value, "definition.seasons", ErrorCode::InvalidField);
  expectField(Json::array(), "definition", ErrorCode::InvalidField);
  expectField(Json{{"prices_micro_yuan", {{"flat", 1}}}}, "definition.kind",
              ErrorCode::MissingField);
}

TEST(TariffJsonTest, RuleViolationsAreInvalidTariffWithTheRule) {
  const auto expectRule = [](const Json& value, const std::string& rule) {
    const auto result = parseTariffJson(value, "definition");
    ASSERT_FALSE(result) << value.dump();
    EXPECT_EQ(result.error().code, ErrorCode::InvalidTariff) << result.error().message;
    EXPECT_EQ(result.error().details["rule"], rule) << result.error().message;
  };
  auto value = tou();
  value["seasons"][0]["workday"][0]["to"] = "09:00";
  expectRule(value, "overlapping_periods");
  value = tou();
  value["seasons"][0]["workday"][1]["to"] = "23:00";
  expectRule(value, "gapped_periods");
  value = tou();
  value["seasons"][0]["workday"][0]["rate"] = "sharp";
  expectRule(value, "rate_without_price");
  value = tou();
  value["seasons"].push_back(value["seasons"][0]);
  expectRule(value, "overlapping_seasons");
  value = tou();
  value["seasons"][0]["last"] = "09-30";
  expectRule(value, "gapped_seasons");
  value = tou();
  value["tiering"]["tiers"][1]["from_centi_kwh"] = 0;
  expectRule(value, "tiers_not_increasing");
  expectRule(Json{{"kind", "flat"}, {"prices_micro_yuan", {{"peak", 1}}}}, "missing_price");
  value = tou();
  value["seasons"][0]["workday"] = Json::array();
  for (int hour = 0; hour < 15; ++hour) {
    const auto text = [](int h) { return (h < 10 ? "0" : "") + std::to_string(h) + ":00"; };
    value["seasons"][0]["workday"].push_back(
        {{"from", text(hour)}, {"to", hour == 14 ? "24:00" : text(hour + 1)}, {"rate", "peak"}});
  }
  expectRule(value, "too_many_periods");
}

}  // namespace
}  // namespace prepaid::backend::api
