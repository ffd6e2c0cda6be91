#pragma once

// Where ESC/POS bytes go: a serial port, a USB printer-class device (/dev/usb/lp*), a network
// printer on TCP port 9100, or a file (tests, capture). Chosen by a URI:
//   serial:/dev/ttyUSB0?baud=19200   usb:/dev/usb/lp0   tcp:192.168.1.50:9100   file:/tmp/out.bin

#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "prepaid/printer/printer_error.hpp"

namespace prepaid::devices {

class PrinterTransport {
 public:
  virtual ~PrinterTransport() = default;
  /// Writes all bytes (blocking, bounded by the transport's timeout). Call from a worker thread.
  [[nodiscard]] virtual std::expected<void, PrinterError> write(
      std::span<const std::uint8_t> bytes) = 0;
  /// Reads up to `maxBytes` that arrive within `timeout` (an empty result is a Timeout error).
  /// Transports that cannot read back (file) return ReadFailed.
  [[nodiscard]] virtual std::expected<std::vector<std::uint8_t>, PrinterError> read(
      std::size_t maxBytes, std::chrono::milliseconds timeout) = 0;
  /// The URI it was opened with (for the maintenance screen).
  [[nodiscard]] virtual std::string describe() const = 0;
};

/// Opens a transport from a URI (see above). Errors: InvalidConfig for a malformed URI,
/// OpenFailed when the device, file or host cannot be opened.
[[nodiscard]] std::expected<std::unique_ptr<PrinterTransport>, PrinterError> openPrinterTransport(
    std::string_view uri, std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));

}  // namespace prepaid::devices
