#pragma once

// Faults the simulator injects, per meter or per gateway, from the fleet file, the command line
// or the control port. Text form: "<kind>[:<arg>][*<count>]", e.g. "late-reply:400",
// "exception:4*2" (the next two requests), "no-reply".

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace prepaid::devices::sim {

enum class FaultKind {
  None,
  NoReply,                 // the meter does not answer
  LateReply,               // answers arg ms later than it should
  CrcError,                // reply with a corrupted CRC (Modbus TCP: exception 0x0B, see README)
  Garbage,                 // reply replaced by arg (default 8) pseudo-random bytes
  Exception,               // Modbus exception with code arg (default 4); DL/T 645 error reply
  ReplyLostAfterRecharge,  // a recharge is applied, then its reply is lost
  WrongUnit,               // reply carries another unit id / address
  GatewayDown,             // the gateway refuses connections (gateway-level only)
};

struct Fault {
  FaultKind kind = FaultKind::None;
  std::int64_t arg = 0;     // ms for LateReply, code for Exception, bytes for Garbage
  std::int64_t count = -1;  // requests it still applies to; -1 = until cleared

  [[nodiscard]] bool active() const { return kind != FaultKind::None && count != 0; }
  /// Counts one use; a counted fault clears itself when used up.
  void consume();
};

/// Parses the text form; the error names what is wrong.
[[nodiscard]] std::expected<Fault, std::string> parseFault(std::string_view text);
/// The text form of a fault ("none" for no fault).
[[nodiscard]] std::string toString(const Fault& fault);

}  // namespace prepaid::devices::sim
