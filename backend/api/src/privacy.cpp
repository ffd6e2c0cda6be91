#include "prepaid/api/privacy.hpp"

namespace prepaid::backend::api {

namespace {

// Length in bytes of the UTF-8 sequence starting with `lead`, 0 when `lead` cannot start one.
std::size_t sequenceLength(unsigned char lead) {
  if (lead < 0x80) {
    return 1;
  }
  if ((lead & 0xE0) == 0xC0) {
    return 2;
  }
  if ((lead & 0xF0) == 0xE0) {
    return 3;
  }
  if ((lead & 0xF8) == 0xF0) {
    return 4;
  }
  return 0;
}

}  // namespace

std::string maskName(std::string_view name) {
  if (name.empty()) {
    return {};
  }
  const auto length = sequenceLength(static_cast<unsigned char>(name.front()));
  if (length == 0 || length > name.size()) {
    return "*";
  }
  for (std::size_t i = 1; i < length; ++i) {
    if ((static_cast<unsigned char>(name[i]) & 0xC0) != 0x80) {
      return "*";
    }
  }
  return std::string(name.substr(0, length)) + "*";
}

std::string maskPhone(std::string_view phone) {
  if (phone.size() < 8) {
    return std::string(phone.size(), '*');
  }
  std::string masked(phone);
  for (std::size_t i = 3; i + 4 < masked.size(); ++i) {
    masked[i] = '*';
  }
  return masked;
}

}  // namespace prepaid::backend::api
