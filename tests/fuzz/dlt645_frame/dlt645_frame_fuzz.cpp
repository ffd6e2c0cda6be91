// Fuzzes the DL/T 645 frame decoder (preamble, garbage, checksum, length) and the stream reader
// on top of it; a decoded frame must re-encode to a frame that decodes to the same content.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "prepaid/meter/dlt645_frame.hpp"
#include "prepaid/meter/dlt645_link.hpp"

namespace {

class WholeSource final : public prepaid::devices::ByteSource {
 public:
  explicit WholeSource(std::span<const std::uint8_t> bytes) : m_bytes(bytes) {}
  std::expected<std::size_t, prepaid::devices::DeviceError> readSome(std::span<std::uint8_t> buffer,
                                                                     int) override {
    const std::size_t n = std::min(buffer.size(), m_bytes.size());
    std::copy_n(m_bytes.begin(), n, buffer.begin());
    m_bytes = m_bytes.subspan(n);
    return n;
  }

 private:
  std::span<const std::uint8_t> m_bytes;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace prepaid::devices;
  const std::span<const std::uint8_t> bytes(data, size);
  const auto result = decodeDlt645(bytes);
  if (result.consumed > size) {
    __builtin_trap();
  }
  if (result.status == Dlt645DecodeStatus::Frame) {
    const auto again = encodeDlt645(result.frame, 0);
    if (!again) {
      __builtin_trap();
    }
    const auto round = decodeDlt645(*again);
    if (round.status != Dlt645DecodeStatus::Frame || round.frame.data != result.frame.data ||
        round.frame.control != result.frame.control ||
        !(round.frame.address == result.frame.address)) {
      __builtin_trap();
    }
    (void)decodeBcd(
        std::span(result.frame.data).first(std::min<std::size_t>(result.frame.data.size(), 8)));
    (void)decodeBcd(
        std::span(result.frame.data).first(std::min<std::size_t>(result.frame.data.size(), 8)),
        BcdSign::SignBit);
  }
  WholeSource source(bytes);
  (void)readDlt645Reply(source, dlt645ReadRequest(Dlt645Address::broadcast(), dlt645::DiVoltageA),
                        0, 0);
  return 0;
}
