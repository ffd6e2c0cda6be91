#include "prepaid/scanner/scanner_error.hpp"

namespace prepaid::devices {

std::string_view toString(ScannerErrorCode code) {
  switch (code) {
    case ScannerErrorCode::InvalidConfig:
      return "invalid_config";
    case ScannerErrorCode::OpenFailed:
      return "open_failed";
    case ScannerErrorCode::GrabFailed:
      return "grab_failed";
    case ScannerErrorCode::ReadFailed:
      return "read_failed";
  }
  return "unknown";
}

}  // namespace prepaid::devices
