#include "prepaid/scanner/code_scanner.hpp"

#include <gtest/gtest.h>

namespace prepaid::devices {
namespace {

TEST(CodeScanner, MalformedUrisAreConfigErrors) {
  for (auto uri : {"", "evdev", "usb:/dev/x", "serial:/dev/ttyS0?baud=x"}) {
    auto scanner = openCodeScanner(uri);
    ASSERT_FALSE(scanner) << uri;
    EXPECT_EQ(scanner.error().code, ScannerErrorCode::InvalidConfig) << uri;
  }
}

TEST(CodeScanner, MissingDevicesFailToOpen) {
  EXPECT_EQ(openCodeScanner("evdev:/dev/input/nope").error().code, ScannerErrorCode::OpenFailed);
  EXPECT_EQ(openCodeScanner("serial:/dev/nope").error().code, ScannerErrorCode::OpenFailed);
}

}  // namespace
}  // namespace prepaid::devices
