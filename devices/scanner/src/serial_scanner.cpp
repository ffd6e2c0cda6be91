#include "prepaid/scanner/serial_scanner.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

namespace prepaid::devices {

namespace {

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

}  // namespace

std::expected<std::unique_ptr<SerialScanner>, ScannerError> SerialScanner::open(
    const std::string& path, int baud) {
  const speed_t speed = baudConstant(baud);
  if (speed == B0) {
    return std::unexpected(ScannerError{ScannerErrorCode::InvalidConfig,
                                        "unsupported baud rate " + std::to_string(baud)});
  }
  const int fd = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    return std::unexpected(
        ScannerError{ScannerErrorCode::OpenFailed, "open " + path + ": " + std::strerror(errno)});
  }
  termios tio{};
  if (::tcgetattr(fd, &tio) == 0) {
    ::cfmakeraw(&tio);
    ::cfsetispeed(&tio, speed);
    ::cfsetospeed(&tio, speed);
    tio.c_cflag |= CLOCAL | CREAD;
    ::tcsetattr(fd, TCSANOW, &tio);
  }
  return std::unique_ptr<SerialScanner>(new SerialScanner(fd, path));
}

SerialScanner::~SerialScanner() {
  ::close(m_fd);
}

std::expected<std::optional<std::string>, ScannerError> SerialScanner::next(
    std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    // A complete line may already be buffered from the previous read.
    const auto end = m_buffer.find_first_of("\r\n");
    if (end != std::string::npos) {
      std::string code = m_buffer.substr(0, end);
      m_buffer.erase(0, end + 1);
      if (!code.empty()) {
        return code;
      }
      continue;  // the LF of a CRLF, or an empty line
    }
    if (m_buffer.size() > MaxCodeLength) {
      m_buffer.clear();  // garbage without a terminator: not a code
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return std::optional<std::string>{};
    }
    pollfd pfd{m_fd, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready < 0) {
      if (errno == EINTR) {
        continue;
      }
      return std::unexpected(
          ScannerError{ScannerErrorCode::ReadFailed, std::string("poll: ") + std::strerror(errno)});
    }
    if (ready == 0) {
      return std::optional<std::string>{};
    }
    char buffer[256];
    const ssize_t n = ::read(m_fd, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) {
        continue;
      }
      return std::unexpected(ScannerError{ScannerErrorCode::ReadFailed,
                                          "read " + m_path + ": " + std::strerror(errno)});
    }
    if (n == 0) {
      return std::unexpected(
          ScannerError{ScannerErrorCode::ReadFailed, m_path + ": device closed"});
    }
    m_buffer.append(buffer, static_cast<std::size_t>(n));
  }
}

}  // namespace prepaid::devices
