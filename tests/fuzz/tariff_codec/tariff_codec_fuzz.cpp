// Fuzzes the tariff text decoder (the store keeps tariffs in this form): any input is either a
// clear error or a valid tariff whose canonical encoding decodes to the same tariff.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "prepaid/domain/tariff_codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace prepaid::domain;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto decoded = decodeTariff(text);
  if (!decoded) {
    if (decoded.error().message.empty()) {
      __builtin_trap();  // every refusal must say why
    }
    return 0;
  }
  const auto canonical = encodeTariff(*decoded);
  const auto again = decodeTariff(canonical);
  if (!again || !(*again == *decoded) || encodeTariff(*again) != canonical) {
    __builtin_trap();
  }
  return 0;
}
