#pragma once

// Splitting a gateway's incoming byte stream into request frames: MBAP (Modbus TCP), Modbus RTU
// (RTU over TCP and the pty; the length follows from the function code) and DL/T 645.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace prepaid::devices::sim {

enum class FrameStatus {
  Frame,     // `length` bytes at the front form one request
  NeedMore,  // keep the bytes, wait for more
  Drop,      // the first `length` bytes are not a request (bad CRC, garbage): discard them
  Close,     // the stream is unusable (an MBAP header that cannot be right): close the connection
};

struct FrameCut {
  FrameStatus status = FrameStatus::NeedMore;
  std::size_t length = 0;
};

inline constexpr std::size_t MbapHeaderSize = 7;
inline constexpr std::size_t MaxModbusPdu = 253;

/// The first MBAP request in `bytes`.
[[nodiscard]] FrameCut cutMbapFrame(std::span<const std::uint8_t> bytes);
/// The first RTU request in `bytes` (CRC checked: a bad frame is Drop).
[[nodiscard]] FrameCut cutRtuRequest(std::span<const std::uint8_t> bytes);
/// The first DL/T 645 frame in `bytes` (leading garbage and FE preamble included in `length`).
[[nodiscard]] FrameCut cutDlt645Frame(std::span<const std::uint8_t> bytes);

}  // namespace prepaid::devices::sim
