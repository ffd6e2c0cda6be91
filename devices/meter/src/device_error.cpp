#include "prepaid/meter/device_error.hpp"

#include <cstdio>
#include <utility>

namespace prepaid::devices {

DeviceError makeError(DeviceErrorKind kind, std::string detail) {
  DeviceError error;
  error.kind = kind;
  error.cause = kind;
  error.detail = std::move(detail);
  return error;
}

std::string_view toString(DeviceErrorKind kind) {
  switch (kind) {
    case DeviceErrorKind::ConnectionFailed:
      return "connection_failed";
    case DeviceErrorKind::Io:
      return "io";
    case DeviceErrorKind::Timeout:
      return "timeout";
    case DeviceErrorKind::Crc:
      return "crc";
    case DeviceErrorKind::ModbusException:
      return "modbus_exception";
    case DeviceErrorKind::Dlt645Error:
      return "dlt645_error";
    case DeviceErrorKind::WrongAddress:
      return "wrong_address";
    case DeviceErrorKind::MalformedReply:
      return "malformed_reply";
    case DeviceErrorKind::Rejected:
      return "rejected";
    case DeviceErrorKind::OutcomeUnknown:
      return "outcome_unknown";
    case DeviceErrorKind::InvalidArgument:
      return "invalid_argument";
    case DeviceErrorKind::Unsupported:
      return "unsupported";
  }
  return "unknown";
}

std::string_view toString(RejectReason reason) {
  switch (reason) {
    case RejectReason::None:
      return "none";
    case RejectReason::BadMac:
      return "bad_mac";
    case RejectReason::PurchaseCountNotNext:
      return "purchase_count_not_next";
    case RejectReason::BadTime:
      return "bad_time";
    case RejectReason::BadValue:
      return "bad_value";
    case RejectReason::Unauthorized:
      return "unauthorized";
    case RejectReason::Unknown:
      return "unknown";
  }
  return "unknown";
}

std::string describe(const DeviceError& error) {
  std::string out(toString(error.kind));
  char code[32];
  switch (error.kind) {
    case DeviceErrorKind::ModbusException:
      std::snprintf(code, sizeof code, " (exception 0x%02X)", error.exceptionCode);
      out += code;
      break;
    case DeviceErrorKind::Dlt645Error:
      std::snprintf(code, sizeof code, " (ERR 0x%02X)", error.dlt645ErrorBits);
      out += code;
      break;
    case DeviceErrorKind::Rejected:
      out += " (" + std::string(toString(error.rejectReason)) + ")";
      break;
    case DeviceErrorKind::OutcomeUnknown:
      out += " (after " + std::string(toString(error.cause)) + ")";
      break;
    default:
      break;
  }
  if (!error.detail.empty()) {
    out += ": " + error.detail;
  }
  return out;
}

bool isRetryableRead(DeviceErrorKind kind) {
  switch (kind) {
    case DeviceErrorKind::Io:
    case DeviceErrorKind::Timeout:
    case DeviceErrorKind::Crc:
    case DeviceErrorKind::WrongAddress:
    case DeviceErrorKind::MalformedReply:
    case DeviceErrorKind::ConnectionFailed:
      return true;
    default:
      return false;
  }
}

}  // namespace prepaid::devices
