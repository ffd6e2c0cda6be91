#include "prepaid/meter/transport_uri.hpp"

#include <gtest/gtest.h>

namespace prepaid::devices {
namespace {

TEST(TransportUriTest, SerialRtuWithParameters) {
  const auto uri =
      parseTransportUri("rtu:/dev/ttyUSB0?baud=9600&parity=E&timeout_ms=300&retries=2");
  ASSERT_TRUE(uri.has_value()) << describe(uri.error());
  EXPECT_EQ(uri->scheme, TransportScheme::Rtu);
  EXPECT_EQ(uri->serial.device, "/dev/ttyUSB0");
  EXPECT_EQ(uri->serial.baud, 9600);
  EXPECT_EQ(uri->serial.parity, Parity::Even);
  EXPECT_EQ(uri->timing.responseTimeoutMs, 300);
  EXPECT_EQ(uri->timing.retries, 2);
}

TEST(TransportUriTest, TcpSchemes) {
  const auto tcp = parseTransportUri("tcp://10.0.0.5");
  ASSERT_TRUE(tcp.has_value());
  EXPECT_EQ(tcp->port, 502);
  const auto rtuTcp = parseTransportUri(
      "rtu+tcp://gw1.local:4001?byte_timeout_ms=20&delay_ms=5&quiet_ms=80&connect_timeout_ms=900");
  ASSERT_TRUE(rtuTcp.has_value()) << describe(rtuTcp.error());
  EXPECT_EQ(rtuTcp->scheme, TransportScheme::RtuOverTcp);
  EXPECT_EQ(rtuTcp->host, "gw1.local");
  EXPECT_EQ(rtuTcp->port, 4001);
  EXPECT_EQ(rtuTcp->timing.byteTimeoutMs, 20);
  EXPECT_EQ(rtuTcp->timing.interRequestDelayMs, 5);
  EXPECT_EQ(rtuTcp->timing.quietMs, 80);
  EXPECT_EQ(rtuTcp->timing.connectTimeoutMs, 900);
  const auto v6 = parseTransportUri("dlt645+tcp://[::1]:6000");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->scheme, TransportScheme::Dlt645Tcp);
  const auto dltSerial = parseTransportUri("dlt645:/dev/pts/3");
  ASSERT_TRUE(dltSerial.has_value());
  EXPECT_EQ(dltSerial->serial.baud, 2400);
}

TEST(TransportUriTest, Errors) {
  for (const char* bad : {"", "http://x", "rtu:", "rtu+tcp://host", "tcp://:502", "tcp://h:0",
                          "tcp://h:70000", "tcp://h:502?baud=9600", "rtu:/dev/x?parity=X",
                          "rtu:/dev/x?timeout_ms=0", "rtu:/dev/x?retries=99",
                          "rtu:/dev/x?colour=blue", "rtu:/dev/x?baud", "dlt645+tcp://[::1"}) {
    const auto uri = parseTransportUri(bad);
    ASSERT_FALSE(uri.has_value()) << bad;
    EXPECT_EQ(uri.error().kind, DeviceErrorKind::InvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace prepaid::devices
