#pragma once

// Transport URIs (devices/meter/README.md):
//   rtu:/dev/ttyUSB0?baud=9600&parity=E     Modbus RTU on a serial port (libmodbus)
//   tcp://host:502                          Modbus TCP (libmodbus), port defaults to 502
//   rtu+tcp://host:port                     Modbus RTU frames on a TCP socket (serial servers)
//   dlt645+tcp://host:port                  DL/T 645-2007 on a TCP socket
//   dlt645:/dev/ttyUSB0?baud=2400&parity=E  DL/T 645-2007 on a serial port
// Query parameters (all optional): baud, parity (N|E|O), data_bits (7|8), stop_bits (1|2),
// timeout_ms (response), byte_timeout_ms, delay_ms (inter-request), retries (reads only),
// quiet_ms (line settle after an error), connect_timeout_ms.

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include "prepaid/meter/device_error.hpp"

namespace prepaid::devices {

/// Timing of one bus. Defaults suit a 9600-baud RS-485 bus behind a gateway.
struct BusTiming {
  int responseTimeoutMs = 1000;  // request sent -> first reply byte
  int byteTimeoutMs = 100;       // longest gap between two bytes of one reply
  int interRequestDelayMs = 0;   // idle time enforced between two exchanges on the bus
  int retries = 1;               // extra attempts of a failed READ (commands are never repeated)
  int quietMs = 100;             // after an error: drain until the line is silent this long
  int connectTimeoutMs = 2000;   // TCP connect
};

enum class TransportScheme { Rtu, Tcp, RtuOverTcp, Dlt645Tcp, Dlt645Serial };

enum class Parity : char { None = 'N', Even = 'E', Odd = 'O' };

struct SerialSettings {
  std::string device;  // /dev/ttyUSB0
  int baud = 9600;
  Parity parity = Parity::Even;  // RS-485 meters are usually 8E1 (Modbus default)
  int dataBits = 8;
  int stopBits = 1;
};

struct TransportUri {
  TransportScheme scheme = TransportScheme::Tcp;
  std::string host;        // TCP schemes
  std::uint16_t port = 0;  // TCP schemes
  SerialSettings serial;   // serial schemes
  BusTiming timing;
};

/// Parses a transport URI. Error: InvalidArgument naming the offending part.
[[nodiscard]] std::expected<TransportUri, DeviceError> parseTransportUri(std::string_view uri);

/// Is the scheme one of the Modbus ones (Rtu, Tcp, RtuOverTcp)?
[[nodiscard]] bool isModbusScheme(TransportScheme scheme);

[[nodiscard]] std::string_view toString(TransportScheme scheme);

}  // namespace prepaid::devices
