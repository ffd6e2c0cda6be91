#pragma once

// Byte streams under the transports that do their own framing (RTU over TCP, DL/T 645): a TCP
// socket or a serial port. Not thread-safe: a transport owns its stream and locks around it.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <span>
#include <string>

#include "prepaid/meter/device_error.hpp"
#include "prepaid/meter/transport_uri.hpp"

namespace prepaid::devices {

/// Something replies can be read from (a stream, or a scripted source in tests and fuzzers).
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  /// Reads 1..buffer.size() bytes, waiting at most `timeoutMs` (0: do not wait) for the first.
  /// Returns 0 when nothing arrived in time. Errors: Io (peer closed, read failed).
  [[nodiscard]] virtual std::expected<std::size_t, DeviceError> readSome(
      std::span<std::uint8_t> buffer, int timeoutMs) = 0;
};

class ByteStream : public ByteSource {
 public:
  /// Opens/connects. Error: ConnectionFailed.
  [[nodiscard]] virtual std::expected<void, DeviceError> open() = 0;
  virtual void close() = 0;
  [[nodiscard]] virtual bool isOpen() const = 0;
  /// Writes every byte. Error: Io (the stream is closed afterwards).
  [[nodiscard]] virtual std::expected<void, DeviceError> writeAll(
      std::span<const std::uint8_t> bytes) = 0;
  /// "tcp 127.0.0.1:5020" / "serial /dev/ttyUSB0" for messages.
  [[nodiscard]] virtual std::string describe() const = 0;
};

/// A TCP client stream (hostname or IP; IPv4/IPv6), TCP_NODELAY.
[[nodiscard]] std::unique_ptr<ByteStream> makeTcpStream(std::string host, std::uint16_t port,
                                                        int connectTimeoutMs);

/// A raw serial port (termios, no flow control), e.g. a USB RS-485 adapter or a pty.
[[nodiscard]] std::unique_ptr<ByteStream> makeSerialStream(SerialSettings settings);

/// Discards input until `source` has been silent for `quietMs`, spending at most `maxMs`.
/// Returns the number of bytes discarded; stops early on an Io error.
std::size_t drainUntilQuiet(ByteSource& source, int quietMs, int maxMs);

}  // namespace prepaid::devices
