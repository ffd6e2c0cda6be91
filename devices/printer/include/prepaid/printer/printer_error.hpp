#pragma once

// Errors of the receipt printer layer (one enum for the module, mapped by the kiosk into words
// a tenant understands).

#include <string>
#include <string_view>

namespace prepaid::devices {

enum class PrinterErrorCode {
  InvalidConfig,  // a transport URI or option that cannot work
  OpenFailed,     // the device, file or socket could not be opened
  WriteFailed,    // the bytes did not all go out
  ReadFailed,     // the status query failed
  Timeout,        // no answer within the time limit
  Encoding,       // text could not be converted to the printer's code page
  Render,         // the virtual printer could not render (font, PNG)
};

struct PrinterError {
  PrinterErrorCode code = PrinterErrorCode::WriteFailed;
  std::string message;  // English, for logs and the maintenance screen
};

/// "invalid_config", "open_failed", ... (stable names for logs).
[[nodiscard]] std::string_view toString(PrinterErrorCode code);

}  // namespace prepaid::devices
