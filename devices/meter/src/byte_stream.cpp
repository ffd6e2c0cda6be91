#include "prepaid/meter/byte_stream.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

namespace prepaid::devices {

namespace {

using Clock = std::chrono::steady_clock;

std::string errnoText(int error) {
  return std::strerror(error);
}

// Shared by both streams: both are non-blocking file descriptors.
class FdStream : public ByteStream {
 public:
  ~FdStream() override { closeFd(); }

  void close() override { closeFd(); }
  bool isOpen() const override { return m_fd >= 0; }

  std::expected<std::size_t, DeviceError> readSome(std::span<std::uint8_t> buffer,
                                                   int timeoutMs) override {
    if (m_fd < 0) {
      return std::unexpected(makeError(DeviceErrorKind::Io, describe() + ": not open"));
    }
    if (buffer.empty()) {
      return 0;
    }
    pollfd pfd{m_fd, POLLIN, 0};
    int ready = 0;
    do {
      ready = ::poll(&pfd, 1, timeoutMs);
    } while (ready < 0 && errno == EINTR);
    if (ready < 0) {
      const int error = errno;
      closeFd();
      return std::unexpected(
          makeError(DeviceErrorKind::Io, describe() + ": poll: " + errnoText(error)));
    }
    if (ready == 0) {
      return 0;
    }
    ssize_t n = 0;
    do {
      n = ::read(m_fd, buffer.data(), buffer.size());
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
      return static_cast<std::size_t>(n);
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return 0;
    }
    const std::string why = n == 0 ? "connection closed by peer" : errnoText(errno);
    closeFd();
    return std::unexpected(makeError(DeviceErrorKind::Io, describe() + ": " + why));
  }

  std::expected<void, DeviceError> writeAll(std::span<const std::uint8_t> bytes) override {
    if (m_fd < 0) {
      return std::unexpected(makeError(DeviceErrorKind::Io, describe() + ": not open"));
    }
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = writeSome(bytes.subspan(done));
      if (n > 0) {
        done += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        pollfd pfd{m_fd, POLLOUT, 0};
        if (::poll(&pfd, 1, 1000) > 0) {
          continue;
        }
      }
      const int error = errno;
      closeFd();
      return std::unexpected(
          makeError(DeviceErrorKind::Io, describe() + ": write: " + errnoText(error)));
    }
    return {};
  }

 protected:
  virtual ssize_t writeSome(std::span<const std::uint8_t> bytes) {
    return ::write(m_fd, bytes.data(), bytes.size());
  }
  void closeFd() {
    if (m_fd >= 0) {
      ::close(m_fd);
      m_fd = -1;
    }
  }
  int m_fd = -1;
};

class TcpStream final : public FdStream {
 public:
  TcpStream(std::string host, std::uint16_t port, int connectTimeoutMs)
      : m_host(std::move(host)), m_port(port), m_connectTimeoutMs(connectTimeoutMs) {}

  std::expected<void, DeviceError> open() override {
    closeFd();
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const std::string service = std::to_string(m_port);
    if (const int rc = ::getaddrinfo(m_host.c_str(), service.c_str(), &hints, &found); rc != 0) {
      return std::unexpected(
          makeError(DeviceErrorKind::ConnectionFailed, describe() + ": " + ::gai_strerror(rc)));
    }
    std::string lastError = "no address";
    for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
      const int fd =
          ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
      if (fd < 0) {
        lastError = errnoText(errno);
        continue;
      }
      int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
      if (rc < 0 && errno == EINPROGRESS) {
        pollfd pfd{fd, POLLOUT, 0};
        rc = ::poll(&pfd, 1, m_connectTimeoutMs);
        if (rc == 0) {
          lastError = "connect timed out";
          ::close(fd);
          continue;
        }
        int error = 0;
        socklen_t len = sizeof error;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
        rc = error == 0 ? 0 : -1;
        errno = error;
      }
      if (rc != 0) {
        lastError = errnoText(errno);
        ::close(fd);
        continue;
      }
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      m_fd = fd;
      break;
    }
    ::freeaddrinfo(found);
    if (m_fd < 0) {
      return std::unexpected(
          makeError(DeviceErrorKind::ConnectionFailed, describe() + ": " + lastError));
    }
    return {};
  }

  std::string describe() const override { return "tcp " + m_host + ":" + std::to_string(m_port); }

 protected:
  ssize_t writeSome(std::span<const std::uint8_t> bytes) override {
    // MSG_NOSIGNAL: a peer that went away is an Io error, not a SIGPIPE.
    return ::send(m_fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }

 private:
  std::string m_host;
  std::uint16_t m_port;
  int m_connectTimeoutMs;
};

speed_t baudConstant(int baud) {
  switch (baud) {
    case 1200:
      return B1200;
    case 2400:
      return B2400;
    case 4800:
      return B4800;
    case 9600:
      return B9600;
    case 19200:
      return B19200;
    case 38400:
      return B38400;
    case 57600:
      return B57600;
    case 115200:
      return B115200;
    default:
      return B0;
  }
}

class SerialStream final : public FdStream {
 public:
  explicit SerialStream(SerialSettings settings) : m_settings(std::move(settings)) {}

  std::expected<void, DeviceError> open() override {
    closeFd();
    const speed_t speed = baudConstant(m_settings.baud);
    if (speed == B0) {
      return std::unexpected(
          makeError(DeviceErrorKind::ConnectionFailed,
                    describe() + ": unsupported baud rate " + std::to_string(m_settings.baud)));
    }
    const int fd = ::open(m_settings.device.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      return std::unexpected(
          makeError(DeviceErrorKind::ConnectionFailed, describe() + ": " + errnoText(errno)));
    }
    termios tio{};
    if (::tcgetattr(fd, &tio) != 0) {
      const int error = errno;
      ::close(fd);
      return std::unexpected(
          makeError(DeviceErrorKind::ConnectionFailed, describe() + ": " + errnoText(error)));
    }
    ::cfmakeraw(&tio);
    tio.c_cflag |= CLOCAL | CREAD;
    tio.c_cflag &= ~static_cast<tcflag_t>(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
    tio.c_cflag |= m_settings.dataBits == 7 ? CS7 : CS8;
    if (m_settings.parity != Parity::None) {
      tio.c_cflag |= PARENB;
      if (m_settings.parity == Parity::Odd) {
        tio.c_cflag |= PARODD;
      }
    }
    if (m_settings.stopBits == 2) {
      tio.c_cflag |= CSTOPB;
    }
    ::cfsetispeed(&tio, speed);
    ::cfsetospeed(&tio, speed);
    if (::tcsetattr(fd, TCSANOW, &tio) != 0) {
      const int error = errno;
      ::close(fd);
      return std::unexpected(
          makeError(DeviceErrorKind::ConnectionFailed, describe() + ": " + errnoText(error)));
    }
    ::tcflush(fd, TCIOFLUSH);
    m_fd = fd;
    return {};
  }

  std::string describe() const override { return "serial " + m_settings.device; }

 private:
  SerialSettings m_settings;
};

}  // namespace

std::unique_ptr<ByteStream> makeTcpStream(std::string host, std::uint16_t port,
                                          int connectTimeoutMs) {
  return std::make_unique<TcpStream>(std::move(host), port, connectTimeoutMs);
}

std::unique_ptr<ByteStream> makeSerialStream(SerialSettings settings) {
  return std::make_unique<SerialStream>(std::move(settings));
}

std::size_t drainUntilQuiet(ByteSource& source, int quietMs, int maxMs) {
  std::size_t discarded = 0;
  const auto deadline = Clock::now() + std::chrono::milliseconds(maxMs);
  std::uint8_t buffer[256];
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    const int wait =
        static_cast<int>(std::max<std::int64_t>(0, std::min<std::int64_t>(quietMs, left)));
    const auto n = source.readSome(buffer, wait);
    if (!n || *n == 0) {
      // Silent for a full quiet period (or out of budget, or the stream failed).
      return discarded;
    }
    discarded += *n;
    if (Clock::now() >= deadline) {
      return discarded;
    }
  }
}

}  // namespace prepaid::devices
