#include "prepaid/sim/meter_sim_framing.hpp"

#include "prepaid/meter/crc16.hpp"
#include "prepaid/meter/dlt645_frame.hpp"

namespace prepaid::devices::sim {

FrameCut cutMbapFrame(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < MbapHeaderSize) {
    return {FrameStatus::NeedMore, 0};
  }
  const std::size_t protocolId = (std::size_t{bytes[2]} << 8U) | bytes[3];
  const std::size_t length = (std::size_t{bytes[4]} << 8U) | bytes[5];  // unit id + PDU
  if (protocolId != 0 || length < 2 || length > MaxModbusPdu + 1) {
    return {FrameStatus::Close, bytes.size()};
  }
  const std::size_t total = 6 + length;
  if (bytes.size() < total) {
    return {FrameStatus::NeedMore, 0};
  }
  return {FrameStatus::Frame, total};
}

FrameCut cutRtuRequest(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < 2) {
    return {FrameStatus::NeedMore, 0};
  }
  std::size_t expected = 0;
  switch (bytes[1]) {
    case 0x01:
    case 0x02:
    case 0x03:
    case 0x04:
    case 0x05:
    case 0x06:
      expected = 8;  // unit, function, address(2), count/value(2), CRC(2)
      break;
    case 0x0F:
    case 0x10:
      if (bytes.size() < 7) {
        return {FrameStatus::NeedMore, 0};
      }
      expected = 9 + std::size_t{bytes[6]};  // + byte count + data
      break;
    default:
      // A function we cannot size: a real slave would wait for t3.5 silence; on a stream the
      // best we can do is to treat what arrived as one frame.
      expected = bytes.size();
      break;
  }
  if (expected < 4 || expected > 256) {
    return {FrameStatus::Drop, bytes.size()};
  }
  if (bytes.size() < expected) {
    return {FrameStatus::NeedMore, 0};
  }
  if (!hasValidCrc16(bytes.first(expected))) {
    // A frame with a bad CRC is ignored by every slave; we cannot know where the next one
    // starts, so the whole buffer goes (the master times out and retries, as on a real bus).
    return {FrameStatus::Drop, bytes.size()};
  }
  return {FrameStatus::Frame, expected};
}

FrameCut cutDlt645Frame(std::span<const std::uint8_t> bytes) {
  const auto result = decodeDlt645(bytes);
  switch (result.status) {
    case Dlt645DecodeStatus::Frame:
      return {FrameStatus::Frame, result.consumed};
    case Dlt645DecodeStatus::NeedMore:
      if (bytes.size() > 512) {
        return {FrameStatus::Drop, bytes.size()};  // noise that never becomes a frame
      }
      return {FrameStatus::NeedMore, 0};
    case Dlt645DecodeStatus::BadChecksum:
    case Dlt645DecodeStatus::BadEnd:
      return {FrameStatus::Drop, result.consumed == 0 ? bytes.size() : result.consumed};
  }
  return {FrameStatus::Drop, bytes.size()};
}

}  // namespace prepaid::devices::sim
