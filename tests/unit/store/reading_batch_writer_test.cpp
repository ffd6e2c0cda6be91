// ReadingBatchWriter: group commit every N readings, explicit flush, many producer threads.

#include "prepaid/store/reading_batch_writer.hpp"

#include <thread>

#include "store_fixture.hpp"

namespace prepaid::store::testing {
namespace {

class ReadingBatchWriterTest : public StoreTest {
 protected:
  Reading reading(MeterId meter, int minute, std::int64_t total) {
    Reading r;
    r.meterId = meter;
    r.readAt = utc(2024, 3, 1) + std::chrono::minutes(minute);
    r.energyTotalCentiKwh = total;
    return r;
  }
  std::int64_t stored() { return RawDb(dbPath()).queryInt("SELECT COUNT(*) FROM readings"); }
};

TEST_F(ReadingBatchWriterTest, CommitsEveryBatchSizeReadings) {
  const auto meter = addMeter("M1", addGateway("G1"));
  ReadingBatchWriter writer(*store, 3);
  EXPECT_EQ(writer.add(reading(meter, 0, 0))->written, 0);
  EXPECT_EQ(writer.add(reading(meter, 1, 1))->written, 0);
  EXPECT_EQ(stored(), 0);
  EXPECT_EQ(writer.pending(), 2U);
  auto third = writer.add(reading(meter, 2, 2));
  ASSERT_TRUE(third);
  EXPECT_EQ(third->written, 3);
  EXPECT_EQ(stored(), 3);
  EXPECT_EQ(writer.add(reading(meter, 3, 3))->written, 0);
  auto flushed = writer.flush();
  ASSERT_TRUE(flushed);
  EXPECT_EQ(flushed->written, 1);
  EXPECT_EQ(writer.pending(), 0U);
  EXPECT_EQ(stored(), 4);
}

TEST_F(ReadingBatchWriterTest, FailedBatchStaysQueued) {
  const auto meter = addMeter("M1", addGateway("G1"));
  ReadingBatchWriter writer(*store, 10);
  ASSERT_TRUE(writer.add(reading(meter, 0, 0)));
  ASSERT_TRUE(writer.add(reading(4242, 0, 0)));  // unknown meter
  auto flushed = writer.flush();
  ASSERT_FALSE(flushed);
  EXPECT_EQ(writer.pending(), 2U);
  EXPECT_EQ(stored(), 0);
}

TEST_F(ReadingBatchWriterTest, ManyCollectorThreadsLoseNothing) {
  const auto gateway = addGateway("G1");
  std::vector<MeterId> meters;
  for (int i = 0; i < 4; ++i) {
    meters.push_back(addMeter("M" + std::to_string(i), gateway, i + 1));
  }
  ReadingBatchWriter writer(*store, 16);
  std::vector<std::thread> threads;
  for (const auto meter : meters) {
    threads.emplace_back([&, meter] {
      for (int minute = 0; minute < 50; ++minute) {
        auto added = writer.add(reading(meter, minute, minute * 10));
        EXPECT_TRUE(added);
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  ASSERT_TRUE(writer.flush());
  EXPECT_EQ(stored(), 200);
  RawDb raw(dbPath());
  EXPECT_EQ(
      raw.queryInt("SELECT SUM(energy_total_centi_kwh) FROM rollups WHERE granularity = 'day'"),
      4 * 490);
}

}  // namespace
}  // namespace prepaid::store::testing
