#pragma once

// The one error type of the meter drivers and transports (devices layer).

#include <cstdint>
#include <string>
#include <string_view>

namespace prepaid::devices {

enum class DeviceErrorKind {
  ConnectionFailed,  // could not open/connect: the request was NOT sent (safe to retry)
  Io,                // socket/serial error during the exchange (request may have been sent)
  Timeout,           // no (complete) reply within the response timeout
  Crc,               // reply CRC (Modbus) or checksum (DL/T 645) wrong
  ModbusException,   // the device answered with a Modbus exception (see exceptionCode)
  Dlt645Error,       // DL/T 645 error reply (see dlt645ErrorBits)
  WrongAddress,      // reply from another unit id / meter address
  MalformedReply,    // wrong function, length, echo, BCD digit, short or oversized reply
  Rejected,          // the meter refused a command (see rejectReason); nothing was applied
  OutcomeUnknown,    // a command was sent but no valid reply came: it may or may not be applied
  InvalidArgument,   // bad URI, value out of the register's range, unsupported point
  Unsupported,       // the profile/protocol has no such command or point
};

/// Why a meter rejected a command (values of the profile's command_result register).
enum class RejectReason : std::uint8_t {
  None = 0,
  BadMac = 1,                // MAC did not verify
  PurchaseCountNotNext = 2,  // recharge count != current + 1 (control: != current)
  BadTime = 3,               // command time outside the meter's accepted window
  BadValue = 4,              // unknown command code, amount 0 or over the meter's cap
  Unauthorized = 5,          // DL/T 645 password/authority error
  Unknown = 255,             // rejected, reason not readable
};

struct DeviceError {
  DeviceErrorKind kind = DeviceErrorKind::Io;
  std::string detail;                              // human readable, for logs and prepaidctl
  std::uint8_t exceptionCode = 0;                  // ModbusException: the Modbus exception code
  std::uint8_t dlt645ErrorBits = 0;                // Dlt645Error: the ERR byte of the reply
  RejectReason rejectReason = RejectReason::None;  // Rejected
  DeviceErrorKind cause = DeviceErrorKind::Io;     // OutcomeUnknown: what went wrong after sending
};

[[nodiscard]] DeviceError makeError(DeviceErrorKind kind, std::string detail);

/// "timeout", "crc", "modbus_exception", … (stable names, also used in JSON).
[[nodiscard]] std::string_view toString(DeviceErrorKind kind);
[[nodiscard]] std::string_view toString(RejectReason reason);

/// One line: kind, codes and detail.
[[nodiscard]] std::string describe(const DeviceError& error);

/// True when a read that failed this way is worth repeating on the same bus.
[[nodiscard]] bool isRetryableRead(DeviceErrorKind kind);

}  // namespace prepaid::devices
