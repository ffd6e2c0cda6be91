#include "prepaid/printer/printer_error.hpp"

namespace prepaid::devices {

std::string_view toString(PrinterErrorCode code) {
  switch (code) {
    case PrinterErrorCode::InvalidConfig:
      return "invalid_config";
    case PrinterErrorCode::OpenFailed:
      return "open_failed";
    case PrinterErrorCode::WriteFailed:
      return "write_failed";
    case PrinterErrorCode::ReadFailed:
      return "read_failed";
    case PrinterErrorCode::Timeout:
      return "timeout";
    case PrinterErrorCode::Encoding:
      return "encoding";
    case PrinterErrorCode::Render:
      return "render";
  }
  return "unknown";
}

}  // namespace prepaid::devices
