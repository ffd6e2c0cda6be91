#include "prepaid/meter/dlt645_link.hpp"

#include <algorithm>
#include <thread>
#include <vector>

namespace prepaid::devices {

namespace {

constexpr std::size_t MaxReplyBytes = 512;

}  // namespace

std::expected<Dlt645Frame, DeviceError> readDlt645Reply(ByteSource& source,
                                                        const Dlt645Frame& request,
                                                        int responseTimeoutMs, int byteTimeoutMs) {
  std::vector<std::uint8_t> buffer;
  bool gotAny = false;
  while (true) {
    std::uint8_t chunk[128];
    const auto n = source.readSome(chunk, gotAny ? byteTimeoutMs : responseTimeoutMs);
    if (!n) {
      return std::unexpected(n.error());
    }
    if (*n == 0) {
      if (!gotAny) {
        return std::unexpected(
            makeError(DeviceErrorKind::Timeout,
                      "no reply within " + std::to_string(responseTimeoutMs) + " ms"));
      }
      return std::unexpected(
          makeError(DeviceErrorKind::MalformedReply,
                    "incomplete frame: " + std::to_string(buffer.size()) + " bytes, then silence"));
    }
    gotAny = true;
    buffer.insert(buffer.end(), chunk, chunk + *n);
    while (true) {
      const auto decoded = decodeDlt645(buffer);
      if (decoded.status == Dlt645DecodeStatus::BadChecksum) {
        return std::unexpected(makeError(DeviceErrorKind::Crc, "DL/T 645 checksum mismatch"));
      }
      if (decoded.status == Dlt645DecodeStatus::BadEnd) {
        return std::unexpected(
            makeError(DeviceErrorKind::MalformedReply, "DL/T 645 frame without end byte 16"));
      }
      if (decoded.status == Dlt645DecodeStatus::NeedMore) {
        // Drop what can never be part of a frame so noise cannot grow the buffer forever.
        buffer.erase(buffer.begin(),
                     buffer.begin() + static_cast<std::ptrdiff_t>(decoded.consumed));
        break;
      }
      buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(decoded.consumed));
      const Dlt645Frame& frame = decoded.frame;
      if ((frame.control & dlt645::ReplyBit) == 0) {
        continue;  // our own request echoed by a half-duplex adapter
      }
      if ((frame.control & 0x1F) != (request.control & 0x1F)) {
        return std::unexpected(makeError(DeviceErrorKind::MalformedReply,
                                         "reply control code does not match the request"));
      }
      if (!request.address.isBroadcast() && frame.address != request.address) {
        return std::unexpected(makeError(DeviceErrorKind::WrongAddress,
                                         "reply from meter " + frame.address.toString() +
                                             ", asked " + request.address.toString()));
      }
      return frame;
    }
    if (buffer.size() > MaxReplyBytes) {
      return std::unexpected(
          makeError(DeviceErrorKind::MalformedReply, "over 512 bytes without a valid frame"));
    }
  }
}

Dlt645Link::Dlt645Link(std::unique_ptr<ByteStream> stream, BusTiming timing)
    : m_stream(std::move(stream)), m_timing(timing) {}

std::string Dlt645Link::describe() const {
  return "dlt645 on " + m_stream->describe();
}

std::expected<Dlt645Frame, DeviceError> Dlt645Link::exchangeOnce(const Dlt645Frame& request) {
  if (m_timing.interRequestDelayMs > 0) {
    std::this_thread::sleep_until(m_lastExchangeEnd +
                                  std::chrono::milliseconds(m_timing.interRequestDelayMs));
  }
  if (!m_stream->isOpen()) {
    if (auto opened = m_stream->open(); !opened) {
      return std::unexpected(opened.error());
    }
  }
  drainUntilQuiet(*m_stream, 0, 0);
  const auto bytes = encodeDlt645(request);
  if (!bytes) {
    return std::unexpected(makeError(DeviceErrorKind::InvalidArgument, bytes.error()));
  }
  if (auto sent = m_stream->writeAll(*bytes); !sent) {
    return std::unexpected(sent.error());
  }
  auto reply =
      readDlt645Reply(*m_stream, request, m_timing.responseTimeoutMs, m_timing.byteTimeoutMs);
  if (!reply && m_stream->isOpen()) {
    drainUntilQuiet(*m_stream, m_timing.quietMs,
                    std::max(m_timing.quietMs, m_timing.responseTimeoutMs));
  }
  m_lastExchangeEnd = std::chrono::steady_clock::now();
  return reply;
}

std::expected<Dlt645Frame, DeviceError> Dlt645Link::transact(const Dlt645Frame& request,
                                                             Dlt645Retry retry) {
  std::lock_guard lock(m_mutex);
  const int attempts = retry == Dlt645Retry::Allowed ? 1 + m_timing.retries : 1;
  std::expected<Dlt645Frame, DeviceError> result;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    result = exchangeOnce(request);
    if (result || !isRetryableRead(result.error().kind)) {
      break;
    }
  }
  return result;
}

std::expected<std::shared_ptr<Dlt645Link>, DeviceError> openDlt645Link(const TransportUri& uri) {
  if (uri.scheme == TransportScheme::Dlt645Tcp) {
    return std::make_shared<Dlt645Link>(
        makeTcpStream(uri.host, uri.port, uri.timing.connectTimeoutMs), uri.timing);
  }
  if (uri.scheme == TransportScheme::Dlt645Serial) {
    return std::make_shared<Dlt645Link>(makeSerialStream(uri.serial), uri.timing);
  }
  return std::unexpected(
      makeError(DeviceErrorKind::InvalidArgument,
                std::string(toString(uri.scheme)) + " is not a DL/T 645 transport"));
}

}  // namespace prepaid::devices
