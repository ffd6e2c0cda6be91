#pragma once

// DL/T 645-2007 frame codec (multi-function watt-hour meter communication protocol):
//
//   [FE FE FE FE] 68 A0 A1 A2 A3 A4 A5 68 C L DATA… CS 16
//
// A0..A5: meter address, 12 BCD digits, LOW byte first (address 123456789012 -> 12 90 78 56 34
// 12); AA AA AA AA AA AA is the broadcast address. L: data length. DATA bytes are sent +0x33
// (mod 256) each; Dlt645Frame::data holds them WITHOUT the offset. CS: sum of all bytes from the
// first 68 to the last data byte, mod 256. Receivers tolerate 0-4 FE and any leading garbage.
// Data identifiers (DI) are 4 bytes sent low byte first (DI 02010100 -> 00 01 01 02).

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace prepaid::devices {

/// Control codes (DL/T 645-2007 section 7): a reply sets bit 7; an error reply also sets bit 6.
namespace dlt645 {
inline constexpr std::uint8_t ReadData = 0x11;
inline constexpr std::uint8_t WriteData = 0x14;
inline constexpr std::uint8_t RemoteControl = 0x1C;
inline constexpr std::uint8_t ReplyBit = 0x80;
inline constexpr std::uint8_t ErrorBit = 0x40;
inline constexpr std::uint8_t FollowUpBit = 0x20;
inline constexpr std::size_t MaxDataLength = 200;  // 2007 edition limit for L on read replies

// Data identifiers (DI3 DI2 DI1 DI0 as printed in the standard).
inline constexpr std::uint32_t DiTotalEnergy = 0x00000000;      // XXXXXX.XX kWh, 4 bytes
inline constexpr std::uint32_t DiSharpEnergy = 0x00000100;      // rate 1 (尖)
inline constexpr std::uint32_t DiPeakEnergy = 0x00000200;       // rate 2 (峰)
inline constexpr std::uint32_t DiFlatEnergy = 0x00000300;       // rate 3 (平)
inline constexpr std::uint32_t DiValleyEnergy = 0x00000400;     // rate 4 (谷)
inline constexpr std::uint32_t DiVoltageA = 0x02010100;         // XXX.X V, 2 bytes
inline constexpr std::uint32_t DiCurrentA = 0x02020100;         // XXX.XXX A, 3 bytes, sign bit
inline constexpr std::uint32_t DiActivePower = 0x02030000;      // XX.XXXX kW, 3 bytes, sign bit
inline constexpr std::uint32_t DiPowerFactor = 0x02060000;      // X.XXX, 2 bytes, sign bit
inline constexpr std::uint32_t DiRemainingAmount = 0x00900200;  // XXXXXX.XX yuan, 4 bytes
inline constexpr std::uint32_t DiPurchaseCount = 0x03330201;    // XXXX, 2 bytes (last purchase)
inline constexpr std::uint32_t DiAlarmAmount1 = 0x04001001;     // XXXXXX.XX yuan, 4 bytes
inline constexpr std::uint32_t DiAlarmAmount2 = 0x04001002;     // XXXXXX.XX yuan, 4 bytes
inline constexpr std::uint32_t DiRunStatus3 = 0x04000503;  // status word 3, 2 bytes, bit 4 relay
inline constexpr std::uint32_t DiPrice1 = 0x04050101;      // XXXX.XXXX yuan/kWh, 4 bytes; +1..+3

// Remote control (0x1C) command byte N1.
inline constexpr std::uint8_t CtrlTrip = 0x1A;          // 跳闸
inline constexpr std::uint8_t CtrlCloseAllowed = 0x1B;  // 合闸允许
inline constexpr std::uint8_t CtrlCloseDirect = 0x1C;   // 直接合闸
inline constexpr std::uint8_t CtrlKeepPower = 0x3A;     // 保电
inline constexpr std::uint8_t CtrlKeepPowerOff = 0x3B;  // 保电解除

// Error reply ERR bits.
inline constexpr std::uint8_t ErrOther = 0x01;
inline constexpr std::uint8_t ErrNoData = 0x02;
inline constexpr std::uint8_t ErrUnauthorized = 0x04;
}  // namespace dlt645

/// A 6-byte meter address in wire order (low byte first).
struct Dlt645Address {
  std::array<std::uint8_t, 6> wire{};

  /// Broadcast AAAAAAAAAAAA.
  [[nodiscard]] static Dlt645Address broadcast();
  /// From 12 decimal digits as printed on the meter ("123456789012") or "AAAAAAAAAAAA".
  [[nodiscard]] static std::optional<Dlt645Address> parse(std::string_view text);
  /// From a number 0..999999999999.
  [[nodiscard]] static std::optional<Dlt645Address> fromNumber(std::uint64_t number);
  /// As printed (most significant first), e.g. "123456789012".
  [[nodiscard]] std::string toString() const;
  [[nodiscard]] bool isBroadcast() const;
  bool operator==(const Dlt645Address&) const = default;
};

struct Dlt645Frame {
  Dlt645Address address;
  std::uint8_t control = 0;
  std::vector<std::uint8_t> data;  // without the +0x33 offset
};

/// The bytes of `frame` with `preambleFe` (0..4) FE bytes in front.
/// Error text when data is longer than 255 bytes.
[[nodiscard]] std::expected<std::vector<std::uint8_t>, std::string> encodeDlt645(
    const Dlt645Frame& frame, std::size_t preambleFe = 4);

enum class Dlt645DecodeStatus {
  Frame,        // a complete, valid frame was found
  NeedMore,     // no complete frame yet (possibly a prefix of one)
  BadChecksum,  // a structurally complete frame with a wrong CS
  BadEnd,       // a structurally complete frame without the closing 16
};

struct Dlt645DecodeResult {
  Dlt645DecodeStatus status = Dlt645DecodeStatus::NeedMore;
  Dlt645Frame frame;         // valid when status == Frame
  std::size_t consumed = 0;  // bytes up to and including the end of the frame (or the bad one)
};

/// Finds the first frame in `bytes`, skipping FE preamble and any garbage before a 68 that starts
/// a well-formed frame. Never reads outside `bytes`; any input is safe.
[[nodiscard]] Dlt645DecodeResult decodeDlt645(std::span<const std::uint8_t> bytes);

/// DI in wire order (4 bytes, low byte first) — the first 4 data bytes of a read request.
[[nodiscard]] std::array<std::uint8_t, 4> dlt645DiBytes(std::uint32_t di);

/// Builds a read request (0x11) for `di` at `address`.
[[nodiscard]] Dlt645Frame dlt645ReadRequest(const Dlt645Address& address, std::uint32_t di);

/// Decodes an unsigned BCD field (low byte first) of `bytes`; nullopt on a non-BCD nibble.
/// With `signBit`, bit 7 of the most significant byte is the sign (negative when set).
enum class BcdSign { Unsigned, SignBit };
[[nodiscard]] std::optional<std::int64_t> decodeBcd(std::span<const std::uint8_t> bytes,
                                                    BcdSign sign = BcdSign::Unsigned);
/// Encodes |value| as `size` BCD bytes low byte first; nullopt when it does not fit.
[[nodiscard]] std::optional<std::vector<std::uint8_t>> encodeBcd(std::int64_t value,
                                                                 std::size_t size,
                                                                 BcdSign sign = BcdSign::Unsigned);

}  // namespace prepaid::devices
