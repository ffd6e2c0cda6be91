// Properties of allocation and money text: parts sum to the whole; yuan strings round-trip.

#include "property.hpp"
#include <gtest/gtest.h>

#include "prepaid/domain/allocation.hpp"
#include "prepaid/domain/money.hpp"

namespace prepaid::domain {
namespace {

using testing::checkProperty;

TEST(AllocationProperty, PartsSumToTheWholeAndStayWithinOneOfTheirShare) {
  checkProperty([] {
    const auto total = *rc::gen::arbitrary<std::int64_t>();
    auto weights = *rc::gen::container<std::vector<std::int64_t>>(
        rc::gen::inRange<std::int64_t>(0, 1'000'000'000));
    weights.push_back(*rc::gen::inRange<std::int64_t>(1, 1'000'000));
    const auto parts = apportion(total, weights);
    RC_ASSERT(parts.has_value());
    __extension__ using Wide = __int128;
    Wide sum = 0;
    Wide weightSum = 0;
    for (const auto weight : weights) {
      weightSum += weight;
    }
    for (std::size_t i = 0; i < weights.size(); ++i) {
      sum += (*parts)[i];
      // |part x W - total x w| < W: the part is its exact share rounded one way or the other.
      const Wide error =
          static_cast<Wide>((*parts)[i]) * weightSum - static_cast<Wide>(total) * weights[i];
      RC_ASSERT((error < 0 ? -error : error) < weightSum);
    }
    RC_ASSERT(sum == static_cast<Wide>(total));
    const bool deterministic = apportion(total, weights) == parts;
    RC_ASSERT(deterministic);
  });
}

TEST(MoneyProperty, YuanTextRoundTrips) {
  checkProperty([] {
    const auto money = Money::fromFen(*rc::gen::arbitrary<std::int64_t>());
    const bool roundTrips = parseYuan(formatYuan(money)) == money;
    RC_ASSERT(roundTrips);
  });
}

TEST(MoneyProperty, CarryMakesPiecewisePostingExact) {
  checkProperty([] {
    const auto amounts = *rc::gen::container<std::vector<std::int64_t>>(
        rc::gen::inRange<std::int64_t>(0, 1'000'000'000'000));
    FenCarry pieces;
    std::int64_t posted = 0;
    std::int64_t total = 0;
    for (const auto nano : amounts) {
      posted += pieces.post(PreciseMoney::fromNanoYuan(nano))->fen();
      total += nano;
    }
    FenCarry whole;
    RC_ASSERT(whole.post(PreciseMoney::fromNanoYuan(total))->fen() == posted);
    RC_ASSERT(whole == pieces);
  });
}

}  // namespace
}  // namespace prepaid::domain
