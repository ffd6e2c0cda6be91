#include "prepaid/api/json_fields.hpp"

#include <algorithm>

namespace prepaid::backend::api {

namespace {

ApiError invalid(const std::string& field, std::string_view what) {
  return ApiError{ErrorCode::InvalidField, "field '" + field + "' " + std::string(what), {}};
}

ApiError missing(const std::string& field) {
  return ApiError{ErrorCode::MissingField, "field '" + field + "' is required", {}};
}

std::expected<std::int64_t, ApiError> toInt(const nlohmann::json& value, const std::string& field,
                                            IntRange range) {
  // Only JSON integers: floats (even 100.0) are refused so that fractional fen never pass.
  if (value.is_number_integer()) {
    std::int64_t number = 0;
    if (value.is_number_unsigned()) {
      const auto unsignedValue = value.get<std::uint64_t>();
      if (unsignedValue > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return std::unexpected(invalid(field, "is out of range"));
      }
      number = static_cast<std::int64_t>(unsignedValue);
    } else {
      number = value.get<std::int64_t>();
    }
    if (number < range.min || number > range.max) {
      return std::unexpected(invalid(field, "must be between " + std::to_string(range.min) +
                                                " and " + std::to_string(range.max)));
    }
    return number;
  }
  if (value.is_number_float()) {
    return std::unexpected(invalid(field, "must be an integer (no fractions)"));
  }
  return std::unexpected(invalid(field, "must be an integer"));
}

}  // namespace

std::expected<nlohmann::json, ApiError> parseJsonObject(std::string_view body) {
  auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_discarded()) {
    return std::unexpected(ApiError{ErrorCode::InvalidJson, "the body is not valid JSON", {}});
  }
  if (!parsed.is_object()) {
    return std::unexpected(ApiError{ErrorCode::InvalidJson, "the body must be a JSON object", {}});
  }
  return parsed;
}

std::expected<void, ApiError> checkText(std::string_view value, std::string_view field,
                                        LengthRange length) {
  const std::string name(field);
  if (value.size() < length.min) {
    return std::unexpected(
        length.min == 1
            ? invalid(name, "must not be empty")
            : invalid(name, "must be at least " + std::to_string(length.min) + " bytes long"));
  }
  if (value.size() > length.max) {
    return std::unexpected(
        invalid(name, "must be at most " + std::to_string(length.max) + " bytes long"));
  }
  if (std::ranges::any_of(
          value, [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    return std::unexpected(invalid(name, "must not contain control characters"));
  }
  return {};
}

std::string FieldReader::fieldName(std::string_view name) const {
  return m_prefix.empty() ? std::string(name) : m_prefix + "." + std::string(name);
}

bool FieldReader::has(std::string_view name) const {
  const auto it = m_object.find(name);
  return it != m_object.end() && !it->is_null();
}

const nlohmann::json& FieldReader::raw(std::string_view name) const {
  return *m_object.find(name);
}

std::expected<void, ApiError> FieldReader::onlyKnown(
    std::initializer_list<std::string_view> known) const {
  for (const auto& [key, value] : m_object.items()) {
    if (std::ranges::find(known, std::string_view(key)) == known.end()) {
      return std::unexpected(invalid(fieldName(key), "is not a known field"));
    }
  }
  return {};
}

std::expected<std::int64_t, ApiError> FieldReader::requiredInt(std::string_view name,
                                                               IntRange range) const {
  if (!has(name)) {
    return std::unexpected(missing(fieldName(name)));
  }
  return toInt(raw(name), fieldName(name), range);
}

std::expected<std::optional<std::int64_t>, ApiError> FieldReader::optionalInt(
    std::string_view name, IntRange range) const {
  if (!has(name)) {
    return std::optional<std::int64_t>{};
  }
  auto value = toInt(raw(name), fieldName(name), range);
  if (!value) {
    return std::unexpected(value.error());
  }
  return std::optional<std::int64_t>(*value);
}

std::expected<std::string, ApiError> FieldReader::requiredString(std::string_view name,
                                                                 LengthRange length) const {
  if (!has(name)) {
    return std::unexpected(missing(fieldName(name)));
  }
  const auto& value = raw(name);
  if (!value.is_string()) {
    return std::unexpected(invalid(fieldName(name), "must be a string"));
  }
  auto text = value.get<std::string>();
  if (auto checked = checkText(text, fieldName(name), length); !checked) {
    return std::unexpected(checked.error());
  }
  return text;
}

std::expected<std::optional<std::string>, ApiError> FieldReader::optionalString(
    std::string_view name, LengthRange length) const {
  if (!has(name)) {
    return std::optional<std::string>{};
  }
  auto value = requiredString(name, length);
  if (!value) {
    return std::unexpected(value.error());
  }
  return std::optional<std::string>(std::move(*value));
}

std::expected<bool, ApiError> FieldReader::requiredBool(std::string_view name) const {
  if (!has(name)) {
    return std::unexpected(missing(fieldName(name)));
  }
  if (!raw(name).is_boolean()) {
    return std::unexpected(invalid(fieldName(name), "must be true or false"));
  }
  return raw(name).get<bool>();
}

std::expected<std::optional<bool>, ApiError> FieldReader::optionalBool(
    std::string_view name) const {
  if (!has(name)) {
    return std::optional<bool>{};
  }
  auto value = requiredBool(name);
  if (!value) {
    return std::unexpected(value.error());
  }
  return std::optional<bool>(*value);
}

std::expected<std::vector<std::int64_t>, ApiError> FieldReader::requiredIntArray(
    std::string_view name, IntRange count, IntRange range) const {
  if (!has(name)) {
    return std::unexpected(missing(fieldName(name)));
  }
  const auto& value = raw(name);
  if (!value.is_array()) {
    return std::unexpected(invalid(fieldName(name), "must be an array of integers"));
  }
  const auto size = static_cast<std::int64_t>(value.size());
  if (size < count.min || size > count.max) {
    return std::unexpected(invalid(fieldName(name), "must have between " +
                                                        std::to_string(count.min) + " and " +
                                                        std::to_string(count.max) + " elements"));
  }
  std::vector<std::int64_t> numbers;
  numbers.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    auto number = toInt(value[i], fieldName(name) + "[" + std::to_string(i) + "]", range);
    if (!number) {
      return std::unexpected(number.error());
    }
    numbers.push_back(*number);
  }
  return numbers;
}

std::expected<std::string, ApiError> FieldReader::requiredEnum(
    std::string_view name, std::initializer_list<std::string_view> allowed) const {
  auto value = requiredString(name, LengthRange{1, 64});
  if (!value) {
    return std::unexpected(value.error());
  }
  if (std::ranges::find(allowed, std::string_view(*value)) == allowed.end()) {
    std::string list;
    for (const auto option : allowed) {
      list += list.empty() ? "" : ", ";
      list += option;
    }
    return std::unexpected(invalid(fieldName(name), "must be one of: " + list));
  }
  return value;
}

std::expected<std::optional<std::string>, ApiError> FieldReader::optionalEnum(
    std::string_view name, std::initializer_list<std::string_view> allowed) const {
  if (!has(name)) {
    return std::optional<std::string>{};
  }
  auto value = requiredEnum(name, allowed);
  if (!value) {
    return std::unexpected(value.error());
  }
  return std::optional<std::string>(std::move(*value));
}

}  // namespace prepaid::backend::api
