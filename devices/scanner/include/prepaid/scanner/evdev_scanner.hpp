#pragma once

#include "prepaid/scanner/code_scanner.hpp"
#include "prepaid/scanner/keycode_decoder.hpp"

namespace prepaid::devices {

/// A keyboard-wedge scanner on a Linux input event device (struct input_event records).
class EvdevScanner final : public CodeScanner {
 public:
  /// Opens `path`; with Grab::Exclusive takes EVIOCGRAB so no other reader (X, the SDL window)
  /// sees the keys. Grab::None reads any stream of input_event records (tests use a pipe).
  [[nodiscard]] static std::expected<std::unique_ptr<EvdevScanner>, ScannerError> open(
      const std::string& path, Grab grab);
  ~EvdevScanner() override;
  EvdevScanner(const EvdevScanner&) = delete;
  EvdevScanner& operator=(const EvdevScanner&) = delete;

  [[nodiscard]] std::expected<std::optional<std::string>, ScannerError> next(
      std::chrono::milliseconds timeout) override;
  [[nodiscard]] std::string describe() const override { return "evdev:" + m_path; }

 private:
  EvdevScanner(int fd, std::string path) : m_fd(fd), m_path(std::move(path)) {}
  int m_fd;
  std::string m_path;
  KeycodeDecoder m_decoder;
  std::string m_partial;  // bytes of an input_event split across reads (pipes)
};

}  // namespace prepaid::devices
