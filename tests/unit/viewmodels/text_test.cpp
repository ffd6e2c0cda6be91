#include "prepaid/viewmodels/text.hpp"

#include <gtest/gtest.h>

namespace prepaid::kiosk {
namespace {

TEST(Text, MoneyAndEnergyAreExact) {
  EXPECT_EQ(yuanText(12345), "123.45");
  EXPECT_EQ(yuanText(-5), "-0.05");
  EXPECT_EQ(kwhText(100), "1.00");
}

TEST(Text, EveryStatusHasAKeyAndADistinctColour) {
  std::set<std::uint32_t> colours;
  for (auto s :
       {api::MeterStatusCode::Normal, api::MeterStatusCode::Alarm1, api::MeterStatusCode::Alarm2,
        api::MeterStatusCode::Arrears, api::MeterStatusCode::Tripped,
        api::MeterStatusCode::LostContact, api::MeterStatusCode::KeepPower}) {
    EXPECT_TRUE(statusKey(s).starts_with("status."));
    colours.insert(statusColour(s));
  }
  EXPECT_EQ(colours.size(), 7U);
}

TEST(Text, ErrorsAreExplainedInPlainWords) {
  EXPECT_EQ(explain({ClientErrorKind::Timeout, std::nullopt, 0, ""}).key, "error.offline");
  EXPECT_EQ(explain({ClientErrorKind::Protocol, std::nullopt, 503, ""}).key, "error.offline");
  EXPECT_EQ(explain({ClientErrorKind::Api, api::ErrorCode::UnknownShop, 404, ""}).key,
            "identify.unknown_shop");
  EXPECT_EQ(explain({ClientErrorKind::Api, api::ErrorCode::AboveHoardingCap, 409, ""}).key,
            "recharge.error.cap");
  EXPECT_EQ(explain({ClientErrorKind::Api, api::ErrorCode::Internal, 500, ""}).key,
            "error.generic");
}

TEST(Text, LocalTimeDropsSecondsAndOffset) {
  EXPECT_EQ(localTimeText("2024-05-01T08:30:59+08:00"), "2024-05-01 08:30");
  EXPECT_EQ(localTimeText("bad"), "bad");
}

TEST(Text, LanguagesRoundTrip) {
  EXPECT_EQ(parseLanguage(toString(Language::ZhCn)), Language::ZhCn);
  EXPECT_EQ(parseLanguage("en"), Language::En);
  EXPECT_FALSE(parseLanguage("fr"));
}

}  // namespace
}  // namespace prepaid::kiosk
