#include "prepaid/printer/printer_transport.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

namespace prepaid::devices {

namespace {

PrinterError sysError(PrinterErrorCode code, std::string_view what) {
  return PrinterError{code, std::string(what) + ": " + std::strerror(errno)};
}

// Owns a file descriptor; serial ports, USB lp devices, files and sockets are all fds, so one
// class does the I/O and only opening differs.
class FdTransport final : public PrinterTransport {
 public:
  FdTransport(int fd, std::string uri, std::chrono::milliseconds timeout, bool canRead)
      : m_fd(fd), m_uri(std::move(uri)), m_timeout(timeout), m_canRead(canRead) {}
  ~FdTransport() override { ::close(m_fd); }
  FdTransport(const FdTransport&) = delete;
  FdTransport& operator=(const FdTransport&) = delete;

  std::expected<void, PrinterError> write(std::span<const std::uint8_t> bytes) override {
    std::size_t done = 0;
    const auto deadline = std::chrono::steady_clock::now() + m_timeout;
    while (done < bytes.size()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        return std::unexpected(PrinterError{PrinterErrorCode::Timeout,
                                            "printer did not accept data within the timeout"});
      }
      pollfd pfd{m_fd, POLLOUT, 0};
      const int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
      if (ready < 0) {
        if (errno == EINTR) {
          continue;
        }
        return std::unexpected(sysError(PrinterErrorCode::WriteFailed, "poll"));
      }
      if (ready == 0) {
        continue;
      }
      const ssize_t n = ::write(m_fd, bytes.data() + done, bytes.size() - done);
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) {
          continue;
        }
        return std::unexpected(sysError(PrinterErrorCode::WriteFailed, "write " + m_uri));
      }
      done += static_cast<std::size_t>(n);
    }
    return {};
  }

  std::expected<std::vector<std::uint8_t>, PrinterError> read(
      std::size_t maxBytes, std::chrono::milliseconds timeout) override {
    if (!m_canRead) {
      return std::unexpected(
          PrinterError{PrinterErrorCode::ReadFailed, m_uri + " cannot report status"});
    }
    pollfd pfd{m_fd, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
    if (ready < 0) {
      return std::unexpected(sysError(PrinterErrorCode::ReadFailed, "poll"));
    }
    if (ready == 0) {
      return std::unexpected(
          PrinterError{PrinterErrorCode::Timeout, "printer did not answer the status query"});
    }
    std::vector<std::uint8_t> buffer(maxBytes);
    const ssize_t n = ::read(m_fd, buffer.data(), buffer.size());
    if (n <= 0) {
      return std::unexpected(sysError(PrinterErrorCode::ReadFailed, "read " + m_uri));
    }
    buffer.resize(static_cast<std::size_t>(n));
    return buffer;
  }

  std::string describe() const override { return m_uri; }

 private:
  int m_fd;
  std::string m_uri;
  std::chrono::milliseconds m_timeout;
  bool m_canRead;
};

speed_t baudConstant(int baud) {
  switch (baud) {
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

std::expected<std::unique_ptr<PrinterTransport>, PrinterError> openSerial(
    std::string_view uri, std::string_view rest, std::chrono::milliseconds timeout) {
  int baud = 9600;
  std::string path(rest);
  if (const auto q = rest.find("?baud="); q != std::string_view::npos) {
    path = std::string(rest.substr(0, q));
    const auto value = rest.substr(q + 6);
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), baud);
    if (ec != std::errc() || ptr != value.data() + value.size()) {
      return std::unexpected(
          PrinterError{PrinterErrorCode::InvalidConfig, "bad baud rate in " + std::string(uri)});
    }
  }
  const speed_t speed = baudConstant(baud);
  if (speed == B0) {
    return std::unexpected(PrinterError{PrinterErrorCode::InvalidConfig,
                                        "unsupported baud rate " + std::to_string(baud)});
  }
  const int fd = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    return std::unexpected(sysError(PrinterErrorCode::OpenFailed, "open " + path));
  }
  termios tio{};
  if (::tcgetattr(fd, &tio) == 0) {
    ::cfmakeraw(&tio);
    ::cfsetispeed(&tio, speed);
    ::cfsetospeed(&tio, speed);
    tio.c_cflag |= CLOCAL | CREAD;
    ::tcsetattr(fd, TCSANOW, &tio);
  }
  return std::make_unique<FdTransport>(fd, std::string(uri), timeout, true);
}

std::expected<std::unique_ptr<PrinterTransport>, PrinterError> openTcp(
    std::string_view uri, std::string_view rest, std::chrono::milliseconds timeout) {
  const auto colon = rest.rfind(':');
  const std::string host(colon == std::string_view::npos ? rest : rest.substr(0, colon));
  const std::string port(colon == std::string_view::npos ? "9100" : rest.substr(colon + 1));
  if (host.empty() || port.empty()) {
    return std::unexpected(
        PrinterError{PrinterErrorCode::InvalidConfig, "bad TCP address in " + std::string(uri)});
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return std::unexpected(
        PrinterError{PrinterErrorCode::OpenFailed, "resolve " + host + ": " + ::gai_strerror(rc)});
  }
  int fd = -1;
  for (addrinfo* ai = found; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      continue;
    }
    // Non-blocking connect bounded by the timeout: a switched-off printer must not hang the
    // worker for the kernel's two-minute SYN retry.
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
      ::close(fd);
      fd = -1;
      continue;
    }
    pollfd pfd{fd, POLLOUT, 0};
    int soError = 0;
    socklen_t len = sizeof(soError);
    if (::poll(&pfd, 1, static_cast<int>(timeout.count())) != 1 ||
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &len) != 0 || soError != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) {
    return std::unexpected(PrinterError{PrinterErrorCode::OpenFailed,
                                        "cannot connect to printer at " + host + ":" + port});
  }
  return std::make_unique<FdTransport>(fd, std::string(uri), timeout, true);
}

}  // namespace

std::expected<std::unique_ptr<PrinterTransport>, PrinterError> openPrinterTransport(
    std::string_view uri, std::chrono::milliseconds timeout) {
  const auto colon = uri.find(':');
  if (colon == std::string_view::npos || colon + 1 >= uri.size()) {
    return std::unexpected(PrinterError{
        PrinterErrorCode::InvalidConfig,
        "printer URI must be serial:, usb:, tcp: or file:, got '" + std::string(uri) + "'"});
  }
  const auto scheme = uri.substr(0, colon);
  const auto rest = uri.substr(colon + 1);
  if (scheme == "serial") {
    return openSerial(uri, rest, timeout);
  }
  if (scheme == "tcp") {
    return openTcp(uri, rest, timeout);
  }
  if (scheme == "usb" || scheme == "file") {
    const std::string path(rest);
    // The usblp driver answers DLE EOT on read(); a plain file cannot.
    const int flags = scheme == "usb" ? (O_RDWR | O_NONBLOCK | O_CLOEXEC)
                                      : (O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC);
    const int fd = ::open(path.c_str(), flags, 0644);
    if (fd < 0) {
      return std::unexpected(sysError(PrinterErrorCode::OpenFailed, "open " + path));
    }
    return std::make_unique<FdTransport>(fd, std::string(uri), timeout, scheme == "usb");
  }
  return std::unexpected(PrinterError{PrinterErrorCode::InvalidConfig,
                                      "unknown printer URI scheme '" + std::string(scheme) + "'"});
}

}  // namespace prepaid::devices
