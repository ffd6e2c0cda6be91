#include "prepaid/meter/transport_uri.hpp"

#include <charconv>
#include <utility>

namespace prepaid::devices {

namespace {

std::expected<TransportUri, DeviceError> invalid(std::string detail) {
  return std::unexpected(makeError(DeviceErrorKind::InvalidArgument, std::move(detail)));
}

bool parseInt(std::string_view text, int min, int max, int& out) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return false;
  }
  out = value;
  return true;
}

}  // namespace

std::expected<TransportUri, DeviceError> parseTransportUri(std::string_view uri) {
  TransportUri out;
  std::string_view rest;
  struct Prefix {
    std::string_view text;
    TransportScheme scheme;
  };
  constexpr Prefix Prefixes[] = {{"rtu+tcp://", TransportScheme::RtuOverTcp},
                                 {"tcp://", TransportScheme::Tcp},
                                 {"dlt645+tcp://", TransportScheme::Dlt645Tcp},
                                 {"rtu:", TransportScheme::Rtu},
                                 {"dlt645:", TransportScheme::Dlt645Serial}};
  bool matched = false;
  for (const auto& prefix : Prefixes) {
    if (uri.starts_with(prefix.text)) {
      out.scheme = prefix.scheme;
      rest = uri.substr(prefix.text.size());
      matched = true;
      break;
    }
  }
  if (!matched) {
    return invalid("transport '" + std::string(uri) +
                   "': expected rtu:DEVICE, tcp://HOST[:PORT], rtu+tcp://HOST:PORT, "
                   "dlt645+tcp://HOST:PORT or dlt645:DEVICE");
  }
  std::string_view query;
  if (const auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  const bool serial =
      out.scheme == TransportScheme::Rtu || out.scheme == TransportScheme::Dlt645Serial;
  if (out.scheme == TransportScheme::Dlt645Serial) {
    out.serial.baud = 2400;  // the DL/T 645 default rate
  }
  if (serial) {
    if (rest.empty()) {
      return invalid("transport '" + std::string(uri) + "': serial device path missing");
    }
    out.serial.device = std::string(rest);
  } else {
    std::string_view host = rest;
    std::string_view port;
    if (rest.starts_with('[')) {  // [::1]:502
      const auto close = rest.find(']');
      if (close == std::string_view::npos) {
        return invalid("transport '" + std::string(uri) + "': unterminated [IPv6] host");
      }
      host = rest.substr(1, close - 1);
      if (close + 1 < rest.size()) {
        if (rest[close + 1] != ':') {
          return invalid("transport '" + std::string(uri) + "': expected :PORT after ]");
        }
        port = rest.substr(close + 2);
      }
    } else if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
      host = rest.substr(0, colon);
      port = rest.substr(colon + 1);
    }
    if (host.empty()) {
      return invalid("transport '" + std::string(uri) + "': host missing");
    }
    out.host = std::string(host);
    int portNumber = 0;
    if (port.empty()) {
      if (out.scheme != TransportScheme::Tcp) {
        return invalid("transport '" + std::string(uri) + "': port required");
      }
      portNumber = 502;
    } else if (!parseInt(port, 1, 65535, portNumber)) {
      return invalid("transport '" + std::string(uri) + "': bad port '" + std::string(port) + "'");
    }
    out.port = static_cast<std::uint16_t>(portNumber);
  }
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (item.empty()) {
      continue;
    }
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) {
      return invalid("transport parameter '" + std::string(item) + "' has no value");
    }
    const std::string_view key = item.substr(0, eq);
    const std::string_view value = item.substr(eq + 1);
    const auto bad = [&](std::string_view range) {
      return invalid("transport parameter " + std::string(key) + "=" + std::string(value) +
                     ": expected " + std::string(range));
    };
    auto& t = out.timing;
    if (key == "timeout_ms") {
      if (!parseInt(value, 1, 60000, t.responseTimeoutMs)) {
        return bad("1..60000");
      }
    } else if (key == "byte_timeout_ms") {
      if (!parseInt(value, 1, 60000, t.byteTimeoutMs)) {
        return bad("1..60000");
      }
    } else if (key == "delay_ms") {
      if (!parseInt(value, 0, 60000, t.interRequestDelayMs)) {
        return bad("0..60000");
      }
    } else if (key == "retries") {
      if (!parseInt(value, 0, 10, t.retries)) {
        return bad("0..10");
      }
    } else if (key == "quiet_ms") {
      if (!parseInt(value, 0, 60000, t.quietMs)) {
        return bad("0..60000");
      }
    } else if (key == "connect_timeout_ms") {
      if (!parseInt(value, 1, 60000, t.connectTimeoutMs)) {
        return bad("1..60000");
      }
    } else if (serial && key == "baud") {
      if (!parseInt(value, 300, 4000000, out.serial.baud)) {
        return bad("300..4000000");
      }
    } else if (serial && key == "parity") {
      if (value == "N" || value == "n") {
        out.serial.parity = Parity::None;
      } else if (value == "E" || value == "e") {
        out.serial.parity = Parity::Even;
      } else if (value == "O" || value == "o") {
        out.serial.parity = Parity::Odd;
      } else {
        return bad("N, E or O");
      }
    } else if (serial && key == "data_bits") {
      if (!parseInt(value, 7, 8, out.serial.dataBits)) {
        return bad("7 or 8");
      }
    } else if (serial && key == "stop_bits") {
      if (!parseInt(value, 1, 2, out.serial.stopBits)) {
        return bad("1 or 2");
      }
    } else {
      return invalid("unknown transport parameter '" + std::string(key) + "' for " +
                     std::string(toString(out.scheme)));
    }
  }
  return out;
}

bool isModbusScheme(TransportScheme scheme) {
  return scheme == TransportScheme::Rtu || scheme == TransportScheme::Tcp ||
         scheme == TransportScheme::RtuOverTcp;
}

std::string_view toString(TransportScheme scheme) {
  switch (scheme) {
    case TransportScheme::Rtu:
      return "rtu";
    case TransportScheme::Tcp:
      return "tcp";
    case TransportScheme::RtuOverTcp:
      return "rtu+tcp";
    case TransportScheme::Dlt645Tcp:
      return "dlt645+tcp";
    case TransportScheme::Dlt645Serial:
      return "dlt645";
  }
  return "?";
}

}  // namespace prepaid::devices
