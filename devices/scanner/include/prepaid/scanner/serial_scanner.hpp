#pragma once

#include "prepaid/scanner/code_scanner.hpp"

namespace prepaid::devices {

/// A scanner in serial (USB CDC or RS-232) mode: each code is a line ending in CR, LF or CRLF.
class SerialScanner final : public CodeScanner {
 public:
  /// Opens `path` raw at `baud` (9600, 19200, 38400, 57600, 115200).
  [[nodiscard]] static std::expected<std::unique_ptr<SerialScanner>, ScannerError> open(
      const std::string& path, int baud);
  ~SerialScanner() override;
  SerialScanner(const SerialScanner&) = delete;
  SerialScanner& operator=(const SerialScanner&) = delete;

  [[nodiscard]] std::expected<std::optional<std::string>, ScannerError> next(
      std::chrono::milliseconds timeout) override;
  [[nodiscard]] std::string describe() const override { return "serial:" + m_path; }

  static constexpr std::size_t MaxCodeLength = 512;

 private:
  SerialScanner(int fd, std::string path) : m_fd(fd), m_path(std::move(path)) {}
  int m_fd;
  std::string m_path;
  std::string m_buffer;
};

}  // namespace prepaid::devices
