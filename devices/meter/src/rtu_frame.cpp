#include "prepaid/meter/rtu_frame.hpp"

#include <chrono>
#include <cstdio>
#include <string>

#include "prepaid/meter/crc16.hpp"

namespace prepaid::devices {

namespace {

using Clock = std::chrono::steady_clock;

void putU16(std::vector<std::uint8_t>& out, std::uint16_t value) {
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value & 0xFF));
}

std::uint16_t getU16(std::span<const std::uint8_t> bytes, std::size_t at) {
  return static_cast<std::uint16_t>((bytes[at] << 8) | bytes[at + 1]);
}

DeviceError malformed(const std::string& what) {
  return makeError(DeviceErrorKind::MalformedReply, what);
}

}  // namespace

std::expected<void, DeviceError> validateRtuRequest(const RtuRequest& request) {
  if (request.unit < 1 || request.unit > 247) {
    return std::unexpected(
        makeError(DeviceErrorKind::InvalidArgument,
                  "unit id " + std::to_string(request.unit) + " outside 1..247"));
  }
  if (request.function == 0x03 || request.function == 0x04) {
    if (request.count < 1 || request.count > MaxReadRegisters) {
      return std::unexpected(
          makeError(DeviceErrorKind::InvalidArgument,
                    "read count " + std::to_string(request.count) + " outside 1..125"));
    }
  } else if (request.function == 0x10) {
    if (request.values.empty() || request.values.size() > MaxWriteRegisters ||
        request.count != request.values.size()) {
      return std::unexpected(makeError(
          DeviceErrorKind::InvalidArgument,
          "write of " + std::to_string(request.values.size()) + " registers outside 1..123"));
    }
  } else {
    return std::unexpected(
        makeError(DeviceErrorKind::InvalidArgument,
                  "function " + std::to_string(request.function) + " not supported"));
  }
  if (std::uint32_t{request.address} + request.count > 0x10000U) {
    return std::unexpected(
        makeError(DeviceErrorKind::InvalidArgument, "register range runs past 0xFFFF"));
  }
  return {};
}

std::vector<std::uint8_t> encodeRtuRequest(const RtuRequest& request) {
  std::vector<std::uint8_t> out;
  out.reserve(9 + 2 * request.values.size());
  out.push_back(request.unit);
  out.push_back(request.function);
  putU16(out, request.address);
  putU16(out, request.count);
  if (request.function == 0x10) {
    out.push_back(static_cast<std::uint8_t>(2 * request.values.size()));
    for (const auto value : request.values) {
      putU16(out, value);
    }
  }
  const std::uint16_t crc = crc16(out);
  out.push_back(static_cast<std::uint8_t>(crc & 0xFF));
  out.push_back(static_cast<std::uint8_t>(crc >> 8));
  return out;
}

std::optional<std::size_t> rtuReplyLength(std::span<const std::uint8_t> prefix,
                                          const RtuRequest& request) {
  if (prefix.size() < 2) {
    return 0;
  }
  const std::uint8_t function = prefix[1];
  if (function == (request.function | 0x80)) {
    return 5;  // unit, function|0x80, exception code, CRC
  }
  if (function != request.function) {
    return std::nullopt;
  }
  if (function == 0x10) {
    return 8;  // unit, 0x10, address, count, CRC
  }
  if (prefix.size() < 3) {
    return 0;
  }
  const std::size_t total = 5 + std::size_t{prefix[2]};
  if (total > RtuMaxAdu) {
    return std::nullopt;
  }
  return total;
}

std::expected<std::vector<std::uint16_t>, DeviceError> parseRtuReply(
    std::span<const std::uint8_t> frame, const RtuRequest& request) {
  if (frame.size() < 5) {
    return std::unexpected(malformed("reply of " + std::to_string(frame.size()) + " bytes"));
  }
  if (frame.size() > RtuMaxAdu) {
    return std::unexpected(malformed("reply of " + std::to_string(frame.size()) + " bytes"));
  }
  if (!hasValidCrc16(frame)) {
    return std::unexpected(makeError(DeviceErrorKind::Crc, "reply CRC mismatch"));
  }
  if (frame[0] != request.unit) {
    return std::unexpected(makeError(DeviceErrorKind::WrongAddress,
                                     "reply from unit " + std::to_string(frame[0]) +
                                         ", asked unit " + std::to_string(request.unit)));
  }
  if (frame[1] == (request.function | 0x80)) {
    if (frame.size() != 5) {
      return std::unexpected(
          malformed("exception reply of " + std::to_string(frame.size()) + " bytes"));
    }
    DeviceError error = makeError(DeviceErrorKind::ModbusException, "");
    error.exceptionCode = frame[2];
    char text[48];
    std::snprintf(text, sizeof text, "unit %u answered exception 0x%02X", request.unit, frame[2]);
    error.detail = text;
    return std::unexpected(error);
  }
  if (frame[1] != request.function) {
    return std::unexpected(malformed("reply function " + std::to_string(frame[1]) +
                                     " to a request with function " +
                                     std::to_string(request.function)));
  }
  if (request.function == 0x10) {
    if (frame.size() != 8 || getU16(frame, 2) != request.address ||
        getU16(frame, 4) != request.count) {
      return std::unexpected(malformed("write reply does not echo the request"));
    }
    return std::vector<std::uint16_t>{};
  }
  const std::size_t byteCount = frame[2];
  if (byteCount != 2U * request.count || frame.size() != 5 + byteCount) {
    return std::unexpected(malformed("read reply with " + std::to_string(byteCount) +
                                     " data bytes for " + std::to_string(request.count) +
                                     " registers"));
  }
  std::vector<std::uint16_t> registers(request.count);
  for (std::size_t i = 0; i < request.count; ++i) {
    registers[i] = getU16(frame, 3 + 2 * i);
  }
  return registers;
}

std::expected<std::vector<std::uint8_t>, DeviceError> readRtuFrame(ByteSource& source,
                                                                   const RtuRequest& request,
                                                                   int responseTimeoutMs,
                                                                   int byteTimeoutMs) {
  std::vector<std::uint8_t> frame;
  frame.reserve(RtuMaxAdu);
  std::size_t expected = 0;
  while (expected == 0 || frame.size() < expected) {
    // Ask only for what the frame still needs, so a following frame is never swallowed.
    const std::size_t want =
        expected == 0 ? (frame.size() < 2 ? 2 - frame.size() : 1) : expected - frame.size();
    std::uint8_t buffer[RtuMaxAdu];
    const int timeout = frame.empty() ? responseTimeoutMs : byteTimeoutMs;
    const auto n = source.readSome(std::span(buffer, want), timeout);
    if (!n) {
      return std::unexpected(n.error());
    }
    if (*n == 0) {
      if (frame.empty()) {
        return std::unexpected(
            makeError(DeviceErrorKind::Timeout,
                      "no reply within " + std::to_string(responseTimeoutMs) + " ms"));
      }
      return std::unexpected(
          malformed("short reply: " + std::to_string(frame.size()) + " bytes, then silence"));
    }
    frame.insert(frame.end(), buffer, buffer + *n);
    if (expected == 0) {
      const auto length = rtuReplyLength(frame, request);
      if (!length) {
        return std::unexpected(malformed("bytes that cannot start a reply to function " +
                                         std::to_string(request.function)));
      }
      expected = *length;
    }
  }
  // Anything arriving right behind a complete frame means the frame was not what it seemed.
  std::uint8_t extra[RtuMaxAdu];
  const auto more = source.readSome(extra, 0);
  if (more && *more > 0) {
    return std::unexpected(
        malformed("oversized reply: bytes follow the " + std::to_string(expected) + "-byte frame"));
  }
  return frame;
}

}  // namespace prepaid::devices
