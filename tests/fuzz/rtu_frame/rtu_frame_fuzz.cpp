// Fuzzes the Modbus RTU reply parser. Byte 0 chooses the request the reply is checked against
// (function 0x03/0x04/0x10 and the register count); the rest is the reply frame.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "prepaid/meter/crc16.hpp"
#include "prepaid/meter/rtu_frame.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace prepaid::devices;
  if (size < 1) {
    return 0;
  }
  RtuRequest request;
  request.unit = 1;
  const std::uint8_t selector = data[0];
  request.function = (selector & 0x03) == 0 ? 0x04 : ((selector & 0x03) == 1 ? 0x10 : 0x03);
  request.address = 0x0100;
  request.count = static_cast<std::uint16_t>(1 + (selector >> 2) % 125);
  if (request.function == 0x10) {
    request.values.assign(request.count, 0);
  }
  const std::span<const std::uint8_t> frame(data + 1, size - 1);
  const auto length = rtuReplyLength(frame, request);
  const auto parsed = parseRtuReply(frame, request);
  if (parsed) {
    // A reply the parser accepts must be self-consistent.
    if (!hasValidCrc16(frame) || frame[0] != request.unit) {
      __builtin_trap();
    }
    if (request.function != 0x10 && parsed->size() != request.count) {
      __builtin_trap();
    }
    if (!length || *length != frame.size()) {
      __builtin_trap();
    }
  }
  return 0;
}
