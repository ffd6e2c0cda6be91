#include "prepaid/viewmodels/task_runner.hpp"

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

namespace prepaid::kiosk {
namespace {

TEST(ThreadPoolRunner, WorkRunsOffTheCallingThreadAndContinuationOnDrain) {
  std::atomic<int> wakes{0};
  ThreadPoolRunner runner(2, [&] { ++wakes; });
  const auto uiThread = std::this_thread::get_id();
  std::thread::id workerThread;
  std::thread::id continuationThread;
  runner.run([&]() -> Continuation {
    workerThread = std::this_thread::get_id();
    return [&] { continuationThread = std::this_thread::get_id(); };
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::size_t applied = 0;
  while (applied == 0 && std::chrono::steady_clock::now() < deadline) {
    applied = runner.drain();
    std::this_thread::yield();
  }
  ASSERT_EQ(applied, 1U);
  EXPECT_NE(workerThread, uiThread);
  EXPECT_EQ(continuationThread, uiThread);
  EXPECT_GE(wakes.load(), 1);
}

TEST(ThreadPoolRunner, ExceptionInWorkDoesNotEscape) {
  ThreadPoolRunner runner(1, nullptr);
  runner.run([]() -> Continuation { throw std::runtime_error("boom"); });
  bool ran = false;
  runner.run([&]() -> Continuation { return [&] { ran = true; }; });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!ran && std::chrono::steady_clock::now() < deadline) {
    runner.drain();
    std::this_thread::yield();
  }
  EXPECT_TRUE(ran);
}

TEST(ManualRunner, NothingRunsUntilAsked) {
  ManualRunner runner;
  int stage = 0;
  runner.run([&]() -> Continuation {
    stage = 1;
    return [&] { stage = 2; };
  });
  EXPECT_EQ(stage, 0);
  runner.runAll();
  EXPECT_EQ(stage, 1);
  runner.drain();
  EXPECT_EQ(stage, 2);
}

}  // namespace
}  // namespace prepaid::kiosk
