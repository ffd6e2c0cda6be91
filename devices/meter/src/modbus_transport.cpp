#include "prepaid/meter/modbus_transport.hpp"

#include <algorithm>
#include <thread>

#include "libmodbus_transport.hpp"

#include "prepaid/meter/rtu_frame.hpp"

namespace prepaid::devices {

void ModbusTransport::waitForBusIdle() {
  if (m_timing.interRequestDelayMs <= 0) {
    return;
  }
  const auto ready = m_lastExchangeEnd + std::chrono::milliseconds(m_timing.interRequestDelayMs);
  std::this_thread::sleep_until(ready);
}

std::expected<std::vector<std::uint16_t>, DeviceError> ModbusTransport::readRegisters(
    std::uint8_t unit, std::uint8_t function, std::uint16_t address, std::uint16_t count) {
  const RtuRequest request{
      .unit = unit, .function = function, .address = address, .count = count, .values = {}};
  if (auto valid = validateRtuRequest(request); !valid) {
    return std::unexpected(valid.error());
  }
  std::lock_guard lock(m_mutex);
  std::expected<std::vector<std::uint16_t>, DeviceError> result;
  for (int attempt = 0; attempt <= m_timing.retries; ++attempt) {
    waitForBusIdle();
    result = doRead(unit, function, address, count);
    m_lastExchangeEnd = std::chrono::steady_clock::now();
    if (result || !isRetryableRead(result.error().kind)) {
      break;
    }
  }
  return result;
}

std::expected<void, DeviceError> ModbusTransport::writeRegisters(
    std::uint8_t unit, std::uint16_t address, std::span<const std::uint16_t> values) {
  const RtuRequest request{.unit = unit,
                           .function = 0x10,
                           .address = address,
                           .count = static_cast<std::uint16_t>(values.size()),
                           .values = std::vector<std::uint16_t>(values.begin(), values.end())};
  if (values.size() > MaxWriteRegisters) {
    return std::unexpected(makeError(DeviceErrorKind::InvalidArgument, "too many registers"));
  }
  if (auto valid = validateRtuRequest(request); !valid) {
    return std::unexpected(valid.error());
  }
  std::lock_guard lock(m_mutex);
  waitForBusIdle();
  auto result = doWrite(unit, address, values);
  m_lastExchangeEnd = std::chrono::steady_clock::now();
  return result;
}

RtuStreamTransport::RtuStreamTransport(std::unique_ptr<ByteStream> stream, BusTiming timing)
    : ModbusTransport(timing), m_stream(std::move(stream)) {}

std::string RtuStreamTransport::describe() const {
  return "rtu framing on " + m_stream->describe();
}

std::expected<std::vector<std::uint16_t>, DeviceError> RtuStreamTransport::exchange(
    const RtuRequest& request) {
  if (!m_stream->isOpen()) {
    if (auto opened = m_stream->open(); !opened) {
      return std::unexpected(opened.error());
    }
  }
  // Whatever is still buffered belongs to no request of ours (a reply that came after we gave
  // up on it, or line noise): drop it before sending.
  drainUntilQuiet(*m_stream, 0, 0);
  if (auto sent = m_stream->writeAll(encodeRtuRequest(request)); !sent) {
    return std::unexpected(sent.error());
  }
  const auto& t = timing();
  auto frame = readRtuFrame(*m_stream, request, t.responseTimeoutMs, t.byteTimeoutMs);
  std::expected<std::vector<std::uint16_t>, DeviceError> result =
      frame
          ? parseRtuReply(*frame, request)
          : std::expected<std::vector<std::uint16_t>, DeviceError>(std::unexpected(frame.error()));
  if (!result && m_stream->isOpen() && result.error().kind != DeviceErrorKind::ModbusException) {
    // Wait out the line: a slow meter may still be answering, and its reply must not be read
    // as the answer to the next request.
    drainUntilQuiet(*m_stream, t.quietMs, std::max(t.quietMs, t.responseTimeoutMs));
  }
  return result;
}

std::expected<std::vector<std::uint16_t>, DeviceError> RtuStreamTransport::doRead(
    std::uint8_t unit, std::uint8_t function, std::uint16_t address, std::uint16_t count) {
  return exchange(RtuRequest{
      .unit = unit, .function = function, .address = address, .count = count, .values = {}});
}

std::expected<void, DeviceError> RtuStreamTransport::doWrite(
    std::uint8_t unit, std::uint16_t address, std::span<const std::uint16_t> values) {
  auto result =
      exchange(RtuRequest{.unit = unit,
                          .function = 0x10,
                          .address = address,
                          .count = static_cast<std::uint16_t>(values.size()),
                          .values = std::vector<std::uint16_t>(values.begin(), values.end())});
  if (!result) {
    return std::unexpected(result.error());
  }
  return {};
}

std::expected<std::shared_ptr<ModbusTransport>, DeviceError> openModbusTransport(
    const TransportUri& uri) {
  switch (uri.scheme) {
    case TransportScheme::RtuOverTcp:
      return std::make_shared<RtuStreamTransport>(
          makeTcpStream(uri.host, uri.port, uri.timing.connectTimeoutMs), uri.timing);
    case TransportScheme::Tcp:
    case TransportScheme::Rtu:
      return makeLibmodbusTransport(uri);
    case TransportScheme::Dlt645Tcp:
    case TransportScheme::Dlt645Serial:
      break;
  }
  return std::unexpected(
      makeError(DeviceErrorKind::InvalidArgument,
                std::string(toString(uri.scheme)) + " is not a Modbus transport"));
}

std::expected<std::shared_ptr<ModbusTransport>, DeviceError> openModbusTransport(
    std::string_view uri) {
  auto parsed = parseTransportUri(uri);
  if (!parsed) {
    return std::unexpected(parsed.error());
  }
  return openModbusTransport(*parsed);
}

}  // namespace prepaid::devices
