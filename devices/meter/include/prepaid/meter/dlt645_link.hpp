#pragma once

// One DL/T 645 bus (serial port or TCP serial server): sends a frame, reads the reply frame.
// Like ModbusTransport: one instance per bus, requests serialised, reads retried, the line
// waited out after a failed exchange.

#include <chrono>
#include <expected>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "prepaid/meter/byte_stream.hpp"
#include "prepaid/meter/dlt645_frame.hpp"
#include "prepaid/meter/transport_uri.hpp"

namespace prepaid::devices {

enum class Dlt645Retry {
  Allowed,  // reads: repeat after a retryable failure up to timing.retries times
  Never,    // writes and control: exactly one attempt
};

/// Reads one reply to `request` from `source`: skips FE preamble, garbage and echoes of our own
/// request, waits `responseTimeoutMs` for the first byte and `byteTimeoutMs` between bytes.
/// Ok: the reply frame (normal or error reply; not yet interpreted). Errors: Timeout, Crc (bad
/// CS), MalformedReply (short, bad end byte, over 512 bytes of noise), WrongAddress, Io.
[[nodiscard]] std::expected<Dlt645Frame, DeviceError> readDlt645Reply(ByteSource& source,
                                                                      const Dlt645Frame& request,
                                                                      int responseTimeoutMs,
                                                                      int byteTimeoutMs);

class Dlt645Link {
 public:
  Dlt645Link(std::unique_ptr<ByteStream> stream, BusTiming timing);

  /// One exchange. Ok: a reply with this request's function and the reply bit, possibly an error
  /// reply (bit 6) — the caller interprets it. Errors as readDlt645Reply, ConnectionFailed.
  /// Thread-safe.
  [[nodiscard]] std::expected<Dlt645Frame, DeviceError> transact(const Dlt645Frame& request,
                                                                 Dlt645Retry retry);

  [[nodiscard]] const BusTiming& timing() const { return m_timing; }
  [[nodiscard]] std::string describe() const;

 private:
  std::expected<Dlt645Frame, DeviceError> exchangeOnce(const Dlt645Frame& request);

  std::mutex m_mutex;
  std::unique_ptr<ByteStream> m_stream;
  BusTiming m_timing;
  std::chrono::steady_clock::time_point m_lastExchangeEnd{};
};

/// Opens the link a dlt645+tcp:// or dlt645: URI names. Error: InvalidArgument.
[[nodiscard]] std::expected<std::shared_ptr<Dlt645Link>, DeviceError> openDlt645Link(
    const TransportUri& uri);

}  // namespace prepaid::devices
