#include "prepaid/viewmodels/task_runner.hpp"

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

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

TEST(ThreadPoolRunner, ExceptionIsDeliveredAsAFailureOnTheUiThread) {
  ThreadPoolRunner runner(1, nullptr);
  std::vector<std::string> reported;
  runner.setErrorReporter([&](const std::string& e) { reported.push_back(e); });
  std::string failure;
  std::thread::id failureThread;
  runner.run([]() -> Continuation { throw std::runtime_error("boom"); },
             [&](const std::string& what) {
               failure = what;
               failureThread = std::this_thread::get_id();
             });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (failure.empty() && std::chrono::steady_clock::now() < deadline) {
    runner.drain();
    std::this_thread::yield();
  }
  EXPECT_EQ(failure, "boom");
  EXPECT_EQ(failureThread, std::this_thread::get_id());
  ASSERT_EQ(reported.size(), 1U);
  EXPECT_NE(reported[0].find("boom"), std::string::npos);
}

TEST(ManualRunner, NonStandardExceptionIsAFailureToo) {
  ManualRunner runner;
  std::string failure;
  runner.run([]() -> Continuation { throw 42; }, [&](const std::string& what) { failure = what; });
  runner.settle();
  EXPECT_EQ(failure, "unknown exception");
}

TEST(ManualRunner, ThrowingContinuationIsReportedAndTheOthersStillRun) {
  ManualRunner runner;
  std::vector<std::string> reported;
  runner.setErrorReporter([&](const std::string& e) { reported.push_back(e); });
  bool second = false;
  runner.run([]() -> Continuation { return [] { throw std::logic_error("bad state"); }; });
  runner.run([&]() -> Continuation { return [&] { second = true; }; });
  runner.runAll();
  EXPECT_EQ(runner.drain(), 2U);
  EXPECT_TRUE(second);
  ASSERT_EQ(reported.size(), 1U);
  EXPECT_NE(reported[0].find("bad state"), std::string::npos);
}

TEST(ThreadPoolRunner, WaitIdleLetsQueuedWorkFinishBeforeShutdown) {
  // Leaving the app queues the last audit post and stops the loop at once: waitIdle gives it
  // its moment, where the destructor alone would drop it from the queue.
  std::atomic<int> done{0};
  {
    ThreadPoolRunner runner(1, nullptr);
    for (int i = 0; i < 3; ++i) {
      runner.run([&]() -> Continuation {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // a slow POST
        ++done;
        return nullptr;
      });
    }
    EXPECT_TRUE(runner.waitIdle(std::chrono::seconds(5)));
    EXPECT_EQ(runner.pending(), 0U);
  }
  EXPECT_EQ(done.load(), 3);
}

TEST(ThreadPoolRunner, WaitIdleIsBounded) {
  std::atomic<bool> release{false};
  ThreadPoolRunner runner(1, nullptr);
  runner.run([&]() -> Continuation {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!release && std::chrono::steady_clock::now() < until) {
      std::this_thread::yield();
    }
    return nullptr;
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(runner.waitIdle(std::chrono::milliseconds(100)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  release = true;
}

}  // namespace
}  // namespace prepaid::kiosk
