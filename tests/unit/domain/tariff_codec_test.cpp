#include "prepaid/domain/tariff_codec.hpp"

#include "tariff_samples.hpp"
#include <gtest/gtest.h>

namespace prepaid::domain {
namespace {

constexpr std::string_view Minimal = "prepaid-tariff 1\nkind flat\nprice flat 853200\nend\n";

TariffError decodeError(std::string_view text) {
  const auto result = decodeTariff(text);
  EXPECT_FALSE(result.has_value()) << text;
  return result ? TariffError{} : result.error();
}

TEST(TariffCodec, RoundTripsEveryKind) {
  Tariff stepped;
  stepped.tiering = Tiering{TierBasis::Yearly,
                            TierPricing::StepPrice,
                            {{Energy::zero(), UnitPrice::fromMicroYuan(600'000)},
                             {Energy::fromCentiKwh(100), UnitPrice::fromMicroYuan(900'000)}}};
  for (const auto& tariff : {Tariff::flat(UnitPrice::fromMicroYuan(853'200)), samples::touTariff(),
                             samples::touTieredTariff(), stepped}) {
    const auto text = encodeTariff(tariff);
    const auto decoded = decodeTariff(text);
    ASSERT_TRUE(decoded.has_value()) << decoded.error().message << "\n" << text;
    EXPECT_EQ(*decoded, tariff) << text;
    EXPECT_EQ(encodeTariff(*decoded), text);
  }
}

TEST(TariffCodec, CanonicalTextIsStable) {
  EXPECT_EQ(encodeTariff(Tariff::flat(UnitPrice::fromMicroYuan(853'200))), Minimal);
  const auto text = encodeTariff(samples::touTieredTariff());
  EXPECT_NE(text.find("period 1 workday 11:00 13:00 sharp\n"), std::string::npos);
  EXPECT_NE(text.find("period 2 weekend 00:00 24:00 flat\n"), std::string::npos);
  EXPECT_NE(text.find("season 2 10-01 06-30\n"), std::string::npos);
  EXPECT_NE(text.find("holiday 2024-10-01\n"), std::string::npos);
  EXPECT_NE(text.find("workday 2024-09-29\n"), std::string::npos);
  EXPECT_NE(text.find("tiering monthly surcharge\ntier 0 0\ntier 20000 50000\n"),
            std::string::npos);
}

TEST(TariffCodec, EarlyYearsRoundTripWithFourDigits) {
  // Found by fuzz-tariff-codec: year 0875 was written back as "875-10-12" and refused.
  const std::string text =
      "prepaid-tariff 1\nkind flat\nprice flat 853200\nholiday 0875-10-12\nend\n";
  const auto decoded = decodeTariff(text);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
  EXPECT_NE(encodeTariff(*decoded).find("holiday 0875-10-12\n"), std::string::npos);
  const auto again = decodeTariff(encodeTariff(*decoded));
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(*again, *decoded);
}

TEST(TariffCodec, ToleratesCommentsBlankLinesAndCrlf) {
  const auto decoded = decodeTariff(
      "# site default\r\n\r\nprepaid-tariff 1\r\nkind flat   # one price\r\n"
      "price  flat\t853200\r\nend\r\n\r\n# trailing comment\n");
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
  EXPECT_EQ(*decoded, Tariff::flat(UnitPrice::fromMicroYuan(853'200)));
}

TEST(TariffCodec, SyntaxErrorsNameLineAndField) {
  auto error = decodeError("prepaid-tariff 1\nkind tou\nprice noon 5\nend\n");
  EXPECT_EQ(error.code, TariffErrorCode::UnknownRate);
  EXPECT_EQ(error.line, 3U);
  EXPECT_EQ(error.message,
            "line 3, field 'rate': unknown rate 'noon' (expected sharp, peak, flat or valley)");

  error = decodeError("prepaid-tariff 1\nkind flat\nprice flat 1e3\nend\n");
  EXPECT_EQ(error.line, 3U);
  EXPECT_EQ(error.message, "line 3, field 'micro-yuan': '1e3' is not an integer");

  error = decodeError("prepaid-tariff 1\nkind flat\nprice flat -5\nend\n");
  EXPECT_EQ(error.code, TariffErrorCode::NegativePrice);

  error = decodeError(
      "prepaid-tariff 1\nkind tou\nprice flat 1\nseason 1 01-01 12-31\n"
      "period 1 workday 00:00 25:00 flat\nend\n");
  EXPECT_EQ(error.message, "line 5, field 'to': '25:00' is not a time HH:MM in 00:00-24:00");

  error = decodeError("prepaid-tariff 1\nkind flat\nprice flat 1\nbogus 1\nend\n");
  EXPECT_EQ(error.message, "line 4: unknown keyword 'bogus'");

  error = decodeError("prepaid-tariff 1\nkind flat\nprice flat 1\nprice flat 2\nend\n");
  EXPECT_EQ(error.line, 4U);

  error = decodeError("prepaid-tariff 1\nkind flat\nprice flat 1\nholiday 2024-02-30\nend\n");
  EXPECT_EQ(error.message, "line 4, field 'date': '2024-02-30' is not a date YYYY-MM-DD");

  error = decodeError(
      "prepaid-tariff 1\nkind flat\nprice flat 1\ntiering monthly surcharge\ntier 0 0\n"
      "tier 500 1\ntier 500 2\nend\n");
  EXPECT_EQ(error.code, TariffErrorCode::TiersNotIncreasing);
  EXPECT_EQ(error.line, 7U);

  error = decodeError("prepaid-tariff 1\nkind tou\nperiod 1 workday 00:00 24:00 flat\nend\n");
  EXPECT_EQ(error.message,
            "line 3, field 'season': season 1 is not defined by an earlier 'season' line");
}

TEST(TariffCodec, StructuralErrors) {
  EXPECT_EQ(decodeError("").code, TariffErrorCode::UnsupportedFormat);
  EXPECT_EQ(decodeError("prepaid-tariff 2\nend\n").code, TariffErrorCode::UnsupportedFormat);
  EXPECT_EQ(decodeError("kind flat\n").code, TariffErrorCode::UnsupportedFormat);
  const auto truncated = decodeError("prepaid-tariff 1\nkind flat\nprice flat 1\n");
  EXPECT_NE(truncated.message.find("missing 'end'"), std::string::npos);
  EXPECT_NE(decodeError(std::string(Minimal) + "kind flat\n").message.find("after 'end'"),
            std::string::npos);
  EXPECT_NE(decodeError("prepaid-tariff 1\nprice flat 1\nend\n").message.find("missing 'kind'"),
            std::string::npos);
}

TEST(TariffCodec, RuleViolationsAfterParsing) {
  const auto error = decodeError(
      "prepaid-tariff 1\nkind tou\nprice flat 1\nseason 1 01-01 12-31\n"
      "period 1 workday 00:00 12:00 flat\nperiod 1 workday 13:00 24:00 flat\nend\n");
  EXPECT_EQ(error.code, TariffErrorCode::GappedPeriods);
  EXPECT_EQ(error.line, 0U);
  EXPECT_EQ(error.message, "season 1 workday: 12:00-13:00 is not covered by any period");
}

TEST(TariffCodec, GarbageNeverCrashes) {
  // Every proper prefix of a valid text (up to the 'end' line) is refused, never a crash.
  const auto text = encodeTariff(samples::touTieredTariff());
  for (std::size_t length = 0; length + 4 < text.size(); ++length) {
    const auto result = decodeTariff(std::string_view(text).substr(0, length));
    EXPECT_FALSE(result.has_value()) << length;
  }
  // Arbitrary bytes, including NUL and high bytes.
  std::string noise = "prepaid-tariff 1\nkind tou\n";
  for (int i = 0; i < 2000; ++i) {
    noise += static_cast<char>((i * 7919) % 256);
    EXPECT_FALSE(decodeTariff(noise).has_value());
  }
}

}  // namespace
}  // namespace prepaid::domain
