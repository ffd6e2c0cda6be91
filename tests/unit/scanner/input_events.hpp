#pragma once

// Builds the byte stream a keyboard-wedge scanner's event device produces for a code.

#include <cstring>
#include <string>

#include <linux/input.h>

namespace prepaid::devices::testing {

inline void appendEvent(std::string& out, std::uint16_t type, std::uint16_t code,
                        std::int32_t value) {
  input_event e{};
  e.type = type;
  e.code = code;
  e.value = value;
  out.append(reinterpret_cast<const char*>(&e), sizeof(e));
}

inline void appendKey(std::string& out, std::uint16_t code, bool shift = false) {
  if (shift) {
    appendEvent(out, EV_KEY, KEY_LEFTSHIFT, 1);
  }
  appendEvent(out, EV_MSC, MSC_SCAN, 0x70000);
  appendEvent(out, EV_KEY, code, 1);
  appendEvent(out, EV_SYN, SYN_REPORT, 0);
  appendEvent(out, EV_KEY, code, 0);
  appendEvent(out, EV_SYN, SYN_REPORT, 0);
  if (shift) {
    appendEvent(out, EV_KEY, KEY_LEFTSHIFT, 0);
  }
}

/// Digits and upper-case letters of `code` followed by Enter.
inline std::string scanStream(const std::string& code) {
  static const std::uint16_t digits[] = {KEY_0, KEY_1, KEY_2, KEY_3, KEY_4,
                                         KEY_5, KEY_6, KEY_7, KEY_8, KEY_9};
  static const std::uint16_t letters[] = {
      KEY_A, KEY_B, KEY_C, KEY_D, KEY_E, KEY_F, KEY_G, KEY_H, KEY_I, KEY_J, KEY_K, KEY_L, KEY_M,
      KEY_N, KEY_O, KEY_P, KEY_Q, KEY_R, KEY_S, KEY_T, KEY_U, KEY_V, KEY_W, KEY_X, KEY_Y, KEY_Z};
  std::string out;
  for (char c : code) {
    if (c >= '0' && c <= '9') {
      appendKey(out, digits[c - '0']);
    } else if (c >= 'A' && c <= 'Z') {
      appendKey(out, letters[c - 'A'], true);
    }
  }
  appendKey(out, KEY_ENTER);
  return out;
}

}  // namespace prepaid::devices::testing
