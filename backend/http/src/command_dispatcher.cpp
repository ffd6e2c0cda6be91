#include "prepaid/http/command_dispatcher.hpp"

#include <array>
#include <utility>

namespace prepaid::backend::http {

namespace {

constexpr std::array<std::pair<BatchCommandKind, std::string_view>, 7> Names = {{
    {BatchCommandKind::Price, "price"},
    {BatchCommandKind::Settings, "settings"},
    {BatchCommandKind::KeepPower, "keep_power"},
    {BatchCommandKind::ResumePrepaid, "resume_prepaid"},
    {BatchCommandKind::Trip, "trip"},
    {BatchCommandKind::Close, "close"},
    {BatchCommandKind::ReadNow, "read_now"},
}};

}  // namespace

std::string_view toString(BatchCommandKind kind) {
  for (const auto& [value, name] : Names) {
    if (value == kind) {
      return name;
    }
  }
  return "unknown";
}

std::optional<BatchCommandKind> parseBatchCommandKind(std::string_view name) {
  for (const auto& [value, text] : Names) {
    if (text == name) {
      return value;
    }
  }
  return std::nullopt;
}

}  // namespace prepaid::backend::http
