#pragma once

#include <string>
#include <string_view>

namespace prepaid::devices {

enum class ScannerErrorCode {
  InvalidConfig,  // malformed scanner URI or option
  OpenFailed,     // device cannot be opened
  GrabFailed,     // EVIOCGRAB refused (another process holds the device, or not an evdev node)
  ReadFailed,     // read error or the device went away (unplugged)
};

struct ScannerError {
  ScannerErrorCode code = ScannerErrorCode::ReadFailed;
  std::string message;  // English, for logs and the maintenance screen
};

/// "invalid_config", "open_failed", "grab_failed", "read_failed".
[[nodiscard]] std::string_view toString(ScannerErrorCode code);

}  // namespace prepaid::devices
