#include "prepaid/scanner/serial_scanner.hpp"

#include <gtest/gtest.h>
#include <pty.h>
#include <unistd.h>

namespace prepaid::devices {
namespace {

using namespace std::chrono_literals;

class Pty {
 public:
  Pty() { EXPECT_EQ(::openpty(&m_master, &m_slave, m_name, nullptr, nullptr), 0); }
  ~Pty() {
    ::close(m_master);
    ::close(m_slave);
  }
  std::string name() const { return m_name; }
  void send(std::string_view bytes) {
    ASSERT_EQ(::write(m_master, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }

 private:
  int m_master = -1;
  int m_slave = -1;
  char m_name[256] = {};
};

TEST(SerialScanner, LinesEndingInCrLfOrCrAreCodes) {
  Pty pty;
  auto scanner = SerialScanner::open(pty.name(), 9600);
  ASSERT_TRUE(scanner) << scanner.error().message;
  pty.send("284500000000000001\r\nABC\r");
  EXPECT_EQ((*scanner)->next(1000ms).value(), "284500000000000001");
  EXPECT_EQ((*scanner)->next(1000ms).value(), "ABC");
  EXPECT_EQ((*scanner)->next(20ms).value(), std::nullopt);
}

TEST(SerialScanner, PartialLineWaitsForItsEnd) {
  Pty pty;
  auto scanner = SerialScanner::open(pty.name(), 115200);
  ASSERT_TRUE(scanner);
  pty.send("12");
  EXPECT_EQ((*scanner)->next(30ms).value(), std::nullopt);
  pty.send("34\n");
  EXPECT_EQ((*scanner)->next(1000ms).value(), "1234");
}

TEST(SerialScanner, UnsupportedBaudIsAConfigError) {
  Pty pty;
  auto scanner = SerialScanner::open(pty.name(), 1234);
  ASSERT_FALSE(scanner);
  EXPECT_EQ(scanner.error().code, ScannerErrorCode::InvalidConfig);
}

}  // namespace
}  // namespace prepaid::devices
