#include "libmodbus_transport.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <vector>

#include <modbus/modbus.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "prepaid/meter/crc16.hpp"
#include "prepaid/meter/rtu_frame.hpp"

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

enum class Framing { Rtu, Tcp };

constexpr std::size_t MbapHeaderBytes = 7;  // transaction id, protocol id, length, unit id

class LibmodbusTransport final : public ModbusTransport {
 public:
  LibmodbusTransport(modbus_t* ctx, Framing framing, std::string name, BusTiming timing)
      : ModbusTransport(timing), m_ctx(ctx), m_framing(framing), m_name(std::move(name)) {
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
    if (m_framing == Framing::Tcp) {
      return tcpExchange(RtuRequest{
          .unit = unit, .function = function, .address = address, .count = count, .values = {}});
    }
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
    if (m_framing == Framing::Tcp) {
      auto done = tcpExchange(
          RtuRequest{.unit = unit,
                     .function = 0x10,
                     .address = address,
                     .count = static_cast<std::uint16_t>(values.size()),
                     .values = std::vector<std::uint16_t>(values.begin(), values.end())});
      if (!done) {
        return std::unexpected(done.error());
      }
      return {};
    }
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
    // Whatever is already buffered answers no request of ours (a reply that came after we gave
    // up on it): drop it before sending.
    modbus_flush(m_ctx);
    modbus_set_slave(m_ctx, unit);
    return {};
  }

  // Modbus TCP. libmodbus 3.1.6 checks only the transaction and protocol ids of a TCP reply,
  // never the unit id, so a gateway that answers for another meter on its bus would hand us that
  // meter's registers. So we build the ADU ourselves (our own transaction id: libmodbus's
  // modbus_send_raw_request always sends transaction id 0, which would make a late reply to an
  // earlier request indistinguishable), let libmodbus receive it (modbus_receive_confirmation:
  // its connection, timeouts and function-driven framing) and check every header field, then
  // the PDU with the same strict checks as an RTU reply.
  std::expected<std::vector<std::uint16_t>, DeviceError> tcpExchange(const RtuRequest& request) {
    if (auto ready = prepare(request.unit); !ready) {
      return std::unexpected(ready.error());
    }
    m_transactionId = static_cast<std::uint16_t>(m_transactionId + 1);
    const std::vector<std::uint8_t> rtu = encodeRtuRequest(request);
    // unit + PDU: the RTU ADU without its CRC
    const std::size_t unitAndPdu = rtu.size() - 2;
    std::vector<std::uint8_t> adu{static_cast<std::uint8_t>(m_transactionId >> 8),
                                  static_cast<std::uint8_t>(m_transactionId & 0xFF),
                                  0,
                                  0,
                                  static_cast<std::uint8_t>(unitAndPdu >> 8),
                                  static_cast<std::uint8_t>(unitAndPdu & 0xFF)};
    adu.insert(adu.end(), rtu.begin(), rtu.begin() + static_cast<std::ptrdiff_t>(unitAndPdu));
    if (!sendAll(adu)) {
      return std::unexpected(failed(errno, request.unit));
    }
    std::uint8_t reply[MODBUS_TCP_MAX_ADU_LENGTH];
    const int n = receiveSkippingStale(reply);
    if (n < 0) {
      return std::unexpected(failed(errno, request.unit));
    }
    auto checked =
        checkTcpReply(std::span<const std::uint8_t>(reply, static_cast<std::size_t>(n)), request);
    if (!checked && checked.error().kind != DeviceErrorKind::ModbusException) {
      waitOutTheLine();
    }
    return checked;
  }

  // A reply to one of our last few transactions that comes after we gave up on it (and after
  // the line was drained) is not an answer to this request: skip it and keep waiting for ours
  // within the same response timeout, rather than failing this read too. Anything else is
  // returned for checkTcpReply to judge. Returns the length, or -1 with errno set.
  int receiveSkippingStale(std::uint8_t* reply) {
    constexpr std::uint16_t StaleWindow = 16;
    const auto deadline = Clock::now() + std::chrono::milliseconds(timing().responseTimeoutMs);
    int n = modbus_receive_confirmation(m_ctx, reply);
    bool shortened = false;
    while (n >= static_cast<int>(MbapHeaderBytes)) {
      const auto tid = static_cast<std::uint16_t>((reply[0] << 8) | reply[1]);
      const auto age = static_cast<std::uint16_t>(m_transactionId - tid);
      if (age == 0 || age > StaleWindow || reply[2] != 0 || reply[3] != 0) {
        break;
      }
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) {
        errno = ETIMEDOUT;
        n = -1;
        break;
      }
      setTimeout(m_ctx, modbus_set_response_timeout, static_cast<int>(left));
      shortened = true;
      n = modbus_receive_confirmation(m_ctx, reply);
    }
    if (shortened) {
      const int saved = errno;
      setTimeout(m_ctx, modbus_set_response_timeout, timing().responseTimeoutMs);
      errno = saved;
    }
    return n;
  }

  std::expected<std::vector<std::uint16_t>, DeviceError> checkTcpReply(
      std::span<const std::uint8_t> reply, const RtuRequest& request) const {
    const std::string where = m_name + " unit " + std::to_string(request.unit) + ": ";
    if (reply.size() < MbapHeaderBytes + 2) {
      return std::unexpected(
          makeError(DeviceErrorKind::MalformedReply,
                    where + "reply of " + std::to_string(reply.size()) + " bytes"));
    }
    const auto field = [&](std::size_t at) {
      return static_cast<std::uint16_t>((reply[at] << 8) | reply[at + 1]);
    };
    if (field(0) != m_transactionId) {
      return std::unexpected(makeError(DeviceErrorKind::MalformedReply,
                                       where + "reply to transaction " + std::to_string(field(0)) +
                                           ", sent transaction " +
                                           std::to_string(m_transactionId)));
    }
    if (field(2) != 0) {
      return std::unexpected(makeError(DeviceErrorKind::MalformedReply,
                                       where + "protocol id " + std::to_string(field(2))));
    }
    // The length field counts the unit id and the PDU. libmodbus frames the reply by its
    // function code, so a length that disagrees means bytes were missing or left over.
    if (std::size_t{field(4)} != reply.size() - 6) {
      return std::unexpected(makeError(DeviceErrorKind::MalformedReply,
                                       where + "MBAP length " + std::to_string(field(4)) +
                                           " for a reply of " + std::to_string(reply.size() - 6) +
                                           " bytes after it"));
    }
    // From the unit id on, a TCP reply is an RTU reply without the CRC: give it the checks of
    // parseRtuReply (unit -> WrongAddress, exception, function, byte count, write echo).
    std::vector<std::uint8_t> frame(reply.begin() + MbapHeaderBytes - 1, reply.end());
    const std::uint16_t crc = crc16(frame);
    frame.push_back(static_cast<std::uint8_t>(crc & 0xFF));
    frame.push_back(static_cast<std::uint8_t>(crc >> 8));
    auto parsed = parseRtuReply(frame, request);
    if (!parsed) {
      DeviceError error = parsed.error();
      error.detail = where + error.detail;
      return std::unexpected(error);
    }
    return parsed;
  }

  bool sendAll(std::span<const std::uint8_t> bytes) {
    const int fd = modbus_get_socket(m_ctx);
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        if (n == 0) {
          errno = ECONNRESET;
        }
        return false;
      }
      done += static_cast<std::size_t>(n);
    }
    return true;
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
  Framing m_framing;
  std::string m_name;
  bool m_connected = false;
  std::uint16_t m_transactionId = 0;  // Modbus TCP: last transaction id sent
};

}  // namespace

std::expected<std::shared_ptr<ModbusTransport>, DeviceError> makeLibmodbusTransport(
    const TransportUri& uri) {
  modbus_t* ctx = nullptr;
  std::string name;
  const Framing framing = uri.scheme == TransportScheme::Tcp ? Framing::Tcp : Framing::Rtu;
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
  return std::make_shared<LibmodbusTransport>(ctx, framing, name, uri.timing);
}

}  // namespace prepaid::devices
