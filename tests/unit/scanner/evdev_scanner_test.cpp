#include "prepaid/scanner/evdev_scanner.hpp"

#include "input_events.hpp"
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

namespace prepaid::devices {
namespace {

using namespace std::chrono_literals;

class Pipe {
 public:
  Pipe() { EXPECT_EQ(::pipe(m_fds), 0); }
  ~Pipe() {
    closeWriter();
    ::close(m_fds[0]);
  }
  std::string readerPath() const { return "/proc/self/fd/" + std::to_string(m_fds[0]); }
  void write(const std::string& bytes) {
    ASSERT_EQ(::write(m_fds[1], bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  void closeWriter() {
    if (m_fds[1] >= 0) {
      ::close(m_fds[1]);
      m_fds[1] = -1;
    }
  }

 private:
  int m_fds[2] = {-1, -1};
};

TEST(EvdevScanner, DecodesCodesFromAnEventStream) {
  Pipe pipe;
  auto scanner = EvdevScanner::open(pipe.readerPath(), Grab::None);
  ASSERT_TRUE(scanner) << scanner.error().message;
  pipe.write(testing::scanStream("134567890123456789") + testing::scanStream("CARD42"));
  EXPECT_EQ((*scanner)->next(1000ms).value(), "134567890123456789");
  EXPECT_EQ((*scanner)->next(1000ms).value(), "CARD42");
  EXPECT_EQ((*scanner)->next(20ms).value(), std::nullopt);
}

TEST(EvdevScanner, EventSplitAcrossWritesIsReassembled) {
  Pipe pipe;
  auto scanner = EvdevScanner::open(pipe.readerPath(), Grab::None);
  ASSERT_TRUE(scanner);
  const auto stream = testing::scanStream("77");
  pipe.write(stream.substr(0, 13));
  EXPECT_EQ((*scanner)->next(20ms).value(), std::nullopt);
  pipe.write(stream.substr(13));
  EXPECT_EQ((*scanner)->next(1000ms).value(), "77");
}

TEST(EvdevScanner, ClosedDeviceIsAReadError) {
  Pipe pipe;
  auto scanner = EvdevScanner::open(pipe.readerPath(), Grab::None);
  ASSERT_TRUE(scanner);
  pipe.closeWriter();
  auto result = (*scanner)->next(1000ms);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ScannerErrorCode::ReadFailed);
}

TEST(EvdevScanner, GrabOnANonInputDeviceFails) {
  Pipe pipe;
  auto scanner = EvdevScanner::open(pipe.readerPath(), Grab::Exclusive);
  ASSERT_FALSE(scanner);
  EXPECT_EQ(scanner.error().code, ScannerErrorCode::GrabFailed);
}

TEST(EvdevScanner, MissingDeviceFailsToOpen) {
  auto scanner = EvdevScanner::open("/dev/input/no-such-event", Grab::Exclusive);
  ASSERT_FALSE(scanner);
  EXPECT_EQ(scanner.error().code, ScannerErrorCode::OpenFailed);
}

}  // namespace
}  // namespace prepaid::devices
