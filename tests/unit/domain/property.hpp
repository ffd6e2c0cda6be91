#pragma once

// Runs a RapidCheck property with a fixed seed (reproducible in CI) and reports a failure, with
// RapidCheck's shrunk counterexample, through GoogleTest.

#include <cstdint>
#include <sstream>
#include <utility>

#include <gtest/gtest.h>
#include <rapidcheck.h>

namespace prepaid::domain::testing {

inline constexpr std::uint64_t PropertySeed = 0x5eed'2024'0a11ULL;

template <typename Testable>
void checkProperty(Testable&& testable, int runs = 300) {
  rc::detail::TestParams params;
  params.seed = PropertySeed;
  params.maxSuccess = runs;
  params.maxSize = 100;
  rc::detail::TestMetadata metadata;
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  metadata.id = std::string(info->test_suite_name()) + "/" + info->name();
  metadata.description = info->name();
  const auto result = rc::detail::checkTestable(std::forward<Testable>(testable), metadata, params);
  if (!result.template is<rc::detail::SuccessResult>()) {
    std::ostringstream message;
    rc::detail::printResultMessage(result, message);
    ADD_FAILURE() << message.str();
  }
}

}  // namespace prepaid::domain::testing
