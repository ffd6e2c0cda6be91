#include "prepaid/scanner/keycode_decoder.hpp"

#include <gtest/gtest.h>
#include <linux/input-event-codes.h>

namespace prepaid::devices {
namespace {

std::optional<std::string> press(KeycodeDecoder& d, std::uint16_t code) {
  auto a = d.feed({EV_KEY, code, 1});
  auto b = d.feed({EV_KEY, code, 0});
  EXPECT_FALSE(b);
  return a;
}

TEST(KeycodeDecoder, DigitsThenEnterGiveACode) {
  KeycodeDecoder d;
  for (auto code : {KEY_1, KEY_3, KEY_4, KEY_KP5}) {
    EXPECT_FALSE(press(d, static_cast<std::uint16_t>(code)));
  }
  EXPECT_EQ(press(d, KEY_ENTER), "1345");
}

TEST(KeycodeDecoder, ShiftMakesUpperCaseAndSymbols) {
  KeycodeDecoder d;
  (void)d.feed({EV_KEY, KEY_LEFTSHIFT, 1});
  (void)press(d, KEY_A);
  (void)press(d, KEY_SEMICOLON);
  (void)d.feed({EV_KEY, KEY_LEFTSHIFT, 0});
  (void)press(d, KEY_A);
  (void)press(d, KEY_SLASH);
  EXPECT_EQ(press(d, KEY_KPENTER), "A:a/");
}

TEST(KeycodeDecoder, IgnoresNonKeyEventsRepeatsAndUnknownKeys) {
  KeycodeDecoder d;
  (void)d.feed({EV_SYN, 0, 0});
  (void)d.feed({EV_MSC, 4, 458782});
  (void)press(d, KEY_9);
  (void)d.feed({EV_KEY, KEY_9, 2});
  (void)press(d, KEY_F1);
  EXPECT_EQ(press(d, KEY_ENTER), "9");
}

TEST(KeycodeDecoder, EmptyEnterGivesNothing) {
  KeycodeDecoder d;
  EXPECT_FALSE(press(d, KEY_ENTER));
}

TEST(KeycodeDecoder, OverlongInputIsDroppedUntilEnter) {
  KeycodeDecoder d;
  for (std::size_t i = 0; i < KeycodeDecoder::MaxCodeLength + 5; ++i) {
    (void)press(d, KEY_1);
  }
  EXPECT_FALSE(press(d, KEY_ENTER));
  (void)press(d, KEY_2);
  EXPECT_EQ(press(d, KEY_ENTER), "2");
}

}  // namespace
}  // namespace prepaid::devices
