#pragma once

// One Modbus bus (a serial line, or a gateway connection). The public methods are non-virtual and
// own the locking, the inter-request delay and the read retries; the protected virtuals do one
// exchange (ArduPilot's UARTDriver pattern). One instance per bus, shared by the bus's meters:
// requests from several threads are serialised, so a half-duplex bus sees one at a time. The
// connection is opened lazily on the first request and reopened after an I/O error.

#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "prepaid/meter/byte_stream.hpp"
#include "prepaid/meter/device_error.hpp"
#include "prepaid/meter/transport_uri.hpp"

namespace prepaid::devices {

struct RtuRequest;

class ModbusTransport {
 public:
  explicit ModbusTransport(BusTiming timing) : m_timing(timing) {}
  virtual ~ModbusTransport() = default;
  ModbusTransport(const ModbusTransport&) = delete;
  ModbusTransport& operator=(const ModbusTransport&) = delete;

  /// Reads `count` (1..125) registers with function 0x03 or 0x04. Retries retryable failures
  /// up to timing().retries times. Errors: see DeviceErrorKind. Thread-safe.
  [[nodiscard]] std::expected<std::vector<std::uint16_t>, DeviceError> readRegisters(
      std::uint8_t unit, std::uint8_t function, std::uint16_t address, std::uint16_t count);

  /// Writes 1..123 registers with function 0x10, exactly once (never retried: a lost reply is
  /// not proof that nothing happened). ConnectionFailed means it was not sent. Thread-safe.
  [[nodiscard]] std::expected<void, DeviceError> writeRegisters(
      std::uint8_t unit, std::uint16_t address, std::span<const std::uint16_t> values);

  [[nodiscard]] const BusTiming& timing() const { return m_timing; }

  /// "rtu+tcp 10.0.0.5:4001" etc., for messages.
  [[nodiscard]] virtual std::string describe() const = 0;

 protected:
  /// One exchange, called with the bus lock held.
  [[nodiscard]] virtual std::expected<std::vector<std::uint16_t>, DeviceError> doRead(
      std::uint8_t unit, std::uint8_t function, std::uint16_t address, std::uint16_t count) = 0;
  [[nodiscard]] virtual std::expected<void, DeviceError> doWrite(
      std::uint8_t unit, std::uint16_t address, std::span<const std::uint16_t> values) = 0;

 private:
  void waitForBusIdle();

  std::mutex m_mutex;
  BusTiming m_timing;
  std::chrono::steady_clock::time_point m_lastExchangeEnd{};
};

/// Modbus RTU framing with CRC16 over a byte stream: RTU over TCP for transparent serial servers
/// (and usable on a serial port). After a timeout or a bad reply it drains the stream until the
/// line has been quiet for timing().quietMs, so a late reply is never taken as the next answer.
class RtuStreamTransport final : public ModbusTransport {
 public:
  RtuStreamTransport(std::unique_ptr<ByteStream> stream, BusTiming timing);
  [[nodiscard]] std::string describe() const override;

 protected:
  std::expected<std::vector<std::uint16_t>, DeviceError> doRead(std::uint8_t unit,
                                                                std::uint8_t function,
                                                                std::uint16_t address,
                                                                std::uint16_t count) override;
  std::expected<void, DeviceError> doWrite(std::uint8_t unit, std::uint16_t address,
                                           std::span<const std::uint16_t> values) override;

 private:
  std::expected<std::vector<std::uint16_t>, DeviceError> exchange(const RtuRequest& request);

  std::unique_ptr<ByteStream> m_stream;
};

/// Opens the Modbus transport a URI names (rtu:, tcp://, rtu+tcp://). libmodbus for rtu: and
/// tcp:// (its context never leaves this object and is only used under the bus lock).
/// Errors: InvalidArgument (not a Modbus URI). Connection errors appear on the first request.
[[nodiscard]] std::expected<std::shared_ptr<ModbusTransport>, DeviceError> openModbusTransport(
    const TransportUri& uri);
[[nodiscard]] std::expected<std::shared_ptr<ModbusTransport>, DeviceError> openModbusTransport(
    std::string_view uri);

}  // namespace prepaid::devices
