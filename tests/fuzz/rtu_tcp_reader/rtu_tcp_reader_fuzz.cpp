// Fuzzes the RTU-over-TCP reply reader: the bytes a socket would deliver, cut into arbitrary
// chunks with timeouts in between, as a transparent serial server may deliver them.
// Layout: byte 0 selects the request (as in rtu_frame), byte 1 seeds the chunking; the rest is
// the stream. A chunk length of 0 is a timeout.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "prepaid/meter/crc16.hpp"
#include "prepaid/meter/rtu_frame.hpp"

namespace {

class FuzzSource final : public prepaid::devices::ByteSource {
 public:
  FuzzSource(std::span<const std::uint8_t> bytes, std::uint8_t seed)
      : m_bytes(bytes), m_state(seed) {}

  std::expected<std::size_t, prepaid::devices::DeviceError> readSome(std::span<std::uint8_t> buffer,
                                                                     int) override {
    if (m_bytes.empty() || buffer.empty()) {
      return 0;
    }
    m_state = static_cast<std::uint8_t>(m_state * 37 + 11);
    const std::size_t chunk = m_state % 9;  // 0 = a timeout (the reader's byte gap expired)
    if (chunk == 0) {
      return 0;
    }
    const std::size_t n = std::min({buffer.size(), m_bytes.size(), chunk});
    std::copy_n(m_bytes.begin(), n, buffer.begin());
    m_bytes = m_bytes.subspan(n);
    return n;
  }

 private:
  std::span<const std::uint8_t> m_bytes;
  std::uint8_t m_state;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace prepaid::devices;
  if (size < 2) {
    return 0;
  }
  RtuRequest request;
  request.unit = 1;
  const std::uint8_t selector = data[0];
  request.function = (selector & 0x03) == 0 ? 0x04 : ((selector & 0x03) == 1 ? 0x10 : 0x03);
  request.address = 0;
  request.count = static_cast<std::uint16_t>(1 + (selector >> 2) % 125);
  if (request.function == 0x10) {
    request.values.assign(request.count, 0);
  }
  FuzzSource source(std::span(data + 2, size - 2), data[1]);
  const auto frame = readRtuFrame(source, request, 0, 0);
  if (frame) {
    if (frame->size() > RtuMaxAdu) {
      __builtin_trap();
    }
    const auto parsed = parseRtuReply(*frame, request);
    if (parsed && !hasValidCrc16(*frame)) {
      __builtin_trap();
    }
  }
  return 0;
}
