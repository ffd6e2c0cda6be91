#include "prepaid/collect/collection_engine.hpp"

#include <algorithm>

#include "collect_fixture.hpp"
#include "fake_meter.hpp"
#include <gtest/gtest.h>

#include "prepaid/collect/command_service.hpp"

namespace prepaid::backend::collect {
namespace {

using namespace testing;

class CountingSink final : public ReadingSink {
 public:
  void processReadings(const std::vector<store::Reading>& batch) override {
    count.fetch_add(static_cast<std::int64_t>(batch.size()));
  }
  std::atomic<std::int64_t> count{0};
};

class CollectionEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store = openStore(dir.path() / "site.db");
    setInterval(*store, 1, 2);
    options.retryBase = 50ms;
    options.maxBackoff = 400ms;
    options.commandCheck = 20ms;
    options.refresh = 100ms;
    options.commandRetryBase = 50ms;
    options.commandRetryMax = 200ms;
    options.batchDelay = 10ms;
    options.workerStackBytes = 256 * 1024;
  }
  std::unique_ptr<CollectionEngine> engine() {
    return std::make_unique<CollectionEngine>(*store, fleet, &sink, options);
  }

  TempDir dir;
  std::unique_ptr<store::Store> store;
  FakeFleet fleet;
  CountingSink sink;
  CollectOptions options;
};

TEST_F(CollectionEngineTest, PollsEveryMeterOfEveryGatewayAndFeedsTheSink) {
  std::vector<store::Meter> meters;
  for (int g = 0; g < 3; ++g) {
    const auto gateway = addGateway(*store, "g" + std::to_string(g));
    for (int unit = 1; unit <= 4; ++unit) {
      meters.push_back(addMeter(*store, gateway.id, unit));
    }
  }
  auto collection = engine();
  ASSERT_TRUE(collection->start().has_value());
  EXPECT_TRUE(eventually([&] { return sink.count.load() >= 12; }));
  EXPECT_EQ(collection->stats().gateways, 3);
  EXPECT_EQ(fleet.opens(), 3);
  for (const auto& meter : meters) {
    EXPECT_TRUE(eventually([&] {
      return fleet.get<std::int64_t>(meter.gatewayId, meter.unitAddress,
                                     [](auto& s) { return s.reads; }) >= 1;
    }));
  }
  collection->stop();
  EXPECT_GE(collection->stats().readings.written, 12);
}

TEST_F(CollectionEngineTest, PassTimeIsReportedPerGateway) {
  const auto first = addGateway(*store, "g1");
  const auto second = addGateway(*store, "g2");
  for (int unit = 1; unit <= 3; ++unit) {
    addMeter(*store, first.id, unit);
    addMeter(*store, second.id, unit);
  }
  auto collection = engine();
  ASSERT_TRUE(collection->start().has_value());
  // Interval 1 s: at least two passes on each bus within the deadline.
  ASSERT_TRUE(eventually([&] {
    const auto stats = collection->stats();
    return stats.passes.size() == 2 &&
           std::ranges::all_of(stats.passes, [](const auto& pass) { return pass.passes >= 2; });
  }));
  const auto stats = collection->stats();
  for (const auto& pass : stats.passes) {
    EXPECT_TRUE(pass.gatewayName == "g1" || pass.gatewayName == "g2");
    EXPECT_EQ(pass.lastPassMeters, 3);
    EXPECT_GT(pass.lastPass.count(), 0);
    EXPECT_LE(pass.lastPassBusy, pass.lastPass);
    EXPECT_LT(pass.lastPass, std::chrono::seconds(1));  // three fake meters answer at once
  }
  collection->stop();
  EXPECT_TRUE(collection->stats().passes.empty());  // no worker running
}

TEST_F(CollectionEngineTest, LostContactIsRaisedAndClearedForAMeter) {
  const auto gateway = addGateway(*store, "g");
  const auto dead = addMeter(*store, gateway.id, 1);
  addMeter(*store, gateway.id, 2);
  fleet.with(gateway.id, 1, [](auto& s) { s.fault = FakeFault::NoReply; });
  auto collection = engine();
  ASSERT_TRUE(collection->start().has_value());
  ASSERT_TRUE(
      eventually([&] { return meterById(*store, dead.id).linkState == store::LinkState::Lost; }));
  const auto alarms = openAlarmsOf(*store, store::AlarmSubject::meter(dead.id));
  ASSERT_EQ(alarms.size(), 1U);
  EXPECT_EQ(alarms.front().kind, store::AlarmKind::LostContact);
  fleet.with(gateway.id, 1, [](auto& s) { s.fault = FakeFault::None; });
  ASSERT_TRUE(
      eventually([&] { return meterById(*store, dead.id).linkState == store::LinkState::Online; }));
  EXPECT_TRUE(openAlarmsOf(*store, store::AlarmSubject::meter(dead.id)).empty());
  EXPECT_TRUE(openAlarmsOf(*store, store::AlarmSubject::gateway(gateway.id)).empty());
}

TEST_F(CollectionEngineTest, LostContactIsRaisedAndClearedForAGateway) {
  const auto gateway = addGateway(*store, "g");
  addMeter(*store, gateway.id, 1);
  addMeter(*store, gateway.id, 2);
  fleet.with(gateway.id, 1, [](auto& s) { s.fault = FakeFault::ConnectionFailed; });
  fleet.with(gateway.id, 2, [](auto& s) { s.fault = FakeFault::ConnectionFailed; });
  auto collection = engine();
  ASSERT_TRUE(collection->start().has_value());
  const auto gatewayLink = [&] {
    store::LinkState state = store::LinkState::Online;
    EXPECT_TRUE(
        store
            ->read([&](const store::ReadTransaction& tx) -> std::expected<void, store::StoreError> {
              auto row = tx.gateways().gateway(gateway.id);
              if (!row) {
                return std::unexpected(row.error());
              }
              state = row->linkState;
              return {};
            })
            .has_value());
    return state;
  };
  ASSERT_TRUE(eventually([&] { return gatewayLink() == store::LinkState::Lost; }));
  EXPECT_EQ(openAlarmsOf(*store, store::AlarmSubject::gateway(gateway.id)).size(), 1U);
  fleet.with(gateway.id, 1, [](auto& s) { s.fault = FakeFault::None; });
  fleet.with(gateway.id, 2, [](auto& s) { s.fault = FakeFault::None; });
  ASSERT_TRUE(eventually([&] { return gatewayLink() == store::LinkState::Online; }));
  EXPECT_TRUE(openAlarmsOf(*store, store::AlarmSubject::gateway(gateway.id)).empty());
}

TEST_F(CollectionEngineTest, RechargeWithLostReplyIsCreditedExactlyOnce) {
  const auto gateway = addGateway(*store, "g");
  const auto meter = addMeter(*store, gateway.id, 1);
  fleet.with(gateway.id, 1, [](auto& s) {
    s.fault = FakeFault::NoReplyAfterRecharge;  // applied, then silent for a while
  });
  auto collection = engine();
  ASSERT_TRUE(collection->start().has_value());
  const auto now = systemNow();
  const auto command = sellDirect(*store, meter.id, 500, "order-1", now);
  collection->commandsQueued();
  ASSERT_TRUE(eventually([&] {
    return commandById(*store, command.id).state == store::CommandState::OutcomeUnknown;
  }));
  fleet.with(gateway.id, 1, [](auto& s) { s.fault = FakeFault::None; });
  ASSERT_TRUE(eventually(
      [&] { return commandById(*store, command.id).state == store::CommandState::Done; }));
  EXPECT_EQ(fleet.get<std::int64_t>(gateway.id, 1, [](auto& s) { return s.recharges; }), 1);
  EXPECT_EQ(fleet.get<std::int64_t>(gateway.id, 1, [](auto& s) { return s.balanceFen; }), 10500);
}

TEST_F(CollectionEngineTest, RechargesOfOneMeterArriveInOrderAndPreemptPolls) {
  setInterval(*store, 3600, 2);
  const auto gateway = addGateway(*store, "g");
  const auto meter = addMeter(*store, gateway.id, 1);
  std::vector<store::Command> commands;
  const auto now = systemNow();
  for (int i = 0; i < 5; ++i) {
    commands.push_back(sellDirect(*store, meter.id, 100 + i, "o" + std::to_string(i), now));
  }
  auto collection = engine();
  ASSERT_TRUE(collection->start().has_value());
  ASSERT_TRUE(eventually(
      [&] { return commandById(*store, commands.back().id).state == store::CommandState::Done; }));
  EXPECT_EQ(fleet.get<std::uint32_t>(gateway.id, 1, [](auto& s) { return s.purchaseCount; }), 5U);
  EXPECT_EQ(fleet.get<std::int64_t>(gateway.id, 1, [](auto& s) { return s.balanceFen; }),
            10000 + 100 + 101 + 102 + 103 + 104);
  // The recharges were claimed before the first poll of the meter (commands preempt polls).
  EXPECT_LE(fleet.get<std::int64_t>(gateway.id, 1, [](auto& s) { return s.reads; }), 1);
}

TEST_F(CollectionEngineTest, CommandLeftSendingIsResolvedByReadingTheMeterFirst) {
  const auto gateway = addGateway(*store, "g");
  const auto meter = addMeter(*store, gateway.id, 1);
  const auto now = systemNow();
  const auto command = sellDirect(*store, meter.id, 700, "crashed", now);
  // A previous run claimed it (durably `sending`), the meter applied it, and the process died.
  write(*store, [&](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
    auto claimed = tx.commands().claimNext(gateway.id, now);
    if (!claimed) {
      return std::unexpected(claimed.error());
    }
    return {};
  });
  ASSERT_EQ(commandById(*store, command.id).state, store::CommandState::Sending);
  fleet.with(gateway.id, 1, [](auto& s) {
    s.purchaseCount = 1;
    s.balanceFen += 700;
  });
  auto collection = engine();
  ASSERT_TRUE(collection->start().has_value());
  ASSERT_TRUE(eventually(
      [&] { return commandById(*store, command.id).state == store::CommandState::Done; }));
  EXPECT_EQ(fleet.get<std::int64_t>(gateway.id, 1, [](auto& s) { return s.recharges; }), 0);
  EXPECT_EQ(fleet.get<std::int64_t>(gateway.id, 1, [](auto& s) { return s.balanceFen; }), 10700);
  EXPECT_GE(collection->stats().commandsResolved, 1);
}

TEST_F(CollectionEngineTest, MismatchBlocksSalesAndRaisesTheAlarm) {
  const auto gateway = addGateway(*store, "g");
  const auto meter = addMeter(*store, gateway.id, 1);
  fleet.with(gateway.id, 1, [](auto& s) { s.purchaseCount = 7; });
  auto collection = engine();
  ASSERT_TRUE(collection->start().has_value());
  const auto command = sellDirect(*store, meter.id, 700, "mm", systemNow());
  collection->commandsQueued();
  ASSERT_TRUE(eventually(
      [&] { return meterById(*store, meter.id).salesBlock == store::SalesBlock::Blocked; }));
  const auto alarms = openAlarmsOf(*store, store::AlarmSubject::meter(meter.id));
  ASSERT_FALSE(alarms.empty());
  EXPECT_EQ(alarms.front().kind, store::AlarmKind::PurchaseCountMismatch);
  const auto pending = commandById(*store, command.id);
  EXPECT_EQ(pending.state, store::CommandState::Queued);  // still pending and visible
  EXPECT_NE(pending.lastError.find("purchase"), std::string::npos);
  EXPECT_EQ(fleet.get<std::int64_t>(gateway.id, 1, [](auto& s) { return s.recharges; }), 0);
}

TEST_F(CollectionEngineTest, ReadNowAndBatchCommandsReachTheirMeters) {
  setInterval(*store, 3600, 2);
  const auto gateway = addGateway(*store, "g");
  const auto a = addMeter(*store, gateway.id, 1);
  const auto b = addMeter(*store, gateway.id, 2);
  auto collection = engine();
  ASSERT_TRUE(collection->start().has_value());
  ASSERT_TRUE(eventually([&] { return sink.count.load() >= 2; }));
  const auto before = fleet.get<std::int64_t>(gateway.id, 1, [](auto& s) { return s.reads; });
  ASSERT_EQ(collection->readNow(ReadScope::meter(a.id)).value_or(0), 1U);
  EXPECT_TRUE(eventually([&] {
    return fleet.get<std::int64_t>(gateway.id, 1, [](auto& s) { return s.reads; }) > before;
  }));
  EXPECT_EQ(collection->readNow(ReadScope::meter(999)).error().code, CollectErrorCode::NotFound);

  CommandService commands(*store, systemNow, [&] { collection->commandsQueued(); });
  const auto batch = commands.sendBatch({a.id, b.id}, {store::CommandKind::Trip, ""});
  ASSERT_TRUE(batch.has_value());
  ASSERT_TRUE(eventually([&] { return commands.batchStatus(batch->batchId)->done == 2; }));
  EXPECT_EQ(fleet.get<domain::RelayState>(gateway.id, 2, [](auto& s) { return s.relay; }),
            domain::RelayState::Open);
}

TEST_F(CollectionEngineTest, ReadNowOfABuildingCoversOnlyItsMeters) {
  setInterval(*store, 3600, 2);
  const auto gateway = addGateway(*store, "g");
  const auto inside = addMeter(*store, gateway.id, 1);
  const auto outside = addMeter(*store, gateway.id, 2);
  store::BuildingId building = 0;
  write(*store, [&](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
    auto added = tx.buildings().addBuilding("A");
    if (!added) {
      return std::unexpected(added.error());
    }
    building = added->id;
    auto floor = tx.buildings().addFloor(building, "1F", 1);
    if (!floor) {
      return std::unexpected(floor.error());
    }
    store::Shop shop;
    shop.floorId = floor->id;
    shop.number = "A101";
    auto addedShop = tx.buildings().addShop(shop);
    if (!addedShop) {
      return std::unexpected(addedShop.error());
    }
    auto meter = tx.meters().meter(inside.id);
    if (!meter) {
      return std::unexpected(meter.error());
    }
    meter->shopId = addedShop->id;
    return tx.meters().update(*meter);
  });
  auto collection = engine();
  ASSERT_TRUE(collection->start().has_value());
  ASSERT_TRUE(eventually([&] { return sink.count.load() >= 2; }));
  const auto reads = [&](const store::Meter& meter) {
    return fleet.get<std::int64_t>(gateway.id, meter.unitAddress, [](auto& s) { return s.reads; });
  };
  const auto insideBefore = reads(inside);
  const auto outsideBefore = reads(outside);
  ASSERT_EQ(collection->readNow(ReadScope::building(building)).value_or(0), 1U);
  EXPECT_TRUE(eventually([&] { return reads(inside) > insideBefore; }));
  EXPECT_EQ(reads(outside), outsideBefore);
  EXPECT_EQ(collection->readNow(ReadScope::all()).value_or(0), 1U);  // one gateway
  EXPECT_TRUE(eventually([&] { return reads(outside) > outsideBefore; }));
}

TEST_F(CollectionEngineTest, StopJoinsAndCanBeRepeated) {
  for (int g = 0; g < 4; ++g) {
    const auto gateway = addGateway(*store, "g" + std::to_string(g));
    addMeter(*store, gateway.id, 1);
  }
  auto collection = engine();
  ASSERT_TRUE(collection->start().has_value());
  collection->stop();
  collection->stop();
  EXPECT_EQ(collection->stats().gateways, 0);
  EXPECT_EQ(collection->readNow(ReadScope::all()).error().code, CollectErrorCode::NotRunning);
}

}  // namespace
}  // namespace prepaid::backend::collect
