#include "prepaid/sim/meter_sim_fault.hpp"

#include <gtest/gtest.h>

namespace prepaid::devices::sim {
namespace {

TEST(Fault, ParsesKindsWithDefaults) {
  auto late = parseFault("late-reply");
  ASSERT_TRUE(late);
  EXPECT_EQ(late->kind, FaultKind::LateReply);
  EXPECT_EQ(late->arg, 500);
  EXPECT_EQ(late->count, -1);
  auto exception = parseFault("exception");
  ASSERT_TRUE(exception);
  EXPECT_EQ(exception->arg, 4);
  EXPECT_EQ(parseFault("reply-lost-after-recharge")->kind, FaultKind::ReplyLostAfterRecharge);
  EXPECT_EQ(parseFault("gateway-down")->kind, FaultKind::GatewayDown);
  EXPECT_EQ(parseFault("none")->kind, FaultKind::None);
}

TEST(Fault, ParsesArgumentAndCount) {
  auto fault = parseFault("exception:6*2");
  ASSERT_TRUE(fault);
  EXPECT_EQ(fault->kind, FaultKind::Exception);
  EXPECT_EQ(fault->arg, 6);
  EXPECT_EQ(fault->count, 2);
  EXPECT_EQ(toString(*fault), "exception:6*2");
}

TEST(Fault, RejectsBadText) {
  EXPECT_FALSE(parseFault("no-such-fault"));
  EXPECT_FALSE(parseFault("late-reply:abc"));
  EXPECT_FALSE(parseFault("late-reply:-5"));
  EXPECT_FALSE(parseFault("exception:0"));
  EXPECT_FALSE(parseFault("exception:300"));
  EXPECT_FALSE(parseFault("garbage:0"));
  EXPECT_FALSE(parseFault("no-reply*0"));
  EXPECT_FALSE(parseFault("no-reply*x"));
  EXPECT_NE(parseFault("bogus").error().find("no-reply"), std::string::npos);  // lists kinds
}

TEST(Fault, CountedFaultClearsItselfWhenUsedUp) {
  auto fault = *parseFault("no-reply*2");
  EXPECT_TRUE(fault.active());
  fault.consume();
  EXPECT_TRUE(fault.active());
  fault.consume();
  EXPECT_FALSE(fault.active());
  EXPECT_EQ(fault.kind, FaultKind::None);
}

TEST(Fault, UncountedFaultStays) {
  auto fault = *parseFault("crc-error");
  for (int i = 0; i < 10; ++i) {
    fault.consume();
  }
  EXPECT_TRUE(fault.active());
}

}  // namespace
}  // namespace prepaid::devices::sim
