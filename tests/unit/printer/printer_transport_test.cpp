#include "prepaid/printer/printer_transport.hpp"

#include <fstream>
#include <iterator>
#include <thread>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pty.h>
#include <sys/socket.h>
#include <unistd.h>

namespace prepaid::devices {
namespace {

TEST(PrinterTransport, RejectsMalformedUris) {
  for (auto uri : {"", "nonsense", "ftp:x", "serial:/dev/null?baud=12", "serial:/x?baud=abc"}) {
    auto t = openPrinterTransport(uri);
    ASSERT_FALSE(t) << uri;
  }
  EXPECT_EQ(openPrinterTransport("ftp:x").error().code, PrinterErrorCode::InvalidConfig);
}

TEST(PrinterTransport, FileAppendsBytesAndCannotReadStatus) {
  char name[] = "/tmp/prepaid-ptr-XXXXXX";
  const int fd = ::mkstemp(name);
  ASSERT_GE(fd, 0);
  ::close(fd);
  {
    auto t = openPrinterTransport(std::string("file:") + name);
    ASSERT_TRUE(t);
    const std::uint8_t bytes[] = {1, 2, 3};
    ASSERT_TRUE((*t)->write(bytes));
    auto status = (*t)->read(1, std::chrono::milliseconds(10));
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error().code, PrinterErrorCode::ReadFailed);
  }
  std::ifstream in(name, std::ios::binary);
  std::vector<char> content{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  EXPECT_EQ(content, (std::vector<char>{1, 2, 3}));
  ::unlink(name);
}

TEST(PrinterTransport, SerialOverPtyWritesAndReadsStatus) {
  int master = -1;
  int slave = -1;
  char slaveName[256] = {};
  ASSERT_EQ(::openpty(&master, &slave, slaveName, nullptr, nullptr), 0);
  auto t = openPrinterTransport(std::string("serial:") + slaveName + "?baud=19200");
  ASSERT_TRUE(t) << t.error().message;
  const std::uint8_t query[] = {0x10, 0x04, 0x04};
  ASSERT_TRUE((*t)->write(query));
  std::uint8_t got[3] = {};
  ASSERT_EQ(::read(master, got, 3), 3);
  EXPECT_EQ(got[0], 0x10);
  const std::uint8_t answer = 0x12;
  ASSERT_EQ(::write(master, &answer, 1), 1);
  auto read = (*t)->read(1, std::chrono::milliseconds(2000));
  ASSERT_TRUE(read);
  EXPECT_EQ(read->front(), 0x12);
  auto none = (*t)->read(1, std::chrono::milliseconds(20));
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, PrinterErrorCode::Timeout);
  ::close(master);
  ::close(slave);
}

TEST(PrinterTransport, TcpDeliversBytesToPort9100StyleServer) {
  const int server = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(server, 1), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(server, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  std::vector<std::uint8_t> received;
  std::thread peer([&] {
    const int client = ::accept(server, nullptr, nullptr);
    std::uint8_t buffer[16];
    ssize_t n = 0;
    while ((n = ::read(client, buffer, sizeof(buffer))) > 0) {
      received.insert(received.end(), buffer, buffer + n);
    }
    ::close(client);
  });
  {
    auto t = openPrinterTransport("tcp:127.0.0.1:" + std::to_string(port));
    ASSERT_TRUE(t) << t.error().message;
    const std::uint8_t bytes[] = {0x1B, '@'};
    ASSERT_TRUE((*t)->write(bytes));
  }
  peer.join();
  ::close(server);
  EXPECT_EQ(received, (std::vector<std::uint8_t>{0x1B, '@'}));
}

TEST(PrinterTransport, TcpToClosedPortFailsToOpen) {
  // Port 1 on loopback is never a printer; connect is refused at once.
  auto t = openPrinterTransport("tcp:127.0.0.1:1", std::chrono::milliseconds(500));
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, PrinterErrorCode::OpenFailed);
}

}  // namespace
}  // namespace prepaid::devices
