#include "prepaid/collect/reading_pipeline.hpp"

#include "collect_fixture.hpp"
#include <gtest/gtest.h>

namespace prepaid::backend::collect {
namespace {

using namespace testing;

class RecordingSink final : public ReadingSink {
 public:
  void processReadings(const std::vector<store::Reading>& batch) override {
    std::lock_guard lock(m_mutex);
    m_batches.push_back(batch.size());
    m_total += batch.size();
  }
  std::size_t total() {
    std::lock_guard lock(m_mutex);
    return m_total;
  }
  std::vector<std::size_t> batches() {
    std::lock_guard lock(m_mutex);
    return m_batches;
  }

 private:
  std::mutex m_mutex;
  std::vector<std::size_t> m_batches;
  std::size_t m_total = 0;
};

store::Reading reading(store::MeterId meter, std::int64_t second, std::int64_t energy) {
  store::Reading r;
  r.meterId = meter;
  r.readAt = domain::Instant(std::chrono::seconds(1700000000 + second));
  r.energyTotalCentiKwh = energy;
  return r;
}

TEST(ReadingPipelineTest, WritesInBatchesThenHandsThemToTheSink) {
  TempDir dir;
  auto store = openStore(dir.path() / "site.db");
  const auto gateway = addGateway(*store, "g");
  const auto a = addMeter(*store, gateway.id, 1);
  const auto b = addMeter(*store, gateway.id, 2);
  RecordingSink sink;
  ReadingPipeline pipeline(*store, &sink, 4, std::chrono::milliseconds(50));
  pipeline.start();
  for (int i = 0; i < 5; ++i) {
    pipeline.submit(reading(a.id, i, 100 + i));
    pipeline.submit(reading(b.id, i, 200 + i));
  }
  pipeline.drain();
  const auto stats = pipeline.stats();
  EXPECT_EQ(stats.written, 10);
  EXPECT_EQ(sink.total(), 10U);
  EXPECT_LE(stats.batches, 4);  // 10 readings in batches of at most 4
  for (const auto size : sink.batches()) {
    EXPECT_LE(size, 4U);
  }
  std::optional<store::Reading> latest;
  ASSERT_TRUE(
      store
          ->read([&](const store::ReadTransaction& tx) -> std::expected<void, store::StoreError> {
            auto found = tx.readings().latest(b.id);
            if (!found) {
              return std::unexpected(found.error());
            }
            latest = *found;
            return {};
          })
          .has_value());
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->energyTotalCentiKwh, 204);
}

TEST(ReadingPipelineTest, APartialBatchIsFlushedAfterTheDelay) {
  TempDir dir;
  auto store = openStore(dir.path() / "site.db");
  const auto gateway = addGateway(*store, "g");
  const auto a = addMeter(*store, gateway.id, 1);
  RecordingSink sink;
  ReadingPipeline pipeline(*store, &sink, 1000, std::chrono::milliseconds(20));
  pipeline.start();
  pipeline.submit(reading(a.id, 0, 1));
  EXPECT_TRUE(eventually([&] { return sink.total() == 1; }));
}

TEST(ReadingPipelineTest, ReadingsNotNewerThanTheLastOneAreDropped) {
  TempDir dir;
  auto store = openStore(dir.path() / "site.db");
  const auto gateway = addGateway(*store, "g");
  const auto a = addMeter(*store, gateway.id, 1);
  ReadingPipeline pipeline(*store, nullptr, 10, std::chrono::milliseconds(10));
  pipeline.start();
  pipeline.submit(reading(a.id, 5, 1));
  pipeline.submit(reading(a.id, 5, 2));
  pipeline.submit(reading(a.id, 4, 2));
  pipeline.stop();  // flushes
  EXPECT_EQ(pipeline.stats().written, 1);
  EXPECT_EQ(pipeline.stats().stale, 2);
}

TEST(ReadingPipelineTest, SnapshotConversionKeepsUnits) {
  devices::MeterSnapshot snapshot;
  snapshot.totalEnergy = domain::Energy::fromCentiKwh(12345);
  snapshot.rateEnergy[domain::indexOf(domain::Rate::Peak)] = domain::Energy::fromCentiKwh(45);
  snapshot.voltageMilliVolts = 221300;
  snapshot.currentMilliAmps = 4500;
  snapshot.activePowerWatts = 990;
  devices::PrepaidState prepaid;
  prepaid.balance = domain::Money::fromFen(-250);
  prepaid.purchaseCount = 3;
  prepaid.relay = domain::RelayState::Open;
  prepaid.statusBits = 0x14;
  snapshot.prepaid = prepaid;
  const auto converted = toReading(9, domain::Instant(std::chrono::seconds(60)), snapshot);
  EXPECT_EQ(converted.meterId, 9);
  EXPECT_EQ(converted.energyTotalCentiKwh, 12345);
  EXPECT_EQ(converted.energyByRateCentiKwh[domain::indexOf(domain::Rate::Peak)], 45);
  EXPECT_EQ(converted.voltageDeciV, 2213);
  EXPECT_EQ(converted.currentMilliA, 4500);
  EXPECT_EQ(converted.powerW, 990);
  EXPECT_EQ(converted.balanceFen, -250);
  EXPECT_EQ(converted.purchaseCount, 3);
  EXPECT_EQ(converted.relay, domain::RelayState::Open);
  EXPECT_EQ(converted.statusBits, 0x14);
}

}  // namespace
}  // namespace prepaid::backend::collect
