#include "prepaid/api/time_format.hpp"

#include <charconv>
#include <cstdio>

namespace prepaid::backend::api {

std::string formatRfc3339(domain::Instant instant, const domain::SiteTimeZone& zone) {
  const auto local = zone.toLocal(instant);
  const auto day = std::chrono::floor<std::chrono::days>(local);
  const std::chrono::year_month_day date(day);
  const std::chrono::hh_mm_ss time(local - day);
  const auto offset = zone.utcOffset.count();
  const auto absOffset = offset < 0 ? -offset : offset;
  char buffer[40];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02u-%02uT%02d:%02d:%02d%c%02d:%02d",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<int>(time.hours().count()),
                static_cast<int>(time.minutes().count()), static_cast<int>(time.seconds().count()),
                offset < 0 ? '-' : '+', static_cast<int>(absOffset / 60),
                static_cast<int>(absOffset % 60));
  return buffer;
}

namespace {

bool digits(std::string_view text, std::size_t at, std::size_t count, int& out) {
  if (at + count > text.size()) {
    return false;
  }
  const auto* first = text.data() + at;
  const auto* last = first + count;
  for (const auto* p = first; p != last; ++p) {
    if (*p < '0' || *p > '9') {
      return false;
    }
  }
  return std::from_chars(first, last, out).ec == std::errc{};
}

}  // namespace

std::optional<domain::Instant> parseRfc3339(std::string_view text) {
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (text.size() < 20 || !digits(text, 0, 4, year) || text[4] != '-' ||
      !digits(text, 5, 2, month) || text[7] != '-' || !digits(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != 't') || !digits(text, 11, 2, hour) || text[13] != ':' ||
      !digits(text, 14, 2, minute) || text[16] != ':' || !digits(text, 17, 2, second)) {
    return std::nullopt;
  }
  int offsetMinutes = 0;
  const auto rest = text.substr(19);
  if (rest == "Z" || rest == "z") {
    offsetMinutes = 0;
  } else {
    int offsetHours = 0;
    int offsetMins = 0;
    if (rest.size() != 6 || (rest[0] != '+' && rest[0] != '-') ||
        !digits(rest, 1, 2, offsetHours) || rest[3] != ':' || !digits(rest, 4, 2, offsetMins) ||
        offsetHours > 14 || offsetMins > 59) {
      return std::nullopt;
    }
    offsetMinutes = (offsetHours * 60 + offsetMins) * (rest[0] == '-' ? -1 : 1);
  }
  const std::chrono::year_month_day date{std::chrono::year(year),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok() || hour > 23 || minute > 59 || second > 59) {
    return std::nullopt;
  }
  const auto local = std::chrono::local_days(date) + std::chrono::hours(hour) +
                     std::chrono::minutes(minute) + std::chrono::seconds(second);
  return domain::Instant(local.time_since_epoch() - std::chrono::minutes(offsetMinutes));
}

}  // namespace prepaid::backend::api
