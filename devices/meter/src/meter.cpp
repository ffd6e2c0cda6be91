#include "prepaid/meter/meter.hpp"

#include <limits>

namespace prepaid::devices {

std::optional<MacFields> rechargeMacFields(std::uint64_t meterAddress,
                                           const RechargeCommand& command) {
  const std::int64_t fen = command.amount.fen();
  if (fen <= 0 || fen > std::int64_t{std::numeric_limits<std::uint32_t>::max()}) {
    return std::nullopt;
  }
  return MacFields{.meterAddress = meterAddress,
                   .kind = CommandKind::Recharge,
                   .purchaseCount = command.purchaseCount,
                   .amountFenOrCode = static_cast<std::uint32_t>(fen),
                   .timeUnixSeconds = command.timeUnixSeconds};
}

MacFields controlMacFields(std::uint64_t meterAddress, const ControlCommand& command) {
  return MacFields{.meterAddress = meterAddress,
                   .kind = CommandKind::Control,
                   .purchaseCount = command.purchaseCount,
                   .amountFenOrCode = static_cast<std::uint32_t>(command.code),
                   .timeUnixSeconds = command.timeUnixSeconds};
}

std::string_view toString(ControlCode code) {
  switch (code) {
    case ControlCode::Trip:
      return "trip";
    case ControlCode::Close:
      return "close";
    case ControlCode::KeepPowerOn:
      return "keep-power-on";
    case ControlCode::KeepPowerOff:
      return "keep-power-off";
    case ControlCode::ResumePrepaid:
      return "resume-prepaid";
  }
  return "unknown";
}

std::optional<ControlCode> parseControlCode(std::string_view name) {
  for (const auto code : {ControlCode::Trip, ControlCode::Close, ControlCode::KeepPowerOn,
                          ControlCode::KeepPowerOff, ControlCode::ResumePrepaid}) {
    if (toString(code) == name) {
      return code;
    }
  }
  return std::nullopt;
}

}  // namespace prepaid::devices
