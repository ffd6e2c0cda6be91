#include "prepaid/domain/tariff_codec.hpp"

#include <charconv>
#include <vector>

namespace prepaid::domain {
namespace {

constexpr std::string_view Header = "prepaid-tariff";
constexpr std::string_view FormatVersion = "1";

std::string twoDigits(unsigned value) {
  return std::string(1, static_cast<char>('0' + value / 10 % 10)) +
         static_cast<char>('0' + value % 10);
}

// YYYY is always four digits (zero padded): the decoder reads exactly four, so "0875" must
// round-trip as "0875", not "875" (found by fuzz-tariff-codec).
std::string formatYear(std::chrono::year year) {
  std::string digits = std::to_string(static_cast<int>(year));
  if (digits.size() < 4) {
    digits.insert(0, 4 - digits.size(), '0');
  }
  return digits;
}

std::string formatDate(std::chrono::year_month_day date) {
  return formatYear(date.year()) + "-" + twoDigits(static_cast<unsigned>(date.month())) + "-" +
         twoDigits(static_cast<unsigned>(date.day()));
}

std::string formatMonthDay(std::chrono::month_day date) {
  return twoDigits(static_cast<unsigned>(date.month())) + "-" +
         twoDigits(static_cast<unsigned>(date.day()));
}

void encodeDay(std::string& out, std::size_t seasonNumber, DayType type, const DaySchedule& day) {
  for (const auto& period : day.periods) {
    out += "period " + std::to_string(seasonNumber) + " " + std::string(toString(type)) + " " +
           formatMinuteOfDay(period.startMinute) + " " + formatMinuteOfDay(period.endMinute) + " " +
           std::string(toString(period.rate)) + "\n";
  }
}

std::string_view toString(TierBasis basis) {
  return basis == TierBasis::Monthly ? "monthly" : "yearly";
}

std::string_view toString(TierPricing pricing) {
  return pricing == TierPricing::Surcharge ? "surcharge" : "step_price";
}

// One line being decoded: its number and fields, and error helpers that name them.
class Line {
 public:
  Line(std::size_t number, std::vector<std::string_view> fields)
      : m_number(number), m_fields(std::move(fields)) {}

  [[nodiscard]] std::size_t number() const { return m_number; }
  [[nodiscard]] std::string_view keyword() const { return m_fields.front(); }
  [[nodiscard]] std::string_view field(std::size_t index) const { return m_fields.at(index); }

  [[nodiscard]] std::unexpected<TariffError> error(std::string message) const {
    return std::unexpected(TariffError{
        TariffErrorCode::Syntax, "line " + std::to_string(m_number) + ": " + message, m_number});
  }
  [[nodiscard]] std::unexpected<TariffError> fieldError(
      std::string_view name, std::string message,
      TariffErrorCode code = TariffErrorCode::Syntax) const {
    return std::unexpected(TariffError{
        code,
        "line " + std::to_string(m_number) + ", field '" + std::string(name) + "': " + message,
        m_number});
  }

  [[nodiscard]] std::expected<void, TariffError> expectFields(std::size_t count,
                                                              std::string_view usage) const {
    if (m_fields.size() != count) {
      return error("'" + std::string(keyword()) + "' takes " + std::to_string(count - 1) +
                   " fields: " + std::string(usage));
    }
    return {};
  }

  [[nodiscard]] std::expected<std::int64_t, TariffError> integer(std::size_t index,
                                                                 std::string_view name) const {
    const auto text = field(index);
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc::result_out_of_range) {
      return fieldError(name, "number '" + std::string(text) + "' is out of range");
    }
    if (ec != std::errc{} || end != text.data() + text.size()) {
      return fieldError(name, "'" + std::string(text) + "' is not an integer");
    }
    return value;
  }

  [[nodiscard]] std::expected<Rate, TariffError> rate(std::size_t index) const {
    if (const auto parsed = parseRate(field(index))) {
      return *parsed;
    }
    return fieldError(
        "rate",
        "unknown rate '" + std::string(field(index)) + "' (expected sharp, peak, flat or valley)",
        TariffErrorCode::UnknownRate);
  }

  [[nodiscard]] std::expected<std::int32_t, TariffError> minuteOfDay(std::size_t index,
                                                                     std::string_view name) const {
    const auto text = field(index);
    const auto bad = [&] {
      return fieldError(name, "'" + std::string(text) + "' is not a time HH:MM in 00:00-24:00");
    };
    if (text.size() != 5 || text[2] != ':') {
      return bad();
    }
    const auto hours = digits(text.substr(0, 2));
    const auto minutes = digits(text.substr(3, 2));
    if (hours < 0 || minutes < 0 || minutes > 59 || hours > 24 || (hours == 24 && minutes != 0)) {
      return bad();
    }
    return hours * 60 + minutes;
  }

  [[nodiscard]] std::expected<std::chrono::month_day, TariffError> monthDay(
      std::size_t index, std::string_view name) const {
    const auto text = field(index);
    if (text.size() == 5 && text[2] == '-') {
      const auto month = digits(text.substr(0, 2));
      const auto day = digits(text.substr(3, 2));
      if (month > 0 && day > 0) {
        const auto date = std::chrono::month(static_cast<unsigned>(month)) /
                          std::chrono::day(static_cast<unsigned>(day));
        if (date.ok()) {
          return date;
        }
      }
    }
    return fieldError(name, "'" + std::string(text) + "' is not a date MM-DD");
  }

  [[nodiscard]] std::expected<std::chrono::year_month_day, TariffError> date(
      std::size_t index, std::string_view name) const {
    const auto text = field(index);
    if (text.size() == 10 && text[4] == '-' && text[7] == '-') {
      const auto year = digits(text.substr(0, 4));
      const auto month = digits(text.substr(5, 2));
      const auto day = digits(text.substr(8, 2));
      if (year >= 0 && month > 0 && day > 0) {
        const std::chrono::year_month_day date{std::chrono::year(year),
                                               std::chrono::month(static_cast<unsigned>(month)),
                                               std::chrono::day(static_cast<unsigned>(day))};
        if (date.ok()) {
          return date;
        }
      }
    }
    return fieldError(name, "'" + std::string(text) + "' is not a date YYYY-MM-DD");
  }

 private:
  // The value of a run of ASCII digits, or -1.
  static int digits(std::string_view text) {
    int value = 0;
    for (const char c : text) {
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return text.empty() ? -1 : value;
  }

  std::size_t m_number;
  std::vector<std::string_view> m_fields;
};

std::vector<std::string_view> splitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t position = 0;
  while (position < line.size()) {
    const auto start = line.find_first_not_of(" \t", position);
    if (start == std::string_view::npos) {
      break;
    }
    const auto end = std::min(line.find_first_of(" \t", start), line.size());
    fields.push_back(line.substr(start, end - start));
    position = end;
  }
  return fields;
}

// Collects the lines of a tariff; knows which keywords have been seen.
class Decoder {
 public:
  std::expected<void, TariffError> take(const Line& line) {
    const auto keyword = line.keyword();
    if (keyword == "kind") {
      return takeKind(line);
    }
    if (keyword == "price") {
      return takePrice(line);
    }
    if (keyword == "season") {
      return takeSeason(line);
    }
    if (keyword == "period") {
      return takePeriod(line);
    }
    if (keyword == "holiday" || keyword == "workday") {
      return takeCalendarDate(line);
    }
    if (keyword == "tiering") {
      return takeTiering(line);
    }
    if (keyword == "tier") {
      return takeTier(line);
    }
    return line.error("unknown keyword '" + std::string(keyword) + "'");
  }

  std::expected<Tariff, TariffError> finish(std::size_t lastLine) {
    if (!m_kindSeen) {
      return std::unexpected(TariffError{
          TariffErrorCode::Syntax,
          "line " + std::to_string(lastLine) + ": missing 'kind' line (flat or tou)", lastLine});
    }
    if (m_tariff.tiering && m_tariff.tiering->tiers.empty()) {
      return std::unexpected(TariffError{
          TariffErrorCode::InvalidTiers,
          "line " + std::to_string(m_tieringLine) + ": 'tiering' without any 'tier' line",
          m_tieringLine});
    }
    m_tariff.calendar = HolidayCalendar(m_holidays, m_workdays);
    if (auto valid = validateTariff(m_tariff); !valid) {
      return std::unexpected(valid.error());
    }
    return std::move(m_tariff);
  }

 private:
  std::expected<void, TariffError> takeKind(const Line& line) {
    if (auto ok = line.expectFields(2, "kind <flat|tou>"); !ok) {
      return ok;
    }
    if (m_kindSeen) {
      return line.error("duplicate 'kind' line");
    }
    if (line.field(1) == "flat") {
      m_tariff.kind = TariffKind::Flat;
    } else if (line.field(1) == "tou") {
      m_tariff.kind = TariffKind::TimeOfUse;
    } else {
      return line.fieldError("kind", "'" + std::string(line.field(1)) + "' is not flat or tou");
    }
    m_kindSeen = true;
    return {};
  }

  std::expected<void, TariffError> takePrice(const Line& line) {
    if (auto ok = line.expectFields(3, "price <rate> <micro-yuan>"); !ok) {
      return ok;
    }
    const auto rate = line.rate(1);
    if (!rate) {
      return std::unexpected(rate.error());
    }
    const auto microYuan = line.integer(2, "micro-yuan");
    if (!microYuan) {
      return std::unexpected(microYuan.error());
    }
    if (*microYuan < 0) {
      return line.fieldError("micro-yuan", "price must not be negative",
                             TariffErrorCode::NegativePrice);
    }
    auto& slot = m_tariff.prices.at(indexOf(*rate));
    if (slot) {
      return line.error("duplicate price for rate '" + std::string(toString(*rate)) + "'");
    }
    slot = UnitPrice::fromMicroYuan(*microYuan);
    return {};
  }

  std::expected<void, TariffError> takeSeason(const Line& line) {
    if (auto ok = line.expectFields(4, "season <n> <first MM-DD> <last MM-DD>"); !ok) {
      return ok;
    }
    const auto number = line.integer(1, "season");
    if (!number) {
      return std::unexpected(number.error());
    }
    if (*number != static_cast<std::int64_t>(m_tariff.seasons.size()) + 1 ||
        *number > static_cast<std::int64_t>(MaxSeasons)) {
      return line.fieldError(
          "season", "expected season number " + std::to_string(m_tariff.seasons.size() + 1) +
                        " (seasons are numbered 1.." + std::to_string(MaxSeasons) + " in order)");
    }
    const auto first = line.monthDay(2, "first");
    if (!first) {
      return std::unexpected(first.error());
    }
    const auto last = line.monthDay(3, "last");
    if (!last) {
      return std::unexpected(last.error());
    }
    Season season;
    season.first = *first;
    season.last = *last;
    m_tariff.seasons.push_back(std::move(season));
    return {};
  }

  std::expected<void, TariffError> takePeriod(const Line& line) {
    if (auto ok =
            line.expectFields(6, "period <season> <workday|weekend|holiday> <from> <to> <rate>");
        !ok) {
      return ok;
    }
    const auto number = line.integer(1, "season");
    if (!number) {
      return std::unexpected(number.error());
    }
    if (*number < 1 || *number > static_cast<std::int64_t>(m_tariff.seasons.size())) {
      return line.fieldError("season", "season " + std::to_string(*number) +
                                           " is not defined by an earlier 'season' line");
    }
    const auto type = parseDayType(line.field(2));
    if (!type) {
      return line.fieldError(
          "day", "'" + std::string(line.field(2)) + "' is not workday, weekend or holiday");
    }
    const auto from = line.minuteOfDay(3, "from");
    if (!from) {
      return std::unexpected(from.error());
    }
    const auto to = line.minuteOfDay(4, "to");
    if (!to) {
      return std::unexpected(to.error());
    }
    const auto rate = line.rate(5);
    if (!rate) {
      return std::unexpected(rate.error());
    }
    auto& season = m_tariff.seasons.at(static_cast<std::size_t>(*number - 1));
    DaySchedule* day = &season.workday;
    if (*type != DayType::Workday) {
      auto& optionalDay = *type == DayType::Weekend ? season.weekend : season.holiday;
      if (!optionalDay) {
        optionalDay.emplace();
      }
      day = &*optionalDay;
    }
    if (day->periods.size() >= MaxDailyPeriods) {
      return line.error("more than " + std::to_string(MaxDailyPeriods) + " periods for season " +
                        std::to_string(*number) + " " + std::string(line.field(2)));
    }
    day->periods.push_back(TouPeriod{*from, *to, *rate});
    return {};
  }

  std::expected<void, TariffError> takeCalendarDate(const Line& line) {
    if (auto ok = line.expectFields(2, std::string(line.keyword()) + " <YYYY-MM-DD>"); !ok) {
      return ok;
    }
    const auto date = line.date(1, "date");
    if (!date) {
      return std::unexpected(date.error());
    }
    (line.keyword() == "holiday" ? m_holidays : m_workdays).push_back(*date);
    return {};
  }

  std::expected<void, TariffError> takeTiering(const Line& line) {
    if (auto ok = line.expectFields(3, "tiering <monthly|yearly> <surcharge|step_price>"); !ok) {
      return ok;
    }
    if (m_tariff.tiering) {
      return line.error("duplicate 'tiering' line");
    }
    Tiering tiering;
    if (line.field(1) == "monthly") {
      tiering.basis = TierBasis::Monthly;
    } else if (line.field(1) == "yearly") {
      tiering.basis = TierBasis::Yearly;
    } else {
      return line.fieldError("basis",
                             "'" + std::string(line.field(1)) + "' is not monthly or yearly");
    }
    if (line.field(2) == "surcharge") {
      tiering.pricing = TierPricing::Surcharge;
    } else if (line.field(2) == "step_price") {
      tiering.pricing = TierPricing::StepPrice;
    } else {
      return line.fieldError("pricing",
                             "'" + std::string(line.field(2)) + "' is not surcharge or step_price");
    }
    m_tariff.tiering = std::move(tiering);
    m_tieringLine = line.number();
    return {};
  }

  std::expected<void, TariffError> takeTier(const Line& line) {
    if (auto ok = line.expectFields(3, "tier <from 0.01 units> <micro-yuan>"); !ok) {
      return ok;
    }
    if (!m_tariff.tiering) {
      return line.error("'tier' before the 'tiering' line");
    }
    const auto from = line.integer(1, "from");
    if (!from) {
      return std::unexpected(from.error());
    }
    const auto microYuan = line.integer(2, "micro-yuan");
    if (!microYuan) {
      return std::unexpected(microYuan.error());
    }
    auto& tiers = m_tariff.tiering->tiers;
    if (*from < 0 || (tiers.empty() && *from != 0)) {
      return line.fieldError("from", "the first tier starts at 0 and no tier below 0",
                             TariffErrorCode::InvalidTiers);
    }
    if (!tiers.empty() && *from <= tiers.back().from.centiKwh()) {
      return line.fieldError("from",
                             std::to_string(*from) + " is not above the previous tier's " +
                                 std::to_string(tiers.back().from.centiKwh()),
                             TariffErrorCode::TiersNotIncreasing);
    }
    if (*microYuan < 0) {
      return line.fieldError("micro-yuan", "price must not be negative",
                             TariffErrorCode::NegativePrice);
    }
    if (tiers.size() >= MaxTiers) {
      return line.error("more than " + std::to_string(MaxTiers) + " tiers");
    }
    tiers.push_back(Tier{Energy::fromCentiKwh(*from), UnitPrice::fromMicroYuan(*microYuan)});
    return {};
  }

  Tariff m_tariff;
  bool m_kindSeen = false;
  std::size_t m_tieringLine = 0;
  std::vector<std::chrono::year_month_day> m_holidays;
  std::vector<std::chrono::year_month_day> m_workdays;
};

}  // namespace

std::string encodeTariff(const Tariff& tariff) {
  std::string out = std::string(Header) + " " + std::string(FormatVersion) + "\n";
  out += tariff.kind == TariffKind::Flat ? "kind flat\n" : "kind tou\n";
  for (const auto rate : AllRates) {
    if (const auto& price = tariff.prices.at(indexOf(rate))) {
      out +=
          "price " + std::string(toString(rate)) + " " + std::to_string(price->microYuan()) + "\n";
    }
  }
  for (std::size_t i = 0; i < tariff.seasons.size(); ++i) {
    const auto& season = tariff.seasons[i];
    out += "season " + std::to_string(i + 1) + " " + formatMonthDay(season.first) + " " +
           formatMonthDay(season.last) + "\n";
    encodeDay(out, i + 1, DayType::Workday, season.workday);
    if (season.weekend) {
      encodeDay(out, i + 1, DayType::Weekend, *season.weekend);
    }
    if (season.holiday) {
      encodeDay(out, i + 1, DayType::Holiday, *season.holiday);
    }
  }
  for (const auto& date : tariff.calendar.holidays()) {
    out += "holiday " + formatDate(date) + "\n";
  }
  for (const auto& date : tariff.calendar.workdays()) {
    out += "workday " + formatDate(date) + "\n";
  }
  if (tariff.tiering) {
    out += "tiering " + std::string(toString(tariff.tiering->basis)) + " " +
           std::string(toString(tariff.tiering->pricing)) + "\n";
    for (const auto& tier : tariff.tiering->tiers) {
      out += "tier " + std::to_string(tier.from.centiKwh()) + " " +
             std::to_string(tier.price.microYuan()) + "\n";
    }
  }
  out += "end\n";
  return out;
}

std::expected<Tariff, TariffError> decodeTariff(std::string_view text) {
  Decoder decoder;
  bool headerSeen = false;
  std::size_t number = 0;
  std::size_t endLine = 0;
  while (!text.empty()) {
    const auto newline = text.find('\n');
    std::string_view raw = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    ++number;
    if (!raw.empty() && raw.back() == '\r') {
      raw.remove_suffix(1);
    }
    auto fields = splitFields(raw);
    if (fields.empty() || fields.front().starts_with('#')) {
      continue;
    }
    // A '#' field starts a trailing comment.
    for (std::size_t i = 1; i < fields.size(); ++i) {
      if (fields[i].starts_with('#')) {
        fields.resize(i);
        break;
      }
    }
    const Line line(number, std::move(fields));
    if (endLine != 0) {
      return line.error("text after 'end' (line " + std::to_string(endLine) + ")");
    }
    if (!headerSeen) {
      if (line.keyword() != Header) {
        return std::unexpected(TariffError{TariffErrorCode::UnsupportedFormat,
                                           "line " + std::to_string(number) +
                                               ": expected header '" + std::string(Header) + " " +
                                               std::string(FormatVersion) + "'",
                                           number});
      }
      if (auto ok = line.expectFields(2, "prepaid-tariff <version>"); !ok) {
        return std::unexpected(ok.error());
      }
      if (line.field(1) != FormatVersion) {
        return std::unexpected(TariffError{TariffErrorCode::UnsupportedFormat,
                                           "line " + std::to_string(number) +
                                               ", field 'version': unsupported version '" +
                                               std::string(line.field(1)) + "'",
                                           number});
      }
      headerSeen = true;
      continue;
    }
    if (line.keyword() == "end") {
      if (auto ok = line.expectFields(1, "end"); !ok) {
        return std::unexpected(ok.error());
      }
      endLine = number;
      continue;
    }
    if (auto ok = decoder.take(line); !ok) {
      return std::unexpected(ok.error());
    }
  }
  if (!headerSeen) {
    return std::unexpected(
        TariffError{TariffErrorCode::UnsupportedFormat, "empty text: no tariff header", 0});
  }
  if (endLine == 0) {
    return std::unexpected(TariffError{
        TariffErrorCode::Syntax,
        "line " + std::to_string(number) + ": missing 'end' line (text truncated?)", number});
  }
  return decoder.finish(endLine);
}

}  // namespace prepaid::domain
