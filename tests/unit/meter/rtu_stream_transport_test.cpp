#include <chrono>

#include "fake_modbus_peer.hpp"
#include <gtest/gtest.h>

#include "prepaid/meter/modbus_transport.hpp"

namespace prepaid::devices {
namespace {

using testing::FakeModbusPeer;
using testing::PeerAction;
using testing::ScriptStep;

BusTiming fastTiming() {
  BusTiming t;
  t.responseTimeoutMs = 150;
  t.byteTimeoutMs = 50;
  t.quietMs = 60;
  t.retries = 0;
  t.connectTimeoutMs = 500;
  return t;
}

std::shared_ptr<ModbusTransport> connect(const FakeModbusPeer& peer,
                                         BusTiming timing = fastTiming()) {
  return std::make_shared<RtuStreamTransport>(makeTcpStream("127.0.0.1", peer.port(), 500), timing);
}

class RtuStreamTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    peer.setRegister(0, 0x1234);
    peer.setRegister(1, 0x5678);
    peer.setRegister(10, 0x0007);
    peer.setRegister(11, 0x0008);
  }
  FakeModbusPeer peer{1};
};

TEST_F(RtuStreamTransportTest, GoodRead) {
  auto bus = connect(peer);
  const auto regs = bus->readRegisters(1, 0x03, 0, 2);
  ASSERT_TRUE(regs.has_value()) << describe(regs.error());
  EXPECT_EQ(*regs, (std::vector<std::uint16_t>{0x1234, 0x5678}));
}

TEST_F(RtuStreamTransportTest, GoodWrite) {
  auto bus = connect(peer);
  const std::uint16_t values[] = {0xAAAA, 0xBBBB};
  ASSERT_TRUE(bus->writeRegisters(1, 20, values).has_value());
  EXPECT_EQ(peer.reg(20), 0xAAAA);
  EXPECT_EQ(peer.reg(21), 0xBBBB);
}

TEST_F(RtuStreamTransportTest, NoReplyIsTimeout) {
  peer.script({{PeerAction::NoReply}});
  auto bus = connect(peer);
  const auto regs = bus->readRegisters(1, 0x03, 0, 2);
  ASSERT_FALSE(regs.has_value());
  EXPECT_EQ(regs.error().kind, DeviceErrorKind::Timeout);
}

TEST_F(RtuStreamTransportTest, LateReplyIsNeverTakenAsTheNextAnswer) {
  // The first reply comes 100 ms after the 150 ms timeout, inside the 150 ms quiet window; the
  // next request reads other registers with a reply of identical shape, which the stale frame
  // would satisfy if it were not drained.
  auto timing = fastTiming();
  timing.quietMs = 150;
  peer.script({{PeerAction::Late, 250}});
  auto bus = connect(peer, timing);
  const auto first = bus->readRegisters(1, 0x03, 0, 2);
  ASSERT_FALSE(first.has_value());
  EXPECT_EQ(first.error().kind, DeviceErrorKind::Timeout);
  const auto second = bus->readRegisters(1, 0x03, 10, 2);
  ASSERT_TRUE(second.has_value()) << describe(second.error());
  EXPECT_EQ(*second, (std::vector<std::uint16_t>{7, 8}));
}

TEST_F(RtuStreamTransportTest, BadCrc) {
  peer.script({{PeerAction::BadCrc}});
  auto bus = connect(peer);
  const auto regs = bus->readRegisters(1, 0x03, 0, 2);
  ASSERT_FALSE(regs.has_value());
  EXPECT_EQ(regs.error().kind, DeviceErrorKind::Crc);
  EXPECT_TRUE(bus->readRegisters(1, 0x03, 10, 2).has_value());
}

TEST_F(RtuStreamTransportTest, Garbage) {
  peer.script({{PeerAction::Garbage}});
  auto bus = connect(peer);
  const auto regs = bus->readRegisters(1, 0x03, 0, 2);
  ASSERT_FALSE(regs.has_value());
  EXPECT_EQ(regs.error().kind, DeviceErrorKind::MalformedReply);
  EXPECT_TRUE(bus->readRegisters(1, 0x03, 10, 2).has_value());
}

TEST_F(RtuStreamTransportTest, WrongUnit) {
  peer.script({{PeerAction::WrongUnit}});
  auto bus = connect(peer);
  const auto regs = bus->readRegisters(1, 0x03, 0, 2);
  ASSERT_FALSE(regs.has_value());
  EXPECT_EQ(regs.error().kind, DeviceErrorKind::WrongAddress);
}

TEST_F(RtuStreamTransportTest, ExceptionCarriesItsCode) {
  peer.script({{PeerAction::Exception, 0, 0x02}});
  auto bus = connect(peer);
  const auto regs = bus->readRegisters(1, 0x03, 0, 2);
  ASSERT_FALSE(regs.has_value());
  EXPECT_EQ(regs.error().kind, DeviceErrorKind::ModbusException);
  EXPECT_EQ(regs.error().exceptionCode, 0x02);
}

TEST_F(RtuStreamTransportTest, OversizedAndShortReplies) {
  peer.script({{PeerAction::Oversized}, {PeerAction::Short}});
  auto bus = connect(peer);
  const auto oversized = bus->readRegisters(1, 0x03, 0, 2);
  ASSERT_FALSE(oversized.has_value());
  EXPECT_EQ(oversized.error().kind, DeviceErrorKind::MalformedReply);
  const auto shortReply = bus->readRegisters(1, 0x03, 0, 2);
  ASSERT_FALSE(shortReply.has_value());
  EXPECT_EQ(shortReply.error().kind, DeviceErrorKind::MalformedReply);
  EXPECT_TRUE(bus->readRegisters(1, 0x03, 0, 2).has_value());
}

TEST_F(RtuStreamTransportTest, ReadsAreRetriedWritesAreNot) {
  auto timing = fastTiming();
  timing.retries = 2;
  auto bus = connect(peer, timing);
  peer.script({{PeerAction::BadCrc}, {PeerAction::NoReply}});
  const auto regs = bus->readRegisters(1, 0x03, 0, 2);
  ASSERT_TRUE(regs.has_value()) << describe(regs.error());
  EXPECT_EQ(peer.requestsSeen(), 3);

  peer.script({{PeerAction::NoReply}});
  const std::uint16_t values[] = {1};
  const auto written = bus->writeRegisters(1, 30, values);
  ASSERT_FALSE(written.has_value());
  EXPECT_EQ(written.error().kind, DeviceErrorKind::Timeout);
  EXPECT_EQ(peer.requestsSeen(), 4);  // exactly one more
}

TEST_F(RtuStreamTransportTest, ReconnectsAfterThePeerClosed) {
  peer.script({{PeerAction::CloseConnection}});
  auto bus = connect(peer);
  const auto first = bus->readRegisters(1, 0x03, 0, 2);
  ASSERT_FALSE(first.has_value());
  EXPECT_EQ(first.error().kind, DeviceErrorKind::Io);
  EXPECT_TRUE(bus->readRegisters(1, 0x03, 0, 2).has_value());
}

TEST(RtuStreamTransportNoPeerTest, ConnectionRefusedIsConnectionFailed) {
  std::uint16_t port = 0;
  {
    FakeModbusPeer closed;
    port = closed.port();
  }
  RtuStreamTransport bus(makeTcpStream("127.0.0.1", port, 200), fastTiming());
  const auto regs = bus.readRegisters(1, 0x03, 0, 1);
  ASSERT_FALSE(regs.has_value());
  EXPECT_EQ(regs.error().kind, DeviceErrorKind::ConnectionFailed);
}

TEST_F(RtuStreamTransportTest, InvalidRequestsAreRejectedBeforeSending) {
  auto bus = connect(peer);
  EXPECT_EQ(bus->readRegisters(0, 0x03, 0, 1).error().kind, DeviceErrorKind::InvalidArgument);
  EXPECT_EQ(bus->readRegisters(1, 0x03, 0, 126).error().kind, DeviceErrorKind::InvalidArgument);
  EXPECT_EQ(bus->readRegisters(1, 0x05, 0, 1).error().kind, DeviceErrorKind::InvalidArgument);
  EXPECT_EQ(bus->readRegisters(1, 0x03, 0xFFFF, 2).error().kind, DeviceErrorKind::InvalidArgument);
  EXPECT_EQ(peer.requestsSeen(), 0);
}

TEST_F(RtuStreamTransportTest, InterRequestDelayIsHonoured) {
  auto timing = fastTiming();
  timing.interRequestDelayMs = 50;
  auto bus = connect(peer, timing);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(bus->readRegisters(1, 0x03, 0, 1).has_value());
  }
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(150));
}

}  // namespace
}  // namespace prepaid::devices
