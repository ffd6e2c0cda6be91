#include "prepaid/scanner/code_scanner.hpp"

#include <charconv>

#include "prepaid/scanner/evdev_scanner.hpp"
#include "prepaid/scanner/serial_scanner.hpp"

namespace prepaid::devices {

std::expected<std::unique_ptr<CodeScanner>, ScannerError> openCodeScanner(std::string_view uri) {
  const auto colon = uri.find(':');
  if (colon == std::string_view::npos || colon + 1 >= uri.size()) {
    return std::unexpected(ScannerError{
        ScannerErrorCode::InvalidConfig,
        "scanner URI must be evdev:<path> or serial:<path>, got '" + std::string(uri) + "'"});
  }
  const auto scheme = uri.substr(0, colon);
  const auto rest = uri.substr(colon + 1);
  if (scheme == "evdev") {
    auto opened = EvdevScanner::open(std::string(rest), Grab::Exclusive);
    if (!opened) {
      return std::unexpected(opened.error());
    }
    return std::unique_ptr<CodeScanner>(std::move(*opened));
  }
  if (scheme == "serial") {
    int baud = 9600;
    std::string path(rest);
    if (const auto q = rest.find("?baud="); q != std::string_view::npos) {
      path = std::string(rest.substr(0, q));
      const auto value = rest.substr(q + 6);
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), baud);
      if (ec != std::errc() || ptr != value.data() + value.size()) {
        return std::unexpected(ScannerError{ScannerErrorCode::InvalidConfig,
                                            "bad baud rate in '" + std::string(uri) + "'"});
      }
    }
    auto opened = SerialScanner::open(path, baud);
    if (!opened) {
      return std::unexpected(opened.error());
    }
    return std::unique_ptr<CodeScanner>(std::move(*opened));
  }
  return std::unexpected(ScannerError{ScannerErrorCode::InvalidConfig,
                                      "unknown scanner URI scheme '" + std::string(scheme) + "'"});
}

}  // namespace prepaid::devices
