#include "prepaid/collect/command_payload.hpp"

#include <gtest/gtest.h>

namespace prepaid::backend::collect {
namespace {

TEST(CommandPayloadTest, RoundTripsPrices) {
  PricePayload prices;
  prices.microYuan = {1200000, 1000000, 800000, 400000};
  const auto text = formatPricePayload(prices);
  EXPECT_EQ(text, "flat=800000;peak=1000000;sharp=1200000;valley=400000");
  const auto parsed = parsePricePayload(text);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->microYuan, prices.microYuan);
}

TEST(CommandPayloadTest, UnitPriceFillsRatesNotGivenExplicitly) {
  const auto parsed = parsePricePayload("unit_micro_yuan=900000; peak = 1100000");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->microYuan[domain::indexOf(domain::Rate::Peak)], 1100000);
  EXPECT_EQ(parsed->microYuan[domain::indexOf(domain::Rate::Valley)], 900000);
}

TEST(CommandPayloadTest, EmptyMeansConfiguredValues) {
  const auto prices = parsePricePayload("");
  ASSERT_TRUE(prices.has_value());
  for (const auto& price : prices->microYuan) {
    EXPECT_FALSE(price.has_value());
  }
  const auto settings = parseSettingsPayload("");
  ASSERT_TRUE(settings.has_value());
  EXPECT_FALSE(settings->alarm1Fen.has_value());
}

TEST(CommandPayloadTest, SettingsRoundTrip) {
  SettingsPayload settings;
  settings.alarm1Fen = 5000;
  settings.overloadW = 8000;
  const auto parsed = parseSettingsPayload(formatSettingsPayload(settings));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->alarm1Fen, 5000);
  EXPECT_FALSE(parsed->alarm2Fen.has_value());
  EXPECT_EQ(parsed->overloadW, 8000);
}

TEST(CommandPayloadTest, RechargeAmountForms) {
  EXPECT_EQ(parseRechargePayload("amount_fen=100").value(), 100);
  EXPECT_EQ(parseRechargePayload("250").value(), 250);
  EXPECT_FALSE(parseRechargePayload("").value().has_value());
  EXPECT_FALSE(parseRechargePayload("amount_fen=abc").has_value());
}

TEST(CommandPayloadTest, BadInputIsAClearError) {
  EXPECT_NE(parsePricePayload("cheap=1").error().find("unknown price key"), std::string::npos);
  EXPECT_NE(parsePricePayload("peak").error().find("key=value"), std::string::npos);
  EXPECT_NE(parsePricePayload("peak=-1").error().find("negative"), std::string::npos);
  EXPECT_NE(parsePricePayload("peak=1;peak=2").error().find("twice"), std::string::npos);
  EXPECT_NE(parseSettingsPayload("alarm3_fen=1").error().find("unknown settings key"),
            std::string::npos);
  EXPECT_NE(parsePayload("=5").error().find("empty key"), std::string::npos);
  EXPECT_NE(parsePayload("a=99999999999999999999").error().find("not an integer"),
            std::string::npos);
}

}  // namespace
}  // namespace prepaid::backend::collect
