#pragma once

// A code scanner as the kiosk sees it: a blocking "next code" with a timeout, called in a loop by
// one worker thread that posts codes to the UI thread.

#include <chrono>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "prepaid/scanner/scanner_error.hpp"

namespace prepaid::devices {

class CodeScanner {
 public:
  virtual ~CodeScanner() = default;
  /// Waits up to `timeout` for one complete code; nullopt when none arrived. Errors when the
  /// device fails or goes away. Call from one thread only.
  [[nodiscard]] virtual std::expected<std::optional<std::string>, ScannerError> next(
      std::chrono::milliseconds timeout) = 0;
  /// The URI it was opened with.
  [[nodiscard]] virtual std::string describe() const = 0;
};

enum class Grab { Exclusive, None };

/// Opens a scanner from a URI: "evdev:/dev/input/by-id/usb-...-event-kbd" (keyboard wedge,
/// exclusively grabbed so its key presses never reach the UI) or
/// "serial:/dev/ttyACM0?baud=9600" (codes end with CR and/or LF).
[[nodiscard]] std::expected<std::unique_ptr<CodeScanner>, ScannerError> openCodeScanner(
    std::string_view uri);

}  // namespace prepaid::devices
