#pragma once

// The serial-line timing model of a simulated RS-485 bus: character time, the Modbus t3.5
// inter-frame gap and the time one request/reply transaction occupies the bus.

#include <chrono>
#include <cstddef>
#include <expected>
#include <string>
#include <string_view>

namespace prepaid::devices::sim {

enum class Parity { None, Even, Odd };

/// Settings of the RS-485 line behind a gateway.
struct SerialLine {
  int baud = 9600;
  Parity parity = Parity::Even;
  int dataBits = 8;
  int stopBits = 1;
};

/// Parses "N", "E", "O" (any case, optionally followed by the stop bits: "E1", "N2").
/// Returns the parity and writes the stop bits into line; an error message otherwise.
[[nodiscard]] std::expected<void, std::string> parseParity(std::string_view text, SerialLine& line);

/// Timing of one simulated bus. Thread-compatible value type.
class BusTiming {
 public:
  using Nanos = std::chrono::nanoseconds;

  /// Modbus over serial line spec V1.02, 2.5.1.1: above 19200 baud t3.5 is fixed at 1.75 ms.
  static constexpr Nanos FixedT35 = std::chrono::microseconds(1750);
  static constexpr int FixedTimerAboveBaud = 19200;

  BusTiming() = default;
  BusTiming(SerialLine line, std::chrono::microseconds turnaround)
      : m_line(line), m_turnaround(turnaround) {}

  /// Bits on the wire per character: start + data + parity + stop (11 for 8E1, 10 for 8N1).
  [[nodiscard]] int bitsPerChar() const;
  /// Time to transmit one character.
  [[nodiscard]] Nanos charTime() const;
  /// The inter-frame silence t3.5 (3.5 character times, or 1.75 ms above 19200 baud).
  [[nodiscard]] Nanos t35() const;
  /// Time to transmit a frame of the given number of characters.
  [[nodiscard]] Nanos frameTime(std::size_t chars) const;
  /// The meter's think time between the end of the request and the start of its reply.
  [[nodiscard]] Nanos turnaround() const { return m_turnaround; }
  /// Delay from the start of a request on the wire to the end of the reply:
  /// request + t3.5 (the meter detects the end of frame) + turnaround + reply.
  [[nodiscard]] Nanos replyDelay(std::size_t requestChars, std::size_t replyChars) const;
  /// Bus occupation of one full transaction: replyDelay + the t3.5 silence after the reply.
  [[nodiscard]] Nanos transactionTime(std::size_t requestChars, std::size_t replyChars) const;

  [[nodiscard]] const SerialLine& line() const { return m_line; }

 private:
  SerialLine m_line;
  std::chrono::microseconds m_turnaround{0};
};

}  // namespace prepaid::devices::sim
