#include "prepaid/sim/meter_sim_timing.hpp"

#include <gtest/gtest.h>

namespace prepaid::devices::sim {
namespace {

using std::chrono::microseconds;
using std::chrono::nanoseconds;

TEST(BusTiming, EightE1HasElevenBitsPerCharacter) {
  const BusTiming timing(SerialLine{9600, Parity::Even, 8, 1}, microseconds(0));
  EXPECT_EQ(timing.bitsPerChar(), 11);
  EXPECT_EQ(timing.charTime(), nanoseconds(1'145'833));  // 11 / 9600 s
}

TEST(BusTiming, EightN1HasTenAndEightN2ElevenBits) {
  EXPECT_EQ(BusTiming(SerialLine{9600, Parity::None, 8, 1}, microseconds(0)).bitsPerChar(), 10);
  EXPECT_EQ(BusTiming(SerialLine{9600, Parity::None, 8, 2}, microseconds(0)).bitsPerChar(), 11);
}

TEST(BusTiming, T35IsThreeAndAHalfCharactersUpTo19200Baud) {
  const BusTiming timing(SerialLine{9600, Parity::Even, 8, 1}, microseconds(0));
  EXPECT_EQ(timing.t35(), nanoseconds(4'010'416));  // 3.5 * 11 / 9600 s
  const BusTiming at19200(SerialLine{19200, Parity::Even, 8, 1}, microseconds(0));
  EXPECT_EQ(at19200.t35(), nanoseconds(2'005'208));
}

TEST(BusTiming, T35IsFixedAbove19200Baud) {
  const BusTiming timing(SerialLine{38400, Parity::Even, 8, 1}, microseconds(0));
  EXPECT_EQ(timing.t35(), microseconds(1750));
  EXPECT_EQ(BusTiming(SerialLine{115200, Parity::None, 8, 1}, microseconds(0)).t35(),
            microseconds(1750));
}

TEST(BusTiming, ReplyDelayAddsRequestGapTurnaroundAndReply) {
  // Read 2 registers: request 8 chars, reply 9 chars at 9600 8E1, 20 ms turnaround.
  const BusTiming timing(SerialLine{9600, Parity::Even, 8, 1}, microseconds(20'000));
  const auto expected =
      timing.frameTime(8) + timing.t35() + microseconds(20'000) + timing.frameTime(9);
  EXPECT_EQ(timing.replyDelay(8, 9), expected);
  EXPECT_EQ(timing.transactionTime(8, 9), expected + timing.t35());
  // 17 chars * 11 bits / 9600 = 19.479 ms; + 4.01 ms + 20 ms = 43.49 ms.
  const double ms = std::chrono::duration<double, std::milli>(timing.replyDelay(8, 9)).count();
  EXPECT_NEAR(ms, 43.490, 0.001);
}

TEST(BusTiming, FrameTimeHasNoCumulativeRounding) {
  const BusTiming timing(SerialLine{9600, Parity::Even, 8, 1}, microseconds(0));
  EXPECT_EQ(timing.frameTime(9600), std::chrono::seconds(11));
}

TEST(ParseParity, AcceptsLettersAndStopBits) {
  SerialLine line;
  ASSERT_TRUE(parseParity("n2", line));
  EXPECT_EQ(line.parity, Parity::None);
  EXPECT_EQ(line.stopBits, 2);
  ASSERT_TRUE(parseParity("O", line));
  EXPECT_EQ(line.parity, Parity::Odd);
  EXPECT_FALSE(parseParity("X", line));
  EXPECT_FALSE(parseParity("E3", line));
  EXPECT_FALSE(parseParity("", line));
}

}  // namespace
}  // namespace prepaid::devices::sim
