#include "prepaid/collect/command_service.hpp"

#include "collect_fixture.hpp"
#include <gtest/gtest.h>

namespace prepaid::backend::collect {
namespace {

using namespace testing;

class CommandServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store = openStore(dir.path() / "site.db");
    gateway = addGateway(*store, "g");
    a = addMeter(*store, gateway.id, 1);
    b = addMeter(*store, gateway.id, 2);
  }
  TempDir dir;
  std::unique_ptr<store::Store> store;
  store::Gateway gateway;
  store::Meter a;
  store::Meter b;
  int notified = 0;
  CommandService service() {
    return CommandService(
        *store, [] { return domain::Instant(std::chrono::seconds(1700000000)); },
        [this] { ++notified; });
  }
};

TEST_F(CommandServiceTest, QueuesOneCommandWithItsPriority) {
  auto commands = service();
  const auto trip = commands.send(a.id, {store::CommandKind::Trip, ""});
  ASSERT_TRUE(trip.has_value()) << trip.error().message;
  EXPECT_EQ(trip->state, store::CommandState::Queued);
  EXPECT_EQ(trip->priority, store::PriorityControl);
  EXPECT_FALSE(trip->batchId.has_value());
  EXPECT_EQ(notified, 1);
}

TEST_F(CommandServiceTest, BatchIsAllOrNothingAndReportsPerMeterResults) {
  auto commands = service();
  const auto batch =
      commands.sendBatch({a.id, b.id}, {store::CommandKind::Price, "unit_micro_yuan=900000"});
  ASSERT_TRUE(batch.has_value()) << batch.error().message;
  EXPECT_FALSE(batch->batchId.empty());
  ASSERT_EQ(batch->commands.size(), 2U);
  const auto status = commands.batchStatus(batch->batchId);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->queued, 2);

  const auto bad = commands.sendBatch({a.id, 999}, {store::CommandKind::Trip, ""}, "b2");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(commands.batchStatus("b2").error().code, CollectErrorCode::NotFound);
}

TEST_F(CommandServiceTest, KeepPowerIsRecordedOnTheMeter) {
  auto commands = service();
  ASSERT_TRUE(commands.send(a.id, {store::CommandKind::KeepPowerOn, ""}).has_value());
  EXPECT_EQ(meterById(*store, a.id).keepPower, store::KeepPower::On);
  ASSERT_TRUE(commands.send(a.id, {store::CommandKind::ResumePrepaid, ""}).has_value());
  EXPECT_EQ(meterById(*store, a.id).keepPower, store::KeepPower::Off);
}

TEST_F(CommandServiceTest, RefusesRechargesAndBadPayloads) {
  auto commands = service();
  EXPECT_EQ(commands.send(a.id, {store::CommandKind::Recharge, "amount_fen=1"}).error().code,
            CollectErrorCode::InvalidArgument);
  EXPECT_EQ(commands.send(a.id, {store::CommandKind::Settings, "alarm9=1"}).error().code,
            CollectErrorCode::InvalidArgument);
  EXPECT_EQ(commands.send(a.id, {store::CommandKind::Trip, "x=1"}).error().code,
            CollectErrorCode::InvalidArgument);
  EXPECT_EQ(commands.sendBatch({}, {store::CommandKind::Trip, ""}).error().code,
            CollectErrorCode::InvalidArgument);
  EXPECT_EQ(notified, 0);
}

TEST(CommandKindTest, ParsesStoredNames) {
  EXPECT_EQ(parseCommandKind("keep_power_on"), store::CommandKind::KeepPowerOn);
  EXPECT_EQ(parseCommandKind("read_now"), store::CommandKind::ReadNow);
  EXPECT_FALSE(parseCommandKind("explode").has_value());
}

}  // namespace
}  // namespace prepaid::backend::collect
