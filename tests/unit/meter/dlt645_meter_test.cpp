#include "prepaid/meter/dlt645_meter.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "prepaid/secure/command_mac.hpp"

namespace prepaid::devices {
namespace {

constexpr MacKey TestKey{0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
                         0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c};

// A DL/T 645 meter on loopback: answers reads from a DI table, records writes and controls. A
// control must carry the authentication behind the 16 standard bytes (purchase count, time, MAC
// under TestKey over this meter's number) and the current purchase count (DI 03330201).
class FakeDlt645Meter {
 public:
  explicit FakeDlt645Meter(Dlt645Address address) : m_address(address) {
    m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(m_fd, 2);
    socklen_t len = sizeof addr;
    ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
    m_thread = std::thread([this] { run(); });
  }
  ~FakeDlt645Meter() {
    m_stop = true;
    m_thread.join();
    ::close(m_fd);
  }

  void setDi(std::uint32_t di, std::vector<std::uint8_t> value) {
    std::lock_guard lock(m_mutex);
    m_data[di] = std::move(value);
  }
  std::vector<std::uint8_t> di(std::uint32_t di) {
    std::lock_guard lock(m_mutex);
    return m_data[di];
  }

  std::uint16_t port = 0;
  std::atomic<int> lastControl{0};
  std::atomic<int> controlsRefused{0};
  std::atomic<bool> garbageFirst{false};
  std::atomic<bool> answerAsOtherMeter{false};
  std::atomic<bool> badChecksum{false};
  std::atomic<bool> refuseWrites{false};

 private:
  void run() {
    while (!m_stop) {
      pollfd pfd{m_fd, POLLIN, 0};
      if (::poll(&pfd, 1, 20) <= 0) {
        continue;
      }
      const int client = ::accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC);
      std::vector<std::uint8_t> in;
      while (!m_stop && client >= 0) {
        pollfd cfd{client, POLLIN, 0};
        if (::poll(&cfd, 1, 20) <= 0) {
          continue;
        }
        std::uint8_t buffer[256];
        const ssize_t n = ::recv(client, buffer, sizeof buffer, 0);
        if (n <= 0) {
          break;
        }
        in.insert(in.end(), buffer, buffer + n);
        const auto decoded = decodeDlt645(in);
        if (decoded.status != Dlt645DecodeStatus::Frame) {
          continue;
        }
        in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(decoded.consumed));
        auto reply = answer(decoded.frame);
        auto bytes = *encodeDlt645(reply, 2);
        if (badChecksum) {
          bytes[bytes.size() - 2] ^= 0x01;
        }
        if (garbageFirst) {
          bytes.insert(bytes.begin(), {0x00, 0x68, 0x42, 0x13});
        }
        ::send(client, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      }
      if (client >= 0) {
        ::close(client);
      }
    }
  }

  static std::uint32_t diOf(const std::vector<std::uint8_t>& data) {
    return std::uint32_t{data[0]} | (std::uint32_t{data[1]} << 8) | (std::uint32_t{data[2]} << 16) |
           (std::uint32_t{data[3]} << 24);
  }

  Dlt645Frame answer(const Dlt645Frame& request) {
    Dlt645Frame reply;
    reply.address = answerAsOtherMeter ? *Dlt645Address::fromNumber(999) : m_address;
    reply.control = static_cast<std::uint8_t>(request.control | dlt645::ReplyBit);
    const auto error = [&](std::uint8_t bits) {
      reply.control = static_cast<std::uint8_t>(reply.control | dlt645::ErrorBit);
      reply.data = {bits};
    };
    std::lock_guard lock(m_mutex);
    if (request.control == dlt645::ReadData && request.data.size() == 4) {
      const std::uint32_t di = diOf(request.data);
      const auto it = m_data.find(di);
      if (it == m_data.end()) {
        error(dlt645::ErrNoData);
      } else {
        reply.data = request.data;
        reply.data.insert(reply.data.end(), it->second.begin(), it->second.end());
      }
    } else if (request.control == dlt645::WriteData && request.data.size() > 12) {
      if (refuseWrites) {
        error(dlt645::ErrUnauthorized);
      } else {
        const std::uint32_t di = diOf(request.data);
        m_data[di] = std::vector<std::uint8_t>(request.data.begin() + 12, request.data.end());
      }
    } else if (request.control == dlt645::RemoteControl && request.data.size() == 40) {
      if (controlAuthenticates(request.data)) {
        lastControl = request.data[8];
      } else {
        ++controlsRefused;
        error(dlt645::ErrUnauthorized);
      }
    } else {
      error(dlt645::ErrOther);
    }
    return reply;
  }

  // Called with m_mutex held.
  bool controlAuthenticates(const std::vector<std::uint8_t>& data) {
    const auto u32 = [&](std::size_t at) {
      return (std::uint32_t{data[at]} << 24) | (std::uint32_t{data[at + 1]} << 16) |
             (std::uint32_t{data[at + 2]} << 8) | data[at + 3];
    };
    std::uint32_t code = 0;
    switch (data[8]) {
      case dlt645::CtrlTrip:
        code = 1;
        break;
      case dlt645::CtrlCloseDirect:
        code = 2;
        break;
      case dlt645::CtrlKeepPower:
        code = 3;
        break;
      case dlt645::CtrlKeepPowerOff:
        code = 4;
        break;
      case dlt645::CtrlCloseAllowed:
        code = 5;
        break;
      default:
        return false;
    }
    const auto& countBcd = m_data[dlt645::DiPurchaseCount];
    const auto current = countBcd.size() == 2 ? decodeBcd(countBcd) : std::nullopt;
    if (!current || u32(16) != static_cast<std::uint32_t>(*current)) {
      return false;
    }
    CommandMac mac{};
    std::copy(data.begin() + 24, data.end(), mac.begin());
    const MacFields fields{1234, CommandKind::Control, u32(16), code, u32(20)};
    return verifyCommandMac(MacAlgorithm::AesCmac, TestKey, fields, mac);
  }

  Dlt645Address m_address;
  int m_fd = -1;
  std::atomic<bool> m_stop{false};
  std::mutex m_mutex;
  std::map<std::uint32_t, std::vector<std::uint8_t>> m_data;
  std::thread m_thread;
};

class Dlt645MeterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake.setDi(dlt645::DiTotalEnergy, {0x67, 0x45, 0x23, 0x01});      // 12345.67 kWh
    fake.setDi(dlt645::DiVoltageA, {0x03, 0x22});                     // 220.3 V
    fake.setDi(dlt645::DiCurrentA, {0x20, 0x51, 0x80});               // -5.120 A (sign bit)
    fake.setDi(dlt645::DiActivePower, {0x00, 0x15, 0x01});            // 1.1500 kW
    fake.setDi(dlt645::DiRemainingAmount, {0x50, 0x25, 0x00, 0x00});  // 25.50 yuan
    fake.setDi(dlt645::DiPurchaseCount, {0x12, 0x00});                // 12
    fake.setDi(dlt645::DiRunStatus3, {0x10, 0x00});                   // relay open
    fake.setDi(dlt645::DiPrice1 + 2, {0x00, 0x65, 0x00, 0x00});       // 0.6500 yuan/kWh
  }
  Dlt645Meter meter() {
    BusTiming timing;
    timing.responseTimeoutMs = 200;
    timing.byteTimeoutMs = 50;
    timing.quietMs = 30;
    timing.retries = 0;
    return Dlt645Meter(
        std::make_shared<Dlt645Link>(makeTcpStream("127.0.0.1", fake.port, 500), timing), address);
  }
  // A control command as the backend builds it: MAC under the meter's key.
  static ControlCommand signedControl(const Meter& m, ControlCode code, std::uint32_t count,
                                      std::uint32_t validityMinutes) {
    ControlCommand command{code, count, 1'700'000'000, validityMinutes, {}};
    command.mac =
        *computeCommandMac(m.macAlgorithm(), TestKey, controlMacFields(m.macAddress(), command));
    return command;
  }
  Dlt645Address address = *Dlt645Address::parse("000000001234");
  FakeDlt645Meter fake{address};
};

// The meter's number is the address digits; the MAC covers it.
TEST_F(Dlt645MeterTest, ControlCarriesCountTimeAndMacAfterTheStandardBytes) {
  auto m = meter();
  EXPECT_EQ(m.macAddress(), 1234U);
  ASSERT_TRUE(m.control(signedControl(m, ControlCode::Close, 12, 0)).has_value());
  EXPECT_EQ(fake.lastControl.load(), dlt645::CtrlCloseDirect);
  ASSERT_TRUE(m.control(signedControl(m, ControlCode::ResumePrepaid, 12, 0)).has_value());
  EXPECT_EQ(fake.lastControl.load(), dlt645::CtrlCloseAllowed);
  ASSERT_TRUE(m.control(signedControl(m, ControlCode::KeepPowerOff, 12, 0)).has_value());
  EXPECT_EQ(fake.lastControl.load(), dlt645::CtrlKeepPowerOff);
}

TEST_F(Dlt645MeterTest, ControlWithABadMacOrStaleCountIsRejected) {
  auto m = meter();
  auto forged = signedControl(m, ControlCode::Trip, 12, 0);
  forged.mac[3] ^= 0x01;
  const auto refused = m.control(forged);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().kind, DeviceErrorKind::Rejected) << describe(refused.error());
  EXPECT_EQ(refused.error().rejectReason, RejectReason::Unauthorized);
  // A MAC computed for another command does not authorise this one.
  auto replayed = signedControl(m, ControlCode::Close, 12, 0);
  replayed.code = ControlCode::Trip;
  EXPECT_EQ(m.control(replayed).error().kind, DeviceErrorKind::Rejected);
  // Signed correctly, but over a purchase count that is not the meter's.
  EXPECT_EQ(m.control(signedControl(m, ControlCode::Trip, 11, 0)).error().kind,
            DeviceErrorKind::Rejected);
  EXPECT_EQ(fake.controlsRefused.load(), 3);
  EXPECT_EQ(fake.lastControl.load(), 0);
}

TEST_F(Dlt645MeterTest, SnapshotFromDataIdentifiers) {
  auto m = meter();
  const auto snap = m.readSnapshot();
  ASSERT_TRUE(snap.has_value()) << describe(snap.error());
  EXPECT_EQ(snap->totalEnergy, domain::Energy::fromCentiKwh(1234567));
  EXPECT_FALSE(snap->rateEnergy[0].has_value());  // answered "no data"
  EXPECT_EQ(snap->voltageMilliVolts, 220300);
  EXPECT_EQ(snap->currentMilliAmps, -5120);
  EXPECT_EQ(snap->activePowerWatts, 1150);
  ASSERT_TRUE(snap->prepaid.has_value());
  EXPECT_EQ(snap->prepaid->balance, domain::Money::fromFen(2550));
  EXPECT_EQ(snap->prepaid->purchaseCount, 12U);
  EXPECT_EQ(snap->prepaid->relay, domain::RelayState::Open);
  EXPECT_EQ(snap->prepaid->prices[2], domain::UnitPrice::fromMicroYuan(650'000));
  EXPECT_EQ(m.readPurchaseCount().value(), 12U);
  EXPECT_EQ(m.macAddress(), 1234U);
}

TEST_F(Dlt645MeterTest, GarbageBeforeTheReplyIsTolerated) {
  fake.garbageFirst = true;
  auto m = meter();
  EXPECT_EQ(m.readPurchaseCount().value(), 12U);
}

TEST_F(Dlt645MeterTest, WrongAddressAndBadChecksum) {
  fake.answerAsOtherMeter = true;
  auto m = meter();
  EXPECT_EQ(m.readPurchaseCount().error().kind, DeviceErrorKind::WrongAddress);
  fake.answerAsOtherMeter = false;
  fake.badChecksum = true;
  EXPECT_EQ(m.readPurchaseCount().error().kind, DeviceErrorKind::Crc);
}

TEST_F(Dlt645MeterTest, NonBcdValueIsMalformed) {
  fake.setDi(dlt645::DiPurchaseCount, {0x1A, 0x00});
  auto m = meter();
  EXPECT_EQ(m.readPurchaseCount().error().kind, DeviceErrorKind::MalformedReply);
  fake.setDi(dlt645::DiPurchaseCount, {0x12});
  EXPECT_EQ(m.readPurchaseCount().error().kind, DeviceErrorKind::MalformedReply);
}

TEST_F(Dlt645MeterTest, WritesAndControl) {
  auto m = meter();
  ASSERT_TRUE(
      m.setThresholds({domain::Money::fromFen(5000), domain::Money::fromFen(2000), 0}).has_value());
  EXPECT_EQ(fake.di(dlt645::DiAlarmAmount1), (std::vector<std::uint8_t>{0x00, 0x50, 0x00, 0x00}));
  EXPECT_EQ(
      m.setThresholds({domain::Money::fromFen(1), domain::Money::fromFen(1), 100}).error().kind,
      DeviceErrorKind::Unsupported);
  const TouPrices prices{
      domain::UnitPrice::fromMicroYuan(1'000'000), domain::UnitPrice::fromMicroYuan(900'000),
      domain::UnitPrice::fromMicroYuan(600'000), domain::UnitPrice::fromMicroYuan(300'000)};
  ASSERT_TRUE(m.setPrices(prices).has_value());
  EXPECT_EQ(fake.di(dlt645::DiPrice1), (std::vector<std::uint8_t>{0x00, 0x00, 0x01, 0x00}));
  ASSERT_TRUE(m.control(signedControl(m, ControlCode::Trip, 12, 5)).has_value());
  EXPECT_EQ(fake.lastControl.load(), dlt645::CtrlTrip);
  ASSERT_TRUE(m.control(signedControl(m, ControlCode::KeepPowerOn, 12, 0)).has_value());
  EXPECT_EQ(fake.lastControl.load(), dlt645::CtrlKeepPower);
  EXPECT_EQ(fake.controlsRefused.load(), 0);
  fake.refuseWrites = true;
  const auto refused = m.setThresholds({domain::Money::fromFen(1), domain::Money::fromFen(1), 0});
  EXPECT_EQ(refused.error().kind, DeviceErrorKind::Rejected);
  EXPECT_EQ(refused.error().rejectReason, RejectReason::Unauthorized);
  EXPECT_EQ(m.recharge({}).error().kind, DeviceErrorKind::Unsupported);
}

TEST(Dlt645MeterNoPeerTest, SilentMeterTimesOutAndControlIsOutcomeUnknown) {
  // A listener that never answers.
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 2), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  BusTiming timing;
  timing.responseTimeoutMs = 80;
  timing.quietMs = 10;
  timing.retries = 0;
  Dlt645Meter m(
      std::make_shared<Dlt645Link>(makeTcpStream("127.0.0.1", ntohs(addr.sin_port), 500), timing),
      *Dlt645Address::fromNumber(1));
  EXPECT_EQ(m.readPurchaseCount().error().kind, DeviceErrorKind::Timeout);
  const auto control = m.control({ControlCode::Close, 0, 1'700'000'000, 0, {}});
  EXPECT_EQ(control.error().kind, DeviceErrorKind::OutcomeUnknown);
  EXPECT_EQ(control.error().cause, DeviceErrorKind::Timeout);
  ::close(fd);
}

TEST(Dlt645MeterSerialTest, ReadsOverASerialPortPty) {
  // dlt645:/dev/pts/N: the termios serial stream, with a meter answering on the pty master.
  const int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(master, 0);
  ASSERT_EQ(::grantpt(master), 0);
  ASSERT_EQ(::unlockpt(master), 0);
  const std::string path = ::ptsname(master);
  const auto address = *Dlt645Address::fromNumber(77);
  std::thread meterSide([&] {
    std::vector<std::uint8_t> in;
    while (true) {
      pollfd pfd{master, POLLIN, 0};
      if (::poll(&pfd, 1, 2000) <= 0) {
        return;
      }
      std::uint8_t buffer[128];
      const ssize_t n = ::read(master, buffer, sizeof buffer);
      if (n <= 0) {
        return;
      }
      in.insert(in.end(), buffer, buffer + n);
      const auto decoded = decodeDlt645(in);
      if (decoded.status != Dlt645DecodeStatus::Frame) {
        continue;
      }
      Dlt645Frame reply{address, static_cast<std::uint8_t>(decoded.frame.control | 0x80),
                        decoded.frame.data};
      reply.data.insert(reply.data.end(), {0x34, 0x12});  // purchase count 1234
      const auto bytes = *encodeDlt645(reply);
      (void)::write(master, bytes.data(), bytes.size());
      return;
    }
  });
  auto uri = parseTransportUri("dlt645:" + path + "?baud=2400&parity=E&timeout_ms=1000");
  ASSERT_TRUE(uri.has_value());
  auto link = openDlt645Link(*uri);
  ASSERT_TRUE(link.has_value());
  Dlt645Meter m(*link, address);
  const auto count = m.readPurchaseCount();
  meterSide.join();
  ::close(master);
  ASSERT_TRUE(count.has_value()) << describe(count.error());
  EXPECT_EQ(*count, 1234U);
}

}  // namespace
}  // namespace prepaid::devices
