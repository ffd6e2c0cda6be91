#include "prepaid/api/tariff_json.hpp"

#include <charconv>
#include <optional>
#include <string_view>

#include "prepaid/api/json_fields.hpp"

namespace prepaid::backend::api {

namespace {

using Json = nlohmann::json;

// Bounds on what is parsed at all (the domain's own limits — 14 periods, 2 seasons, 16 tiers — are
// reported as tariff rules; these only keep absurd input from costing memory and time).
constexpr std::size_t MaxParsedSeasons = 8;
constexpr std::size_t MaxParsedPeriods = 64;
constexpr std::size_t MaxParsedTiers = 64;
constexpr std::size_t MaxCalendarDates = 2000;
constexpr std::int64_t MaxPriceMicroYuan = 1'000'000'000;  // 1000 yuan per unit
constexpr std::int64_t MaxTierCentiKwh = 1'000'000'000'000;

ApiError invalid(const std::string& field, const std::string& what) {
  return ApiError{ErrorCode::InvalidField, "field '" + field + "' " + what, {}};
}

std::optional<int> digits(std::string_view text) {
  int value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

// "HH:MM", 00:00..24:00.
std::optional<std::int32_t> parseMinute(std::string_view text) {
  if (text.size() != 5 || text[2] != ':') {
    return std::nullopt;
  }
  const auto hours = digits(text.substr(0, 2));
  const auto minutes = digits(text.substr(3, 2));
  if (!hours || !minutes || *hours < 0 || *hours > 24 || *minutes < 0 || *minutes > 59 ||
      (*hours == 24 && *minutes != 0)) {
    return std::nullopt;
  }
  return *hours * 60 + *minutes;
}

// "MM-DD", a valid day of a leap year (02-29 allowed).
std::optional<std::chrono::month_day> parseMonthDay(std::string_view text) {
  if (text.size() != 5 || text[2] != '-') {
    return std::nullopt;
  }
  const auto month = digits(text.substr(0, 2));
  const auto day = digits(text.substr(3, 2));
  if (!month || !day || *month < 1 || *month > 12 || *day < 1 || *day > 31) {
    return std::nullopt;
  }
  const std::chrono::month_day date{std::chrono::month(static_cast<unsigned>(*month)),
                                    std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok()) {
    return std::nullopt;
  }
  return date;
}

// "YYYY-MM-DD".
std::optional<std::chrono::year_month_day> parseDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
    return std::nullopt;
  }
  const auto year = digits(text.substr(0, 4));
  const auto month = digits(text.substr(5, 2));
  const auto day = digits(text.substr(8, 2));
  if (!year || !month || !day || *year < 2000 || *year > 2199 || *month < 1 || *month > 12 ||
      *day < 1 || *day > 31) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(*year),
                                         std::chrono::month(static_cast<unsigned>(*month)),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok()) {
    return std::nullopt;
  }
  return date;
}

std::string twoDigits(unsigned value) {
  return std::string(1, static_cast<char>('0' + value / 10 % 10)) +
         static_cast<char>('0' + value % 10);
}

std::string formatMonthDay(std::chrono::month_day date) {
  return twoDigits(static_cast<unsigned>(date.month())) + "-" +
         twoDigits(static_cast<unsigned>(date.day()));
}

std::string formatDate(std::chrono::year_month_day date) {
  return std::to_string(static_cast<int>(date.year())) + "-" +
         twoDigits(static_cast<unsigned>(date.month())) + "-" +
         twoDigits(static_cast<unsigned>(date.day()));
}

std::string indexed(const std::string& field, std::size_t index) {
  return field + "[" + std::to_string(index) + "]";
}

std::expected<const Json*, ApiError> arrayField(const Json& object, const std::string& parent,
                                                std::string_view name, std::size_t maxSize) {
  const auto field = parent + "." + std::string(name);
  const auto& value = object.at(std::string(name));
  if (!value.is_array()) {
    return std::unexpected(invalid(field, "must be an array"));
  }
  if (value.size() > maxSize) {
    return std::unexpected(
        invalid(field, "has more than " + std::to_string(maxSize) + " elements"));
  }
  return &value;
}

std::expected<std::string, ApiError> stringAt(const Json& value, const std::string& field) {
  if (!value.is_string()) {
    return std::unexpected(invalid(field, "must be a string"));
  }
  auto text = value.get<std::string>();
  if (auto checked = checkText(text, field, LengthRange{1, 32}); !checked) {
    return std::unexpected(checked.error());
  }
  return text;
}

std::expected<domain::DaySchedule, ApiError> parseDay(const Json& object, const std::string& parent,
                                                      std::string_view name) {
  auto array = arrayField(object, parent, name, MaxParsedPeriods);
  if (!array) {
    return std::unexpected(array.error());
  }
  const auto field = parent + "." + std::string(name);
  domain::DaySchedule day;
  for (std::size_t i = 0; i < (*array)->size(); ++i) {
    const auto& item = (**array)[i];
    const auto where = indexed(field, i);
    if (!item.is_object()) {
      return std::unexpected(invalid(where, "must be an object {from, to, rate}"));
    }
    FieldReader fields(item, where);
    if (auto known = fields.onlyKnown({"from", "to", "rate"}); !known) {
      return std::unexpected(known.error());
    }
    auto from = fields.requiredString("from", LengthRange{1, 8});
    if (!from) {
      return std::unexpected(from.error());
    }
    auto to = fields.requiredString("to", LengthRange{1, 8});
    if (!to) {
      return std::unexpected(to.error());
    }
    auto rate = fields.requiredEnum("rate", {"sharp", "peak", "flat", "valley"});
    if (!rate) {
      return std::unexpected(rate.error());
    }
    const auto start = parseMinute(*from);
    if (!start || *start == domain::MinutesPerDay) {
      return std::unexpected(invalid(where + ".from", "must be a time HH:MM from 00:00 to 23:59"));
    }
    const auto end = parseMinute(*to);
    if (!end || *end == 0) {
      return std::unexpected(invalid(where + ".to", "must be a time HH:MM from 00:01 to 24:00"));
    }
    day.periods.push_back(domain::TouPeriod{*start, *end, *domain::parseRate(*rate)});
  }
  return day;
}

std::expected<std::vector<std::chrono::year_month_day>, ApiError> parseDates(
    const Json& object, const std::string& parent, std::string_view name) {
  auto array = arrayField(object, parent, name, MaxCalendarDates);
  if (!array) {
    return std::unexpected(array.error());
  }
  std::vector<std::chrono::year_month_day> dates;
  for (std::size_t i = 0; i < (*array)->size(); ++i) {
    const auto where = indexed(parent + "." + std::string(name), i);
    auto text = stringAt((**array)[i], where);
    if (!text) {
      return std::unexpected(text.error());
    }
    const auto date = parseDate(*text);
    if (!date) {
      return std::unexpected(invalid(where, "must be a date YYYY-MM-DD"));
    }
    dates.push_back(*date);
  }
  return dates;
}

std::expected<domain::Tiering, ApiError> parseTiering(const Json& value, const std::string& field) {
  if (!value.is_object()) {
    return std::unexpected(invalid(field, "must be an object {basis, pricing, tiers}"));
  }
  FieldReader fields(value, field);
  if (auto known = fields.onlyKnown({"basis", "pricing", "tiers"}); !known) {
    return std::unexpected(known.error());
  }
  auto basis = fields.requiredEnum("basis", {"monthly", "yearly"});
  if (!basis) {
    return std::unexpected(basis.error());
  }
  auto pricing = fields.requiredEnum("pricing", {"surcharge", "step_price"});
  if (!pricing) {
    return std::unexpected(pricing.error());
  }
  if (!fields.has("tiers")) {
    return std::unexpected(
        ApiError{ErrorCode::MissingField, "field '" + field + ".tiers' is required", {}});
  }
  auto array = arrayField(value, field, "tiers", MaxParsedTiers);
  if (!array) {
    return std::unexpected(array.error());
  }
  domain::Tiering tiering;
  tiering.basis = *basis == "yearly" ? domain::TierBasis::Yearly : domain::TierBasis::Monthly;
  tiering.pricing =
      *pricing == "step_price" ? domain::TierPricing::StepPrice : domain::TierPricing::Surcharge;
  for (std::size_t i = 0; i < (*array)->size(); ++i) {
    const auto& item = (**array)[i];
    const auto where = indexed(field + ".tiers", i);
    if (!item.is_object()) {
      return std::unexpected(
          invalid(where, "must be an object {from_centi_kwh, price_micro_yuan}"));
    }
    FieldReader tier(item, where);
    if (auto known = tier.onlyKnown({"from_centi_kwh", "price_micro_yuan"}); !known) {
      return std::unexpected(known.error());
    }
    auto from = tier.requiredInt("from_centi_kwh", IntRange{0, MaxTierCentiKwh});
    if (!from) {
      return std::unexpected(from.error());
    }
    auto price = tier.requiredInt("price_micro_yuan", IntRange{0, MaxPriceMicroYuan});
    if (!price) {
      return std::unexpected(price.error());
    }
    tiering.tiers.push_back(domain::Tier{domain::Energy::fromCentiKwh(*from),
                                         domain::UnitPrice::fromMicroYuan(*price)});
  }
  return tiering;
}

Json dayToJson(const domain::DaySchedule& day) {
  Json periods = Json::array();
  for (const auto& period : day.periods) {
    periods.push_back({{"from", domain::formatMinuteOfDay(period.startMinute)},
                       {"to", domain::formatMinuteOfDay(period.endMinute)},
                       {"rate", domain::toString(period.rate)}});
  }
  return periods;
}

}  // namespace

std::string_view tariffRuleName(domain::TariffErrorCode code) {
  using enum domain::TariffErrorCode;
  switch (code) {
    case Syntax:
      return "syntax";
    case UnsupportedFormat:
      return "unsupported_format";
    case UnknownRate:
      return "rate_without_price";
    case MissingPrice:
      return "missing_price";
    case NegativePrice:
      return "negative_price";
    case InvalidPeriod:
      return "invalid_period";
    case TooManyPeriods:
      return "too_many_periods";
    case OverlappingPeriods:
      return "overlapping_periods";
    case GappedPeriods:
      return "gapped_periods";
    case InvalidSeason:
      return "invalid_season";
    case OverlappingSeasons:
      return "overlapping_seasons";
    case GappedSeasons:
      return "gapped_seasons";
    case TiersNotIncreasing:
      return "tiers_not_increasing";
    case InvalidTiers:
      return "invalid_tiers";
    case ConflictingVersions:
      return "conflicting_versions";
  }
  return "invalid";
}

std::expected<domain::Tariff, ApiError> parseTariffJson(const Json& value,
                                                        const std::string& field) {
  if (!value.is_object()) {
    return std::unexpected(invalid(field, "must be an object"));
  }
  FieldReader fields(value, field);
  if (auto known = fields.onlyKnown(
          {"kind", "prices_micro_yuan", "seasons", "holidays", "workdays", "tiering"});
      !known) {
    return std::unexpected(known.error());
  }
  auto kind = fields.requiredEnum("kind", {"flat", "tou"});
  if (!kind) {
    return std::unexpected(kind.error());
  }
  domain::Tariff tariff;
  tariff.kind = *kind == "tou" ? domain::TariffKind::TimeOfUse : domain::TariffKind::Flat;

  if (fields.has("prices_micro_yuan")) {
    const auto& prices = fields.raw("prices_micro_yuan");
    const auto where = field + ".prices_micro_yuan";
    if (!prices.is_object()) {
      return std::unexpected(
          invalid(where,
                  "must be an object of rate -> micro-yuan per unit, e.g. {\"flat\": "
                  "800000}"));
    }
    FieldReader rates(prices, where);
    if (auto known = rates.onlyKnown({"sharp", "peak", "flat", "valley"}); !known) {
      return std::unexpected(known.error());
    }
    for (const auto rate : domain::AllRates) {
      auto price = rates.optionalInt(domain::toString(rate), IntRange{0, MaxPriceMicroYuan});
      if (!price) {
        return std::unexpected(price.error());
      }
      if (*price) {
        tariff.prices.at(domain::indexOf(rate)) = domain::UnitPrice::fromMicroYuan(**price);
      }
    }
  } else if (!fields.has("tiering")) {
    // A step-priced flat tariff may give its prices in the tiers only; anything else needs them.
    return std::unexpected(ApiError{
        ErrorCode::MissingField, "field '" + field + ".prices_micro_yuan' is required", {}});
  }

  if (fields.has("seasons")) {
    auto seasons = arrayField(value, field, "seasons", MaxParsedSeasons);
    if (!seasons) {
      return std::unexpected(seasons.error());
    }
    for (std::size_t i = 0; i < (*seasons)->size(); ++i) {
      const auto& item = (**seasons)[i];
      const auto where = indexed(field + ".seasons", i);
      if (!item.is_object()) {
        return std::unexpected(
            invalid(where, "must be an object {first, last, workday, weekend?, holiday?}"));
      }
      FieldReader season(item, where);
      if (auto known = season.onlyKnown({"first", "last", "workday", "weekend", "holiday"});
          !known) {
        return std::unexpected(known.error());
      }
      domain::Season parsed;
      for (const auto name : {"first", "last"}) {
        auto text = season.requiredString(name, LengthRange{1, 8});
        if (!text) {
          return std::unexpected(text.error());
        }
        const auto date = parseMonthDay(*text);
        if (!date) {
          return std::unexpected(invalid(where + "." + name, "must be a date MM-DD"));
        }
        (std::string_view(name) == "first" ? parsed.first : parsed.last) = *date;
      }
      if (!season.has("workday")) {
        return std::unexpected(
            ApiError{ErrorCode::MissingField, "field '" + where + ".workday' is required", {}});
      }
      auto workday = parseDay(item, where, "workday");
      if (!workday) {
        return std::unexpected(workday.error());
      }
      parsed.workday = std::move(*workday);
      if (season.has("weekend")) {
        auto weekend = parseDay(item, where, "weekend");
        if (!weekend) {
          return std::unexpected(weekend.error());
        }
        parsed.weekend = std::move(*weekend);
      }
      if (season.has("holiday")) {
        auto holiday = parseDay(item, where, "holiday");
        if (!holiday) {
          return std::unexpected(holiday.error());
        }
        parsed.holiday = std::move(*holiday);
      }
      tariff.seasons.push_back(std::move(parsed));
    }
  }

  std::vector<std::chrono::year_month_day> holidays;
  std::vector<std::chrono::year_month_day> workdays;
  if (fields.has("holidays")) {
    auto dates = parseDates(value, field, "holidays");
    if (!dates) {
      return std::unexpected(dates.error());
    }
    holidays = std::move(*dates);
  }
  if (fields.has("workdays")) {
    auto dates = parseDates(value, field, "workdays");
    if (!dates) {
      return std::unexpected(dates.error());
    }
    workdays = std::move(*dates);
  }
  tariff.calendar = domain::HolidayCalendar(std::move(holidays), std::move(workdays));

  if (fields.has("tiering")) {
    auto tiering = parseTiering(fields.raw("tiering"), field + ".tiering");
    if (!tiering) {
      return std::unexpected(tiering.error());
    }
    tariff.tiering = std::move(*tiering);
  }

  if (auto valid = domain::validateTariff(tariff); !valid) {
    return std::unexpected(
        ApiError{ErrorCode::InvalidTariff, "field '" + field + "': " + valid.error().message,
                 Json{{"rule", tariffRuleName(valid.error().code)}, {"field", field}}});
  }
  return tariff;
}

Json tariffToJson(const domain::Tariff& tariff) {
  Json json = Json::object();
  json["kind"] = tariff.kind == domain::TariffKind::TimeOfUse ? "tou" : "flat";
  Json prices = Json::object();
  for (const auto rate : domain::AllRates) {
    if (const auto& price = tariff.prices.at(domain::indexOf(rate))) {
      prices[std::string(domain::toString(rate))] = price->microYuan();
    }
  }
  json["prices_micro_yuan"] = prices;
  if (!tariff.seasons.empty()) {
    Json seasons = Json::array();
    for (const auto& season : tariff.seasons) {
      Json item = {{"first", formatMonthDay(season.first)},
                   {"last", formatMonthDay(season.last)},
                   {"workday", dayToJson(season.workday)}};
      if (season.weekend) {
        item["weekend"] = dayToJson(*season.weekend);
      }
      if (season.holiday) {
        item["holiday"] = dayToJson(*season.holiday);
      }
      seasons.push_back(std::move(item));
    }
    json["seasons"] = seasons;
  }
  const auto holidays = tariff.calendar.holidays();
  const auto workdays = tariff.calendar.workdays();
  if (!holidays.empty()) {
    json["holidays"] = Json::array();
    for (const auto& date : holidays) {
      json["holidays"].push_back(formatDate(date));
    }
  }
  if (!workdays.empty()) {
    json["workdays"] = Json::array();
    for (const auto& date : workdays) {
      json["workdays"].push_back(formatDate(date));
    }
  }
  if (tariff.tiering) {
    Json tiers = Json::array();
    for (const auto& tier : tariff.tiering->tiers) {
      tiers.push_back(
          {{"from_centi_kwh", tier.from.centiKwh()}, {"price_micro_yuan", tier.price.microYuan()}});
    }
    json["tiering"] = {
        {"basis", tariff.tiering->basis == domain::TierBasis::Yearly ? "yearly" : "monthly"},
        {"pricing",
         tariff.tiering->pricing == domain::TierPricing::StepPrice ? "step_price" : "surcharge"},
        {"tiers", tiers}};
  }
  return json;
}

}  // namespace prepaid::backend::api
