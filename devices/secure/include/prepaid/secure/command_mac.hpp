#pragma once

// Command MACs: the contract between the backend (which signs) and a prepaid meter (which
// verifies). prepaid-meter-sim implements the meter side with the same functions.
//
// MAC input (19 bytes, every integer big-endian):
//
//   offset size field
//   0      6    meter address: 12 decimal digits as BCD, most significant pair first
//               (meter number 000000000017 -> 00 00 00 00 00 17). Modbus meters without a
//               configured meter number use their unit id as the number.
//   6      1    command kind: 0x01 recharge, 0x02 control
//   7      4    purchase count: recharge -> the new count (meter's current + 1);
//               control -> the meter's current count (binds the command to the meter's state)
//   11     4    recharge -> amount in fen (uint32); control -> command code (uint32, see
//               ControlCode in prepaid/meter/meter.hpp: 1 trip, 2 close, 3 keep power on,
//               4 keep power off, 5 resume prepaid)
//   15     4    time: Unix seconds UTC (uint32) when the command was issued
//
// MAC output is always 16 bytes (CommandMac):
//   AES-128-CMAC (NIST SP 800-38B, RFC 4493), key 16 bytes -> the full 16-byte tag.
//   3DES retail MAC (ISO/IEC 9797-1 MAC algorithm 3 with DES, padding method 2: 0x80 then zeros
//   to a multiple of 8), key 16 bytes K1||K2 -> 8-byte MAC followed by 8 zero bytes.
// Keys are per meter. See devices/secure/README.md (3DES is legacy only).

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace prepaid::devices {

enum class MacAlgorithm {
  AesCmac,         // AES-128-CMAC (default)
  TripleDesRetail  // ISO/IEC 9797-1 algorithm 3 ("retail MAC"), 2-key 3DES; legacy meters only
};

enum class CommandKind : std::uint8_t {
  Recharge = 0x01,
  Control = 0x02,
};

inline constexpr std::size_t MacInputSize = 19;
inline constexpr std::size_t CommandMacSize = 16;
inline constexpr std::uint64_t MaxMeterAddress = 999'999'999'999;

using CommandMac = std::array<std::uint8_t, CommandMacSize>;
using MacKey = std::array<std::uint8_t, 16>;

enum class MacError {
  BadAddress,        // meter address has more than 12 decimal digits
  BadKey,            // key text is not 32 hex digits
  Crypto,            // OpenSSL failed (should not happen with a valid key)
  UnknownAlgorithm,  // algorithm name is not "aes-cmac" or "3des-retail"
};

/// The fields a command MAC covers.
struct MacFields {
  std::uint64_t meterAddress = 0;  // 0 .. 999999999999
  CommandKind kind = CommandKind::Recharge;
  std::uint32_t purchaseCount = 0;
  std::uint32_t amountFenOrCode = 0;
  std::uint32_t timeUnixSeconds = 0;
};

/// The 19-byte MAC input laid out as documented above. Error: BadAddress.
[[nodiscard]] std::expected<std::array<std::uint8_t, MacInputSize>, MacError> macInput(
    const MacFields& fields);

/// The MAC of `fields` under `key` with `algorithm` (layout above). Errors: BadAddress, Crypto.
[[nodiscard]] std::expected<CommandMac, MacError> computeCommandMac(MacAlgorithm algorithm,
                                                                    const MacKey& key,
                                                                    const MacFields& fields);

/// Constant-time check of a received MAC (meter side / simulator).
[[nodiscard]] bool verifyCommandMac(MacAlgorithm algorithm, const MacKey& key,
                                    const MacFields& fields, const CommandMac& received);

/// Raw AES-128-CMAC of arbitrary bytes (RFC 4493). Error: Crypto.
[[nodiscard]] std::expected<std::array<std::uint8_t, 16>, MacError> aesCmac(
    const MacKey& key, std::span<const std::uint8_t> message);

/// Raw ISO/IEC 9797-1 MAC algorithm 3 (DES, padding method 2) with key K1||K2. Error: Crypto.
[[nodiscard]] std::expected<std::array<std::uint8_t, 8>, MacError> tripleDesRetailMac(
    const MacKey& key, std::span<const std::uint8_t> message);

/// Parses 32 hex digits (spaces not allowed). Error: BadKey.
[[nodiscard]] std::expected<MacKey, MacError> parseMacKey(std::string_view hex);

/// "aes-cmac" / "3des-retail".
[[nodiscard]] std::string_view toString(MacAlgorithm algorithm);
/// Parses a name produced by toString(MacAlgorithm).
[[nodiscard]] std::expected<MacAlgorithm, MacError> parseMacAlgorithm(std::string_view name);

[[nodiscard]] std::string_view toString(MacError error);

}  // namespace prepaid::devices
