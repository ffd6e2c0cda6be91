#include "prepaid/meter/dlt645_frame.hpp"

#include <algorithm>

namespace prepaid::devices {

namespace {

constexpr std::uint8_t Start = 0x68;
constexpr std::uint8_t End = 0x16;
constexpr std::uint8_t Offset = 0x33;
constexpr std::size_t HeaderSize = 10;  // 68 A0..A5 68 C L

}  // namespace

Dlt645Address Dlt645Address::broadcast() {
  Dlt645Address address;
  address.wire.fill(0xAA);
  return address;
}

std::optional<Dlt645Address> Dlt645Address::parse(std::string_view text) {
  if (text == "AAAAAAAAAAAA" || text == "aaaaaaaaaaaa") {
    return broadcast();
  }
  if (text.size() != 12) {
    return std::nullopt;
  }
  std::uint64_t number = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    number = number * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return fromNumber(number);
}

std::optional<Dlt645Address> Dlt645Address::fromNumber(std::uint64_t number) {
  if (number > 999'999'999'999ULL) {
    return std::nullopt;
  }
  Dlt645Address address;
  for (auto& byte : address.wire) {
    const auto low = static_cast<std::uint8_t>(number % 10);
    number /= 10;
    const auto high = static_cast<std::uint8_t>(number % 10);
    number /= 10;
    byte = static_cast<std::uint8_t>((high << 4) | low);
  }
  return address;
}

std::string Dlt645Address::toString() const {
  static constexpr char Digits[] = "0123456789ABCDEF";
  std::string out;
  for (auto it = wire.rbegin(); it != wire.rend(); ++it) {
    out.push_back(Digits[*it >> 4]);
    out.push_back(Digits[*it & 0x0F]);
  }
  return out;
}

bool Dlt645Address::isBroadcast() const {
  return *this == broadcast();
}

std::expected<std::vector<std::uint8_t>, std::string> encodeDlt645(const Dlt645Frame& frame,
                                                                   std::size_t preambleFe) {
  if (frame.data.size() > 255) {
    return std::unexpected("DL/T 645 data longer than 255 bytes");
  }
  std::vector<std::uint8_t> out(std::min<std::size_t>(preambleFe, 4), 0xFE);
  const std::size_t start = out.size();
  out.push_back(Start);
  out.insert(out.end(), frame.address.wire.begin(), frame.address.wire.end());
  out.push_back(Start);
  out.push_back(frame.control);
  out.push_back(static_cast<std::uint8_t>(frame.data.size()));
  for (const auto byte : frame.data) {
    out.push_back(static_cast<std::uint8_t>(byte + Offset));
  }
  std::uint8_t sum = 0;
  for (std::size_t i = start; i < out.size(); ++i) {
    sum = static_cast<std::uint8_t>(sum + out[i]);
  }
  out.push_back(sum);
  out.push_back(End);
  return out;
}

Dlt645DecodeResult decodeDlt645(std::span<const std::uint8_t> bytes) {
  Dlt645DecodeResult result;
  // A candidate start is a 68 with another 68 seven bytes later. Anything else before it is
  // preamble or line noise and is skipped; a candidate whose frame fails the checks is skipped
  // byte by byte too, so a stray 68 in the noise cannot hide the real frame behind it.
  bool sawBadChecksum = false;
  bool sawBadEnd = false;
  std::size_t badConsumed = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] != Start) {
      continue;
    }
    if (bytes.size() - i < HeaderSize) {
      if (sawBadChecksum || sawBadEnd) {
        break;  // report the complete bad frame rather than wait on a later fragment
      }
      result.status = Dlt645DecodeStatus::NeedMore;
      result.consumed = i;  // everything before the candidate is garbage
      return result;
    }
    if (bytes[i + 7] != Start) {
      continue;
    }
    const std::size_t length = bytes[i + 9];
    const std::size_t total = HeaderSize + length + 2;
    if (bytes.size() - i < total) {
      if (sawBadChecksum || sawBadEnd) {
        break;
      }
      result.status = Dlt645DecodeStatus::NeedMore;
      result.consumed = i;
      return result;
    }
    std::uint8_t sum = 0;
    for (std::size_t k = i; k < i + HeaderSize + length; ++k) {
      sum = static_cast<std::uint8_t>(sum + bytes[k]);
    }
    if (sum != bytes[i + HeaderSize + length]) {
      sawBadChecksum = true;
      badConsumed = i + total;
      continue;
    }
    if (bytes[i + total - 1] != End) {
      sawBadEnd = true;
      badConsumed = i + total;
      continue;
    }
    result.status = Dlt645DecodeStatus::Frame;
    result.consumed = i + total;
    std::copy(bytes.begin() + static_cast<std::ptrdiff_t>(i + 1),
              bytes.begin() + static_cast<std::ptrdiff_t>(i + 7),
              result.frame.address.wire.begin());
    result.frame.control = bytes[i + 8];
    result.frame.data.reserve(length);
    for (std::size_t k = 0; k < length; ++k) {
      result.frame.data.push_back(static_cast<std::uint8_t>(bytes[i + HeaderSize + k] - Offset));
    }
    return result;
  }
  if (sawBadChecksum || sawBadEnd) {
    result.status = sawBadChecksum ? Dlt645DecodeStatus::BadChecksum : Dlt645DecodeStatus::BadEnd;
    result.consumed = badConsumed;
    return result;
  }
  result.status = Dlt645DecodeStatus::NeedMore;
  result.consumed = bytes.size();  // no 68 at all: all garbage
  return result;
}

std::array<std::uint8_t, 4> dlt645DiBytes(std::uint32_t di) {
  return {static_cast<std::uint8_t>(di), static_cast<std::uint8_t>(di >> 8),
          static_cast<std::uint8_t>(di >> 16), static_cast<std::uint8_t>(di >> 24)};
}

Dlt645Frame dlt645ReadRequest(const Dlt645Address& address, std::uint32_t di) {
  Dlt645Frame frame;
  frame.address = address;
  frame.control = dlt645::ReadData;
  const auto bytes = dlt645DiBytes(di);
  frame.data.assign(bytes.begin(), bytes.end());
  return frame;
}

std::optional<std::int64_t> decodeBcd(std::span<const std::uint8_t> bytes, BcdSign sign) {
  if (bytes.empty() || bytes.size() > 8) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  bool negative = false;
  for (std::size_t n = bytes.size(); n-- > 0;) {
    std::uint8_t byte = bytes[n];
    if (n + 1 == bytes.size() && sign == BcdSign::SignBit) {
      negative = (byte & 0x80) != 0;
      byte = static_cast<std::uint8_t>(byte & 0x7F);
    }
    const int high = byte >> 4;
    const int low = byte & 0x0F;
    if (high > 9 || low > 9) {
      return std::nullopt;
    }
    value = value * 100 + high * 10 + low;
  }
  return negative ? -value : value;
}

std::optional<std::vector<std::uint8_t>> encodeBcd(std::int64_t value, std::size_t size,
                                                   BcdSign sign) {
  if (size == 0 || size > 8 || (value < 0 && sign == BcdSign::Unsigned)) {
    return std::nullopt;
  }
  const bool negative = value < 0;
  auto magnitude =
      negative ? static_cast<std::uint64_t>(-(value + 1)) + 1 : static_cast<std::uint64_t>(value);
  std::vector<std::uint8_t> out(size, 0);
  for (std::size_t n = 0; n < size; ++n) {
    const auto low = static_cast<std::uint8_t>(magnitude % 10);
    magnitude /= 10;
    const auto high = static_cast<std::uint8_t>(magnitude % 10);
    magnitude /= 10;
    out[n] = static_cast<std::uint8_t>((high << 4) | low);
  }
  if (magnitude != 0) {
    return std::nullopt;
  }
  if (sign == BcdSign::SignBit) {
    if ((out[size - 1] & 0x80) != 0) {
      return std::nullopt;  // the top digit needs the sign bit
    }
    if (negative) {
      out[size - 1] = static_cast<std::uint8_t>(out[size - 1] | 0x80);
    }
  }
  return out;
}

}  // namespace prepaid::devices
