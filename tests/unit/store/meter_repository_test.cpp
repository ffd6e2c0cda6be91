// MeterRepository: configuration round trip, purchase count, flags, lookups.

#include "store_fixture.hpp"

namespace prepaid::store::testing {
namespace {

class MeterRepositoryTest : public StoreTest {};

TEST_F(MeterRepositoryTest, ConfigurationRoundTripsAndUpdateKeepsState) {
  const auto gateway = addGateway("G1");
  auto tariff = tx([&](WriteTransaction& t) { return t.tariffs().addTariff("TOU"); });
  ASSERT_TRUE(tariff);
  Meter m;
  m.serial = "DDSY-0001";
  m.profile = "ddsy1352";
  m.unitAddress = 17;
  m.gatewayId = gateway;
  m.medium = domain::Medium::Water;
  m.billingMode = domain::BillingMode::MeterSide;
  m.tariffId = tariff->id;
  m.alarm1Fen = 3000;
  m.overloadThresholdW = 4400;
  m.tripPolicy = TripPolicy{domain::TripPolicyKind::Delayed, 9 * 60 + 30, NightTrip::Allowed,
                            HolidayTrip::Forbidden};
  m.keepPower = KeepPower::On;
  m.macKeyHex = "00112233445566778899aabbccddeeff0011223344556677";
  m.macAlgorithm = "3des-cbc-mac";
  auto added = tx([&](WriteTransaction& t) { return t.meters().add(m); });
  ASSERT_TRUE(added) << added.error().message;
  EXPECT_EQ(added->status, MeterStatus::NotOpened);
  EXPECT_EQ(added->purchaseCount, 0);

  auto count = tx([&](WriteTransaction& t) { return t.meters().nextPurchaseCount(added->id); });
  ASSERT_TRUE(count);
  EXPECT_EQ(*count, 1);
  EXPECT_EQ(
      tx([&](WriteTransaction& t) { return t.meters().nextPurchaseCount(added->id); }).value(), 2);

  Meter changed = *added;
  changed.unitAddress = 18;
  changed.alarm2Fen = 1000;
  changed.purchaseCount = 0;  // state fields are ignored by update()
  ASSERT_TRUE(tx([&](WriteTransaction& t) { return t.meters().update(changed); }));
  auto loaded = rd([&](const ReadTransaction& t) { return t.meters().meterBySerial("DDSY-0001"); });
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->unitAddress, 18);
  EXPECT_EQ(loaded->alarm2Fen, 1000);
  EXPECT_EQ(loaded->purchaseCount, 2);
  EXPECT_EQ(loaded->medium, domain::Medium::Water);
  EXPECT_EQ(loaded->billingMode, domain::BillingMode::MeterSide);
  EXPECT_EQ(loaded->tariffId, tariff->id);
  EXPECT_EQ(loaded->tripPolicy.kind, domain::TripPolicyKind::Delayed);
  EXPECT_EQ(loaded->tripPolicy.delayedTripMinuteOfDay, 570);
  EXPECT_EQ(loaded->tripPolicy.night, NightTrip::Allowed);
  EXPECT_EQ(loaded->keepPower, KeepPower::On);
  EXPECT_EQ(loaded->macKeyHex, m.macKeyHex);
  EXPECT_EQ(loaded->macAlgorithm, "3des-cbc-mac");
}

TEST_F(MeterRepositoryTest, StateSettersAndLookups) {
  const auto gateway = addGateway("G1");
  const auto a = addMeter("A", gateway, 2);
  const auto b = addMeter("B", gateway, 1);
  const auto at = utc(2024, 3, 1, 12);
  ASSERT_TRUE(tx([&](WriteTransaction& t) {
    return t.meters().setSalesBlock(a, SalesBlock::Blocked, "purchase count mismatch 5/6");
  }));
  ASSERT_TRUE(
      tx([&](WriteTransaction& t) { return t.meters().setStatus(a, MeterStatus::Opened); }));
  ASSERT_TRUE(
      tx([&](WriteTransaction& t) { return t.meters().setLinkState(a, LinkState::Lost, at); }));
  ASSERT_TRUE(tx([&](WriteTransaction& t) {
    return t.meters().setLinkState(a, LinkState::Lost, at + std::chrono::hours(1));
  }));  // no-op: keeps the first change time
  ASSERT_TRUE(tx([&](WriteTransaction& t) { return t.meters().setPurchaseCount(a, 6); }));
  auto loaded = rd([&](const ReadTransaction& t) { return t.meters().meter(a); });
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->salesBlock, SalesBlock::Blocked);
  EXPECT_EQ(loaded->salesBlockReason, "purchase count mismatch 5/6");
  EXPECT_EQ(loaded->status, MeterStatus::Opened);
  EXPECT_EQ(loaded->linkState, LinkState::Lost);
  EXPECT_EQ(loaded->linkChangedAt, at);
  EXPECT_EQ(loaded->purchaseCount, 6);

  ASSERT_TRUE(tx([&](WriteTransaction& t) { return t.meters().setReplacedBy(a, b); }));
  auto onBus = rd([&](const ReadTransaction& t) { return t.meters().metersOnGateway(gateway); });
  ASSERT_TRUE(onBus);
  ASSERT_EQ(onBus->size(), 1U);  // the replaced meter is no longer polled
  EXPECT_EQ((*onBus)[0].id, b);
  EXPECT_EQ(rd([&](const ReadTransaction& t) { return t.meters().meters(); })->size(), 2U);
}

TEST_F(MeterRepositoryTest, BadInputGetsClearErrors) {
  const auto gateway = addGateway("G1");
  addMeter("A", gateway);
  Meter dup;
  dup.serial = "A";
  dup.profile = "p";
  dup.gatewayId = gateway;
  EXPECT_EQ(errorCode(tx([&](WriteTransaction& t) { return t.meters().add(dup); })),
            StoreErrorCode::Duplicate);
  dup.serial = "B";
  dup.unitAddress = 0;
  EXPECT_EQ(errorCode(tx([&](WriteTransaction& t) { return t.meters().add(dup); })),
            StoreErrorCode::InvalidArgument);
  EXPECT_EQ(errorCode(rd([&](const ReadTransaction& t) { return t.meters().meter(999); })),
            StoreErrorCode::NotFound);
  EXPECT_EQ(errorCode(tx([&](WriteTransaction& t) { return t.meters().nextPurchaseCount(999); })),
            StoreErrorCode::NotFound);
  EXPECT_EQ(errorCode(tx([&](WriteTransaction& t) { return t.meters().setPurchaseCount(1, -1); })),
            StoreErrorCode::InvalidArgument);
  EXPECT_EQ(errorCode(tx([&](WriteTransaction& t) { return t.meters().setReplacedBy(1, 1); })),
            StoreErrorCode::InvalidArgument);
}

}  // namespace
}  // namespace prepaid::store::testing
