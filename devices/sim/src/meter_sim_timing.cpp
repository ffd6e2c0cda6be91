#include "prepaid/sim/meter_sim_timing.hpp"

#include <cctype>

namespace prepaid::devices::sim {

std::expected<void, std::string> parseParity(std::string_view text, SerialLine& line) {
  if (text.empty() || text.size() > 2) {
    return std::unexpected("parity must be N, E or O, optionally followed by stop bits 1 or 2");
  }
  switch (std::toupper(static_cast<unsigned char>(text[0]))) {
    case 'N':
      line.parity = Parity::None;
      break;
    case 'E':
      line.parity = Parity::Even;
      break;
    case 'O':
      line.parity = Parity::Odd;
      break;
    default:
      return std::unexpected("parity must be N, E or O, got '" + std::string(text) + "'");
  }
  if (text.size() == 2) {
    if (text[1] != '1' && text[1] != '2') {
      return std::unexpected("stop bits must be 1 or 2, got '" + std::string(text) + "'");
    }
    line.stopBits = text[1] - '0';
  }
  return {};
}

int BusTiming::bitsPerChar() const {
  return 1 + m_line.dataBits + (m_line.parity == Parity::None ? 0 : 1) + m_line.stopBits;
}

BusTiming::Nanos BusTiming::charTime() const {
  // Integer nanoseconds: 11 bits at 9600 baud = 1145833 ns; the rounding error is < 1 ns/char.
  return Nanos(static_cast<std::int64_t>(bitsPerChar()) * 1'000'000'000 / m_line.baud);
}

BusTiming::Nanos BusTiming::t35() const {
  if (m_line.baud > FixedTimerAboveBaud) {
    return FixedT35;
  }
  return Nanos(static_cast<std::int64_t>(bitsPerChar()) * 3'500'000'000 / m_line.baud);
}

BusTiming::Nanos BusTiming::frameTime(std::size_t chars) const {
  return Nanos(static_cast<std::int64_t>(chars) * bitsPerChar() * 1'000'000'000 / m_line.baud);
}

BusTiming::Nanos BusTiming::replyDelay(std::size_t requestChars, std::size_t replyChars) const {
  return frameTime(requestChars) + t35() + m_turnaround + frameTime(replyChars);
}

BusTiming::Nanos BusTiming::transactionTime(std::size_t requestChars,
                                            std::size_t replyChars) const {
  return replyDelay(requestChars, replyChars) + t35();
}

}  // namespace prepaid::devices::sim
