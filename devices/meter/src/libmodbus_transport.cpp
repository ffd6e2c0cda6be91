#include "libmodbus_transport.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>

#include <modbus/modbus.h>
#include <poll.h>
#include <unistd.h>

namespace prepaid::devices {

namespace {

using Clock = std::chrono::steady_clock;

void setTimeout(modbus_t* ctx, int (*setter)(modbus_t*, uint32_t, uint32_t), int ms) {
  setter(ctx, static_cast<uint32_t>(ms / 1000), static_cast<uint32_t>((ms % 1000) * 1000));
}

// libmodbus reports failures through errno; each maps to one DeviceErrorKind.
DeviceError fromErrno(int error, const std::string& where) {
  if (error > MODBUS_ENOBASE && error < MODBUS_ENOBASE + MODBUS_EXCEPTION_MAX) {
    DeviceError out =
        makeError(DeviceErrorKind::ModbusException, where + ": " + modbus_strerror(error));
    out.exceptionCode = static_cast<std::uint8_t>(error - MODBUS_ENOBASE);
    return out;
  }
  switch (error) {
    case ETIMEDOUT:
      return makeError(DeviceErrorKind::Timeout, where + ": no reply");
    case EMBBADCRC:
      return makeError(DeviceErrorKind::Crc, where + ": " + modbus_strerror(error));
    case EMBBADSLAVE:
      return makeError(DeviceErrorKind::WrongAddress, where + ": " + modbus_strerror(error));
    case EMBBADDATA:
    case EMBBADEXC:
    case EMBUNKEXC:
      return makeError(DeviceErrorKind::MalformedReply, where + ": " + modbus_strerror(error));
    case EMBMDATA:
      return makeError(DeviceErrorKind::InvalidArgument, where + ": " + modbus_strerror(error));
    default:
      return makeError(DeviceErrorKind::Io, where + ": " + modbus_strerror(error));
  }
}

class LibmodbusTransport final : public ModbusTransport {
 public:
  LibmodbusTransport(modbus_t* ctx, std::string name, BusTiming timing)
      : ModbusTransport(timing), m_ctx(ctx), m_name(std::move(name)) {
    setTimeout(m_ctx, modbus_set_response_timeout, timing.responseTimeoutMs);
    setTimeout(m_ctx, modbus_set_byte_timeout, timing.byteTimeoutMs);
    modbus_set_error_recovery(m_ctx, MODBUS_ERROR_RECOVERY_NONE);
  }
  ~LibmodbusTransport() override {
    if (m_connected) {
      modbus_close(m_ctx);
    }
    modbus_free(m_ctx);
  }

  std::string describe() const override { return m_name; }

 protected:
  std::expected<std::vector<std::uint16_t>, DeviceError> doRead(std::uint8_t unit,
                                                                std::uint8_t function,
                                                                std::uint16_t address,
                                                                std::uint16_t count) override {
    if (auto ready = prepare(unit); !ready) {
      return std::unexpected(ready.error());
    }
    std::vector<std::uint16_t> registers(count);
    const int n = function == 0x04
                      ? modbus_read_input_registers(m_ctx, address, count, registers.data())
                      : modbus_read_registers(m_ctx, address, count, registers.data());
    if (n != count) {
      return std::unexpected(failed(n < 0 ? errno : EMBBADDATA, unit));
    }
    return registers;
  }

  std::expected<void, DeviceError> doWrite(std::uint8_t unit, std::uint16_t address,
                                           std::span<const std::uint16_t> values) override {
    if (auto ready = prepare(unit); !ready) {
      return std::unexpected(ready.error());
    }
    const int n =
        modbus_write_registers(m_ctx, address, static_cast<int>(values.size()), values.data());
    if (n != static_cast<int>(values.size())) {
      return std::unexpected(failed(n < 0 ? errno : EMBBADDATA, unit));
    }
    return {};
  }

 private:
  std::expected<void, DeviceError> prepare(std::uint8_t unit) {
    if (!m_connected) {
      if (modbus_connect(m_ctx) != 0) {
        return std::unexpected(
            makeError(DeviceErrorKind::ConnectionFailed, m_name + ": " + modbus_strerror(errno)));
      }
      m_connected = true;
    }
    modbus_set_slave(m_ctx, unit);
    return {};
  }

  DeviceError failed(int error, std::uint8_t unit) {
    DeviceError out = fromErrno(error, m_name + " unit " + std::to_string(unit));
    if (out.kind == DeviceErrorKind::Io) {
      modbus_close(m_ctx);  // reconnect on the next request
      m_connected = false;
    } else if (out.kind != DeviceErrorKind::ModbusException) {
      waitOutTheLine();
    }
    return out;
  }

  // libmodbus has no "drain until silent": poll its descriptor ourselves, so that a reply that
  // arrives after the timeout is discarded here instead of answering the next request.
  void waitOutTheLine() {
    const int fd = modbus_get_socket(m_ctx);
    if (fd < 0) {
      return;
    }
    const auto& t = timing();
    const auto deadline =
        Clock::now() + std::chrono::milliseconds(std::max(t.quietMs, t.responseTimeoutMs));
    std::uint8_t buffer[256];
    while (Clock::now() < deadline) {
      pollfd pfd{fd, POLLIN, 0};
      if (::poll(&pfd, 1, t.quietMs) <= 0) {
        break;
      }
      if (::read(fd, buffer, sizeof buffer) <= 0) {
        modbus_close(m_ctx);
        m_connected = false;
        break;
      }
    }
  }

  modbus_t* m_ctx;
  std::string m_name;
  bool m_connected = false;
};

}  // namespace

std::expected<std::shared_ptr<ModbusTransport>, DeviceError> makeLibmodbusTransport(
    const TransportUri& uri) {
  modbus_t* ctx = nullptr;
  std::string name;
  if (uri.scheme == TransportScheme::Tcp) {
    const std::string port = std::to_string(uri.port);
    ctx = modbus_new_tcp_pi(uri.host.c_str(), port.c_str());
    name = "tcp " + uri.host + ":" + port;
  } else {
    const auto& s = uri.serial;
    ctx = modbus_new_rtu(s.device.c_str(), s.baud, static_cast<char>(s.parity), s.dataBits,
                         s.stopBits);
    name = "rtu " + s.device;
  }
  if (ctx == nullptr) {
    return std::unexpected(
        makeError(DeviceErrorKind::InvalidArgument, name + ": " + modbus_strerror(errno)));
  }
  return std::make_shared<LibmodbusTransport>(ctx, name, uri.timing);
}

}  // namespace prepaid::devices
