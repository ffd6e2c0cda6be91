#pragma once

// Turns the key events of a keyboard-wedge scanner into code strings. The scanner "types" the
// code on a US layout and ends it with Enter; shift is tracked for upper case and symbols.

#include <cstdint>
#include <optional>
#include <string>

namespace prepaid::devices {

/// The fields of struct input_event that matter (type, code, value), so the decoder is testable
/// without the kernel header's timeval layout.
struct KeyEvent {
  std::uint16_t type = 0;  // EV_KEY = 1
  std::uint16_t code = 0;  // KEY_*
  std::int32_t value = 0;  // 1 press, 0 release, 2 autorepeat
};

class KeycodeDecoder {
 public:
  /// Longest code kept; longer input is dropped up to the next Enter (a stuck key, not a code).
  static constexpr std::size_t MaxCodeLength = 512;

  /// Feeds one event; returns the finished code when it was Enter and the code is non-empty.
  [[nodiscard]] std::optional<std::string> feed(const KeyEvent& event);
  /// Forgets a half-typed code (e.g. after a read error).
  void reset();

 private:
  std::string m_buffer;
  bool m_leftShift = false;
  bool m_rightShift = false;
  bool m_overflow = false;
};

/// The character of KEY_* `code` on a US layout, 0 when it types none.
[[nodiscard]] char keycodeToChar(std::uint16_t code, bool shift);

}  // namespace prepaid::devices
