#include "prepaid/scanner/keycode_decoder.hpp"

#include <array>

#include <linux/input-event-codes.h>

namespace prepaid::devices {

namespace {

struct KeyChars {
  std::uint16_t code;
  char plain;
  char shifted;
};

// US layout (what scanners emulate by default).
constexpr std::array<KeyChars, 47> Keys = {{
    {KEY_1, '1', '!'},          {KEY_2, '2', '@'},           {KEY_3, '3', '#'},
    {KEY_4, '4', '$'},          {KEY_5, '5', '%'},           {KEY_6, '6', '^'},
    {KEY_7, '7', '&'},          {KEY_8, '8', '*'},           {KEY_9, '9', '('},
    {KEY_0, '0', ')'},          {KEY_MINUS, '-', '_'},       {KEY_EQUAL, '=', '+'},
    {KEY_Q, 'q', 'Q'},          {KEY_W, 'w', 'W'},           {KEY_E, 'e', 'E'},
    {KEY_R, 'r', 'R'},          {KEY_T, 't', 'T'},           {KEY_Y, 'y', 'Y'},
    {KEY_U, 'u', 'U'},          {KEY_I, 'i', 'I'},           {KEY_O, 'o', 'O'},
    {KEY_P, 'p', 'P'},          {KEY_LEFTBRACE, '[', '{'},   {KEY_RIGHTBRACE, ']', '}'},
    {KEY_A, 'a', 'A'},          {KEY_S, 's', 'S'},           {KEY_D, 'd', 'D'},
    {KEY_F, 'f', 'F'},          {KEY_G, 'g', 'G'},           {KEY_H, 'h', 'H'},
    {KEY_J, 'j', 'J'},          {KEY_K, 'k', 'K'},           {KEY_L, 'l', 'L'},
    {KEY_SEMICOLON, ';', ':'},  {KEY_APOSTROPHE, '\'', '"'}, {KEY_GRAVE, '`', '~'},
    {KEY_BACKSLASH, '\\', '|'}, {KEY_Z, 'z', 'Z'},           {KEY_X, 'x', 'X'},
    {KEY_C, 'c', 'C'},          {KEY_V, 'v', 'V'},           {KEY_B, 'b', 'B'},
    {KEY_N, 'n', 'N'},          {KEY_M, 'm', 'M'},           {KEY_COMMA, ',', '<'},
    {KEY_DOT, '.', '>'},        {KEY_SLASH, '/', '?'},
}};

}  // namespace

char keycodeToChar(std::uint16_t code, bool shift) {
  if (code == KEY_SPACE) {
    return ' ';
  }
  for (const auto& key : Keys) {
    if (key.code == code) {
      return shift ? key.shifted : key.plain;
    }
  }
  // Keypad digits type the same with or without shift (num lock on, as scanners assume).
  switch (code) {
    case KEY_KP0:
      return '0';
    case KEY_KP1:
      return '1';
    case KEY_KP2:
      return '2';
    case KEY_KP3:
      return '3';
    case KEY_KP4:
      return '4';
    case KEY_KP5:
      return '5';
    case KEY_KP6:
      return '6';
    case KEY_KP7:
      return '7';
    case KEY_KP8:
      return '8';
    case KEY_KP9:
      return '9';
    case KEY_KPMINUS:
      return '-';
    case KEY_KPPLUS:
      return '+';
    case KEY_KPDOT:
      return '.';
    case KEY_KPSLASH:
      return '/';
    case KEY_KPASTERISK:
      return '*';
    default:
      return 0;
  }
}

std::optional<std::string> KeycodeDecoder::feed(const KeyEvent& event) {
  if (event.type != EV_KEY) {
    return std::nullopt;
  }
  if (event.code == KEY_LEFTSHIFT) {
    m_leftShift = event.value != 0;
    return std::nullopt;
  }
  if (event.code == KEY_RIGHTSHIFT) {
    m_rightShift = event.value != 0;
    return std::nullopt;
  }
  // Only presses type; autorepeat from a scanner is noise.
  if (event.value != 1) {
    return std::nullopt;
  }
  if (event.code == KEY_ENTER || event.code == KEY_KPENTER) {
    std::optional<std::string> done;
    if (!m_overflow && !m_buffer.empty()) {
      done = std::move(m_buffer);
    }
    reset();
    return done;
  }
  const char c = keycodeToChar(event.code, m_leftShift || m_rightShift);
  if (c == 0) {
    return std::nullopt;
  }
  if (m_buffer.size() >= MaxCodeLength) {
    m_overflow = true;
    m_buffer.clear();
    return std::nullopt;
  }
  if (!m_overflow) {
    m_buffer.push_back(c);
  }
  return std::nullopt;
}

void KeycodeDecoder::reset() {
  m_buffer.clear();
  m_overflow = false;
}

}  // namespace prepaid::devices
