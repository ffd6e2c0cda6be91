// SiteRepository: the site row and the settings defaults.

#include "store_fixture.hpp"

namespace prepaid::store::testing {
namespace {

class SiteRepositoryTest : public StoreTest {};

TEST_F(SiteRepositoryTest, DefaultsAreUtcPlus8AndDocumentedSettings) {
  auto site = rd([](const ReadTransaction& t) { return t.site().site(); });
  ASSERT_TRUE(site);
  EXPECT_EQ(site->timeZone.utcOffset, std::chrono::minutes(480));
  auto settings = rd([](const ReadTransaction& t) { return t.site().settings(); });
  ASSERT_TRUE(settings);
  const Settings defaults;
  EXPECT_EQ(settings->collectionIntervalS, defaults.collectionIntervalS);
  EXPECT_EQ(settings->alarm1Fen, defaults.alarm1Fen);
  EXPECT_EQ(settings->hoardingCapFen, defaults.hoardingCapFen);
  EXPECT_EQ(settings->pinPolicy, PinPolicy::NotRequired);
  EXPECT_FALSE(settings->defaultTariffId.has_value());
}

TEST_F(SiteRepositoryTest, UpdatesPersistAndBadValuesAreRefused) {
  auto tariff = tx([](WriteTransaction& t) { return t.tariffs().addTariff("flat"); });
  ASSERT_TRUE(tariff);
  Settings s;
  s.collectionIntervalS = 5;
  s.alarm1Fen = 8000;
  s.alarm2Fen = 3000;
  s.defaultTariffId = tariff->id;
  s.alarmSmsNumber = "13800138000";
  s.pinPolicy = PinPolicy::Required;
  s.closeAllowedFen = 100;
  ASSERT_TRUE(tx([&](WriteTransaction& t) { return t.site().updateSettings(s); }));
  ASSERT_TRUE(tx([](WriteTransaction& t) {
    return t.site().updateSite(Site{"万达广场", domain::SiteTimeZone{std::chrono::minutes(420)}});
  }));
  reopen();
  auto loaded = rd([](const ReadTransaction& t) { return t.site().settings(); });
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->collectionIntervalS, 5);
  EXPECT_EQ(loaded->defaultTariffId, tariff->id);
  EXPECT_EQ(loaded->alarmSmsNumber, "13800138000");
  EXPECT_EQ(loaded->pinPolicy, PinPolicy::Required);
  EXPECT_EQ(loaded->closeAllowedFen, 100);
  auto site = rd([](const ReadTransaction& t) { return t.site().site(); });
  EXPECT_EQ(site->name, "万达广场");
  EXPECT_EQ(site->timeZone.utcOffset, std::chrono::minutes(420));

  Settings bad = s;
  bad.alarm2Fen = 9000;  // above alarm 1
  EXPECT_EQ(errorCode(tx([&](WriteTransaction& t) { return t.site().updateSettings(bad); })),
            StoreErrorCode::Constraint);
  bad = s;
  bad.collectionIntervalS = 0;
  EXPECT_EQ(errorCode(tx([&](WriteTransaction& t) { return t.site().updateSettings(bad); })),
            StoreErrorCode::Constraint);
  EXPECT_EQ(errorCode(tx([](WriteTransaction& t) {
              return t.site().updateSite(Site{"x", domain::SiteTimeZone{std::chrono::hours(15)}});
            })),
            StoreErrorCode::InvalidArgument);
}

}  // namespace
}  // namespace prepaid::store::testing
