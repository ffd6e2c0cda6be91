#include "prepaid/scanner/evdev_scanner.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <linux/input.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace prepaid::devices {

std::expected<std::unique_ptr<EvdevScanner>, ScannerError> EvdevScanner::open(
    const std::string& path, Grab grab) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    return std::unexpected(
        ScannerError{ScannerErrorCode::OpenFailed, "open " + path + ": " + std::strerror(errno)});
  }
  // The grab is what keeps a scanned payment code from also arriving in the UI as key presses.
  if (grab == Grab::Exclusive && ::ioctl(fd, EVIOCGRAB, 1) != 0) {
    const std::string reason = std::strerror(errno);
    ::close(fd);
    return std::unexpected(
        ScannerError{ScannerErrorCode::GrabFailed, "EVIOCGRAB " + path + ": " + reason});
  }
  return std::unique_ptr<EvdevScanner>(new EvdevScanner(fd, path));
}

EvdevScanner::~EvdevScanner() {
  ::close(m_fd);  // closing releases the grab
}

std::expected<std::optional<std::string>, ScannerError> EvdevScanner::next(
    std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd pfd{m_fd, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(std::max<long>(0, left.count())));
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
    char buffer[sizeof(input_event) * 64];
    const ssize_t n = ::read(m_fd, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) {
        continue;
      }
      m_decoder.reset();
      return std::unexpected(ScannerError{ScannerErrorCode::ReadFailed,
                                          "read " + m_path + ": " + std::strerror(errno)});
    }
    if (n == 0) {
      // POLLHUP on a pipe, or the device was unplugged.
      return std::unexpected(
          ScannerError{ScannerErrorCode::ReadFailed, m_path + ": device closed"});
    }
    m_partial.append(buffer, static_cast<std::size_t>(n));
    std::optional<std::string> done;
    std::size_t offset = 0;
    while (m_partial.size() - offset >= sizeof(input_event)) {
      input_event event{};
      std::memcpy(&event, m_partial.data() + offset, sizeof(event));
      offset += sizeof(event);
      auto code = m_decoder.feed(KeyEvent{event.type, event.code, event.value});
      if (code && !done) {
        done = std::move(code);
        // Keep later events for the next call: a second code may follow in the same read.
        break;
      }
    }
    m_partial.erase(0, offset);
    if (done) {
      return done;
    }
  }
}

}  // namespace prepaid::devices
