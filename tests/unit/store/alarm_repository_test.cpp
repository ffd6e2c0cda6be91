// AlarmRepository: one open alarm per subject and kind, clear, notify, history.

#include "store_fixture.hpp"

namespace prepaid::store::testing {
namespace {

class AlarmRepositoryTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    gateway = addGateway("G1");
    meter = addMeter("M1", gateway);
  }
  GatewayId gateway = 0;
  MeterId meter = 0;
};

TEST_F(AlarmRepositoryTest, ALevelCrossingIsRecordedOnce) {
  const auto subject = AlarmSubject::meter(meter);
  auto first = tx([&](WriteTransaction& t) {
    return t.alarms().raise(subject, AlarmKind::Alarm1, utc(2024, 3, 1, 1), "balance 49.00");
  });
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->outcome, RaiseOutcome::Raised);
  auto again = tx([&](WriteTransaction& t) {
    return t.alarms().raise(subject, AlarmKind::Alarm1, utc(2024, 3, 1, 2), "balance 48.00");
  });
  ASSERT_TRUE(again);
  EXPECT_EQ(again->outcome, RaiseOutcome::AlreadyOpen);
  EXPECT_EQ(again->alarm.id, first->alarm.id);
  EXPECT_EQ(again->alarm.raisedAt, utc(2024, 3, 1, 1));
  // The same kind on a gateway is a different alarm.
  auto gatewayAlarm = tx([&](WriteTransaction& t) {
    return t.alarms().raise(AlarmSubject::gateway(gateway), AlarmKind::LostContact,
                            utc(2024, 3, 1, 3), "");
  });
  ASSERT_TRUE(gatewayAlarm);
  EXPECT_EQ(rd([&](const ReadTransaction& t) { return t.alarms().openAlarms(); })->size(), 2U);
  EXPECT_EQ(rd([&](const ReadTransaction& t) { return t.alarms().openAlarmsOf(subject); })->size(),
            1U);

  ASSERT_TRUE(tx([&](WriteTransaction& t) { return t.alarms().markNotified(first->alarm.id); }));
  auto unnotified = rd([&](const ReadTransaction& t) { return t.alarms().unnotified(); });
  ASSERT_TRUE(unnotified);
  ASSERT_EQ(unnotified->size(), 1U);
  EXPECT_EQ((*unnotified)[0].kind, AlarmKind::LostContact);

  auto cleared = tx([&](WriteTransaction& t) {
    return t.alarms().clear(subject, AlarmKind::Alarm1, utc(2024, 3, 1, 4));
  });
  ASSERT_TRUE(cleared && *cleared);
  EXPECT_EQ((*cleared)->clearedAt, utc(2024, 3, 1, 4));
  EXPECT_FALSE(tx([&](WriteTransaction& t) {
                 return t.alarms().clear(subject, AlarmKind::Alarm1, utc(2024, 3, 1, 5));
               })->has_value());
  // After clearing, a new crossing opens a new alarm.
  auto reraised = tx([&](WriteTransaction& t) {
    return t.alarms().raise(subject, AlarmKind::Alarm1, utc(2024, 3, 2), "");
  });
  ASSERT_TRUE(reraised);
  EXPECT_EQ(reraised->outcome, RaiseOutcome::Raised);
  EXPECT_NE(reraised->alarm.id, first->alarm.id);
  auto history = rd([&](const ReadTransaction& t) {
    return t.alarms().history(utc(2024, 3, 1), utc(2024, 4, 1), 100);
  });
  ASSERT_TRUE(history);
  EXPECT_EQ(history->size(), 3U);
  EXPECT_EQ(toString(AlarmKind::PurchaseCountMismatch), "purchase_count_mismatch");
}

TEST_F(AlarmRepositoryTest, SubjectMustBeExactlyOneOfMeterAndGateway) {
  EXPECT_EQ(errorCode(tx([&](WriteTransaction& t) {
              return t.alarms().raise(AlarmSubject{}, AlarmKind::Overload, utc(2024, 3, 1), "");
            })),
            StoreErrorCode::InvalidArgument);
  EXPECT_EQ(errorCode(tx([&](WriteTransaction& t) {
              return t.alarms().raise(AlarmSubject{meter, gateway}, AlarmKind::Overload,
                                      utc(2024, 3, 1), "");
            })),
            StoreErrorCode::InvalidArgument);
  EXPECT_EQ(errorCode(tx([&](WriteTransaction& t) { return t.alarms().markNotified(999); })),
            StoreErrorCode::NotFound);
}

}  // namespace
}  // namespace prepaid::store::testing
