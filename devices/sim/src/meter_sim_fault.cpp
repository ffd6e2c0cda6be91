#include "prepaid/sim/meter_sim_fault.hpp"

#include <array>
#include <charconv>
#include <utility>

namespace prepaid::devices::sim {

namespace {

constexpr std::array<std::pair<std::string_view, FaultKind>, 9> Names = {{
    {"none", FaultKind::None},
    {"no-reply", FaultKind::NoReply},
    {"late-reply", FaultKind::LateReply},
    {"crc-error", FaultKind::CrcError},
    {"garbage", FaultKind::Garbage},
    {"exception", FaultKind::Exception},
    {"reply-lost-after-recharge", FaultKind::ReplyLostAfterRecharge},
    {"wrong-unit", FaultKind::WrongUnit},
    {"gateway-down", FaultKind::GatewayDown},
}};

std::expected<std::int64_t, std::string> parseNumber(std::string_view text, std::string_view what) {
  std::int64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || value < 0) {
    return std::unexpected("fault " + std::string(what) + " must be a non-negative integer, got '" +
                           std::string(text) + "'");
  }
  return value;
}

}  // namespace

void Fault::consume() {
  if (count > 0) {
    --count;
    if (count == 0) {
      kind = FaultKind::None;
    }
  }
}

std::expected<Fault, std::string> parseFault(std::string_view text) {
  Fault fault;
  if (const auto star = text.find('*'); star != std::string_view::npos) {
    auto count = parseNumber(text.substr(star + 1), "count");
    if (!count) {
      return std::unexpected(count.error());
    }
    if (*count == 0) {
      return std::unexpected("fault count must be at least 1");
    }
    fault.count = *count;
    text = text.substr(0, star);
  }
  std::string_view argText;
  if (const auto colon = text.find(':'); colon != std::string_view::npos) {
    argText = text.substr(colon + 1);
    text = text.substr(0, colon);
  }
  bool known = false;
  for (const auto& [name, kind] : Names) {
    if (name == text) {
      fault.kind = kind;
      known = true;
    }
  }
  if (!known) {
    std::string list;
    for (const auto& [name, kind] : Names) {
      list += list.empty() ? "" : ", ";
      list += name;
    }
    return std::unexpected("unknown fault '" + std::string(text) + "' (one of: " + list + ")");
  }
  switch (fault.kind) {
    case FaultKind::LateReply:
      fault.arg = 500;
      break;
    case FaultKind::Exception:
      fault.arg = 4;
      break;
    case FaultKind::Garbage:
      fault.arg = 8;
      break;
    default:
      break;
  }
  if (!argText.empty()) {
    auto arg = parseNumber(argText, "argument");
    if (!arg) {
      return std::unexpected(arg.error());
    }
    if (fault.kind == FaultKind::Exception && (*arg < 1 || *arg > 255)) {
      return std::unexpected("exception code must be 1..255");
    }
    if (fault.kind == FaultKind::Garbage && (*arg < 1 || *arg > 256)) {
      return std::unexpected("garbage length must be 1..256 bytes");
    }
    if (fault.kind == FaultKind::LateReply && *arg > 600'000) {
      return std::unexpected("late-reply delay must be at most 600000 ms");
    }
    fault.arg = *arg;
  }
  return fault;
}

std::string toString(const Fault& fault) {
  std::string text = "none";
  for (const auto& [name, kind] : Names) {
    if (kind == fault.kind) {
      text = std::string(name);
    }
  }
  if (fault.kind == FaultKind::LateReply || fault.kind == FaultKind::Exception ||
      fault.kind == FaultKind::Garbage) {
    // Two appends, not ":" + to_string: GCC 12 at -O2/-O3 warns -Wrestrict on the temporary.
    text += ':';
    text += std::to_string(fault.arg);
  }
  if (fault.count > 0 && fault.kind != FaultKind::None) {
    text += '*';
    text += std::to_string(fault.count);
  }
  return text;
}

}  // namespace prepaid::devices::sim
