// TariffRepository: effective-dated versions, lookups across a price change.

#include "store_fixture.hpp"

namespace prepaid::store::testing {
namespace {

class TariffRepositoryTest : public StoreTest {};

TEST_F(TariffRepositoryTest, VersionInForceAndVersionsAcrossAnInterval) {
  auto tariff = tx([](WriteTransaction& t) { return t.tariffs().addTariff("commercial"); });
  ASSERT_TRUE(tariff);
  const auto id = tariff->id;
  for (const auto& [from, text] : {std::pair{utc(2024, 1, 1), std::string("flat 0.80")},
                                   std::pair{utc(2024, 3, 1, 4), std::string("flat 0.85")},
                                   std::pair{utc(2024, 6, 1), std::string("flat 0.90")}}) {
    ASSERT_TRUE(tx([&](WriteTransaction& t) {
      return t.tariffs().addVersion(TariffVersion{0, id, from, text, utc(2023, 12, 1)});
    }));
  }
  EXPECT_FALSE(rd([&](const ReadTransaction& t) {
                 return t.tariffs().versionAt(id, utc(2023, 12, 31));
               })->has_value());
  auto atChange =
      rd([&](const ReadTransaction& t) { return t.tariffs().versionAt(id, utc(2024, 3, 1, 4)); });
  ASSERT_TRUE(atChange && *atChange);
  EXPECT_EQ((*atChange)->definition, "flat 0.85");
  // An interval that straddles the March change needs both versions.
  auto straddling = rd([&](const ReadTransaction& t) {
    return t.tariffs().versionsBetween(id, utc(2024, 3, 1, 3, 30), utc(2024, 3, 1, 4, 30));
  });
  ASSERT_TRUE(straddling);
  ASSERT_EQ(straddling->size(), 2U);
  EXPECT_EQ((*straddling)[0].definition, "flat 0.80");
  EXPECT_EQ((*straddling)[1].effectiveFrom, utc(2024, 3, 1, 4));
  EXPECT_EQ(errorCode(tx([&](WriteTransaction& t) {
              return t.tariffs().addVersion(
                  TariffVersion{0, id, utc(2024, 6, 1), "dup", utc(2024, 1, 1)});
            })),
            StoreErrorCode::Duplicate);
  EXPECT_EQ(
      errorCode(tx([&](WriteTransaction& t) {
        return t.tariffs().addVersion(TariffVersion{0, id, utc(2025, 1, 1), "", utc(2024, 1, 1)});
      })),
      StoreErrorCode::InvalidArgument);
  EXPECT_EQ(rd([](const ReadTransaction& t) { return t.tariffs().tariffs(); })->size(), 1U);
  EXPECT_EQ(errorCode(rd([](const ReadTransaction& t) { return t.tariffs().tariff(77); })),
            StoreErrorCode::NotFound);
}

}  // namespace
}  // namespace prepaid::store::testing
