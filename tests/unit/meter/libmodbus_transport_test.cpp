// The libmodbus transports (rtu: and tcp://) through openModbusTransport: Modbus RTU on a
// pseudo-terminal and Modbus TCP on loopback against the scripted fake peer, and the errno ->
// DeviceError mapping.
#include "fake_modbus_peer.hpp"
#include <gtest/gtest.h>

#include "prepaid/meter/modbus_transport.hpp"

namespace prepaid::devices {
namespace {

using testing::FakeModbusPeer;
using testing::PeerAction;

class LibmodbusRtuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    peer.setRegister(0, 0x1234);
    peer.setRegister(1, 0x5678);
    peer.setRegister(10, 7);
    peer.setRegister(11, 8);
  }
  std::shared_ptr<ModbusTransport> open(const std::string& params = "") {
    auto bus = openModbusTransport("rtu:" + peer.ptyPath() +
                                   "?baud=9600&parity=E&timeout_ms=200&byte_timeout_ms=50"
                                   "&quiet_ms=150&retries=0" +
                                   params);
    EXPECT_TRUE(bus.has_value());
    return bus ? *bus : nullptr;
  }
  FakeModbusPeer peer{FakeModbusPeer::OnPty{}, 5};
};

TEST_F(LibmodbusRtuTest, ReadAndWrite) {
  auto bus = open();
  const auto regs = bus->readRegisters(5, 0x03, 0, 2);
  ASSERT_TRUE(regs.has_value()) << describe(regs.error());
  EXPECT_EQ(*regs, (std::vector<std::uint16_t>{0x1234, 0x5678}));
  const std::uint16_t values[] = {42, 43};
  ASSERT_TRUE(bus->writeRegisters(5, 0x0200, values).has_value());
  EXPECT_EQ(peer.reg(0x0201), 43);
}

TEST_F(LibmodbusRtuTest, ErrnoMapping) {
  auto bus = open();
  peer.script({{PeerAction::NoReply},
               {PeerAction::BadCrc},
               {PeerAction::Exception, 0, 0x02},
               {PeerAction::WrongUnit}});
  EXPECT_EQ(bus->readRegisters(5, 0x03, 0, 2).error().kind, DeviceErrorKind::Timeout);
  EXPECT_EQ(bus->readRegisters(5, 0x03, 0, 2).error().kind, DeviceErrorKind::Crc);
  const auto exception = bus->readRegisters(5, 0x03, 0, 2);
  EXPECT_EQ(exception.error().kind, DeviceErrorKind::ModbusException);
  EXPECT_EQ(exception.error().exceptionCode, 0x02);
  EXPECT_EQ(bus->readRegisters(5, 0x03, 0, 2).error().kind, DeviceErrorKind::WrongAddress);
  EXPECT_TRUE(bus->readRegisters(5, 0x03, 0, 2).has_value());
}

TEST_F(LibmodbusRtuTest, LateReplyIsDrained) {
  auto bus = open();
  peer.script({{PeerAction::Late, 300}});  // 100 ms after the 200 ms timeout
  EXPECT_EQ(bus->readRegisters(5, 0x03, 0, 2).error().kind, DeviceErrorKind::Timeout);
  const auto next = bus->readRegisters(5, 0x03, 10, 2);
  ASSERT_TRUE(next.has_value()) << describe(next.error());
  EXPECT_EQ(*next, (std::vector<std::uint16_t>{7, 8}));
}

class LibmodbusTcpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    peer.setRegister(0, 0x1234);
    peer.setRegister(1, 0x5678);
    peer.setRegister(10, 7);
    peer.setRegister(11, 8);
  }
  std::shared_ptr<ModbusTransport> open() {
    auto bus = openModbusTransport("tcp://127.0.0.1:" + std::to_string(peer.port()) +
                                   "?timeout_ms=200&byte_timeout_ms=50&quiet_ms=100&retries=0");
    EXPECT_TRUE(bus.has_value());
    return bus ? *bus : nullptr;
  }
  // The read after a failed one gets its own registers: nothing stale is taken as its answer.
  void expectNextReadIsRight(ModbusTransport& bus) {
    const auto next = bus.readRegisters(5, 0x03, 10, 2);
    ASSERT_TRUE(next.has_value()) << describe(next.error());
    EXPECT_EQ(*next, (std::vector<std::uint16_t>{7, 8}));
  }
  FakeModbusPeer peer{FakeModbusPeer::OnMbap{}, 5};
};

TEST_F(LibmodbusTcpTest, ReadAndWrite) {
  auto bus = open();
  const auto regs = bus->readRegisters(5, 0x03, 0, 2);
  ASSERT_TRUE(regs.has_value()) << describe(regs.error());
  EXPECT_EQ(*regs, (std::vector<std::uint16_t>{0x1234, 0x5678}));
  const auto input = bus->readRegisters(5, 0x04, 10, 1);
  ASSERT_TRUE(input.has_value()) << describe(input.error());
  EXPECT_EQ(*input, (std::vector<std::uint16_t>{7}));
  const std::uint16_t values[] = {42, 43};
  ASSERT_TRUE(bus->writeRegisters(5, 0x0200, values).has_value());
  EXPECT_EQ(peer.reg(0x0201), 43);
}

// libmodbus 3.1.6 itself does not compare the MBAP unit id with the request's: a gateway
// answering for another meter on its bus must not pass that meter's registers off as ours.
TEST_F(LibmodbusTcpTest, ReplyFromAnotherUnitIsWrongAddress) {
  auto bus = open();
  peer.script({{PeerAction::WrongUnit}});
  const auto read = bus->readRegisters(5, 0x03, 0, 2);
  ASSERT_FALSE(read.has_value());
  EXPECT_EQ(read.error().kind, DeviceErrorKind::WrongAddress) << describe(read.error());
  expectNextReadIsRight(*bus);

  peer.script({{PeerAction::WrongUnit}});
  const std::uint16_t values[] = {1, 2};
  const auto write = bus->writeRegisters(5, 0x0300, values);
  ASSERT_FALSE(write.has_value());
  EXPECT_EQ(write.error().kind, DeviceErrorKind::WrongAddress) << describe(write.error());
}

TEST_F(LibmodbusTcpTest, ReplyRetriedAfterWrongUnit) {
  auto bus = openModbusTransport("tcp://127.0.0.1:" + std::to_string(peer.port()) +
                                 "?timeout_ms=200&quiet_ms=50&retries=1");
  ASSERT_TRUE(bus.has_value());
  peer.script({{PeerAction::WrongUnit}});
  const auto read = (*bus)->readRegisters(5, 0x03, 0, 2);
  ASSERT_TRUE(read.has_value()) << describe(read.error());
  EXPECT_EQ(*read, (std::vector<std::uint16_t>{0x1234, 0x5678}));
  EXPECT_EQ(peer.requestsSeen(), 2);
}

TEST_F(LibmodbusTcpTest, HeaderAndPduErrors) {
  auto bus = open();
  peer.script({{PeerAction::WrongTransaction},
               {PeerAction::BadMbapLength},
               {PeerAction::Oversized},
               {PeerAction::Short},
               {PeerAction::Garbage},
               {PeerAction::NoReply}});
  for (const char* what :
       {"wrong transaction", "bad MBAP length", "oversized", "short", "garbage", "no reply"}) {
    SCOPED_TRACE(what);
    const auto read = bus->readRegisters(5, 0x03, 0, 2);
    ASSERT_FALSE(read.has_value());
    const auto kind = read.error().kind;
    const std::string name = what;
    if (name == "no reply" || name == "short" || name == "garbage") {
      // libmodbus frames a reply from its header: fewer bytes than the 8 it needs (the short
      // reply and the 7 garbage bytes), then silence, is its byte/response timeout.
      EXPECT_EQ(kind, DeviceErrorKind::Timeout) << describe(read.error());
    } else {
      EXPECT_EQ(kind, DeviceErrorKind::MalformedReply) << describe(read.error());
    }
  }
  expectNextReadIsRight(*bus);
}

TEST_F(LibmodbusTcpTest, ExceptionCarriesItsCode) {
  auto bus = open();
  peer.script({{PeerAction::Exception, 0, 0x0B}});
  const auto read = bus->readRegisters(5, 0x03, 0, 2);
  ASSERT_FALSE(read.has_value());
  EXPECT_EQ(read.error().kind, DeviceErrorKind::ModbusException);
  EXPECT_EQ(read.error().exceptionCode, 0x0B);
  expectNextReadIsRight(*bus);
}

TEST_F(LibmodbusTcpTest, LateReplyIsNotTheNextAnswer) {
  auto bus = open();
  peer.script({{PeerAction::Late, 300}});  // 100 ms after the 200 ms timeout
  EXPECT_EQ(bus->readRegisters(5, 0x03, 0, 2).error().kind, DeviceErrorKind::Timeout);
  expectNextReadIsRight(*bus);
}

// The late reply comes after the line was drained, while the next request waits for its answer:
// its transaction id shows it is stale, so it is skipped and the next read still succeeds.
TEST_F(LibmodbusTcpTest, StaleReplyAfterTheDrainIsSkipped) {
  auto bus = openModbusTransport("tcp://127.0.0.1:" + std::to_string(peer.port()) +
                                 "?timeout_ms=200&quiet_ms=50&retries=0");
  ASSERT_TRUE(bus.has_value());
  peer.script({{PeerAction::Late, 300}});  // drained until ~250 ms, the reply comes at ~300 ms
  EXPECT_EQ((*bus)->readRegisters(5, 0x03, 0, 2).error().kind, DeviceErrorKind::Timeout);
  expectNextReadIsRight(**bus);
  EXPECT_EQ(peer.requestsSeen(), 2);
}

TEST_F(LibmodbusTcpTest, ClosedConnectionIsIoThenReconnects) {
  auto bus = open();
  peer.script({{PeerAction::CloseConnection}});
  const auto read = bus->readRegisters(5, 0x03, 0, 2);
  ASSERT_FALSE(read.has_value());
  EXPECT_EQ(read.error().kind, DeviceErrorKind::Io) << describe(read.error());
  expectNextReadIsRight(*bus);
}

TEST(LibmodbusTransportTest, MissingDeviceIsConnectionFailed) {
  auto bus = openModbusTransport("rtu:/dev/prepaid-no-such-tty?timeout_ms=50");
  ASSERT_TRUE(bus.has_value());
  EXPECT_EQ((*bus)->readRegisters(1, 0x03, 0, 1).error().kind, DeviceErrorKind::ConnectionFailed);
}

TEST(LibmodbusTransportTest, TcpRefusedIsConnectionFailed) {
  std::uint16_t port = 0;
  {
    FakeModbusPeer closed;
    port = closed.port();
  }
  auto bus = openModbusTransport("tcp://127.0.0.1:" + std::to_string(port) + "?timeout_ms=50");
  ASSERT_TRUE(bus.has_value());
  EXPECT_EQ((*bus)->readRegisters(1, 0x03, 0, 1).error().kind, DeviceErrorKind::ConnectionFailed);
}

}  // namespace
}  // namespace prepaid::devices
