#pragma once

// Field-by-field validation of JSON request bodies. Every accessor returns the value or an
// ApiError naming the field (MissingField / InvalidField), so a handler reads its input in a few
// lines and never touches a value of the wrong type. Integers must be JSON integers (1.0 and 1.5
// are refused: money is never fractional fen); strings must not contain control characters.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "prepaid/api/error_code.hpp"

namespace prepaid::backend::api {

/// Parses a request body that must be a JSON object (InvalidJson otherwise; an empty body is
/// InvalidJson too). Never throws.
[[nodiscard]] std::expected<nlohmann::json, ApiError> parseJsonObject(std::string_view body);

struct IntRange {
  std::int64_t min = std::numeric_limits<std::int64_t>::min();
  std::int64_t max = std::numeric_limits<std::int64_t>::max();
};

struct LengthRange {
  std::size_t min = 0;  // in bytes of UTF-8
  std::size_t max = 256;
};

/// Reads fields of one JSON object. The object must outlive the reader.
class FieldReader {
 public:
  explicit FieldReader(const nlohmann::json& object, std::string prefix = {})
      : m_object(object), m_prefix(std::move(prefix)) {}

  /// InvalidField naming the first member not in `known` (catches typos like "amount").
  [[nodiscard]] std::expected<void, ApiError> onlyKnown(
      std::initializer_list<std::string_view> known) const;

  [[nodiscard]] std::expected<std::int64_t, ApiError> requiredInt(std::string_view name,
                                                                  IntRange range = {}) const;
  [[nodiscard]] std::expected<std::optional<std::int64_t>, ApiError> optionalInt(
      std::string_view name, IntRange range = {}) const;
  [[nodiscard]] std::expected<std::string, ApiError> requiredString(std::string_view name,
                                                                    LengthRange length = {}) const;
  [[nodiscard]] std::expected<std::optional<std::string>, ApiError> optionalString(
      std::string_view name, LengthRange length = {}) const;
  [[nodiscard]] std::expected<bool, ApiError> requiredBool(std::string_view name) const;
  [[nodiscard]] std::expected<std::optional<bool>, ApiError> optionalBool(
      std::string_view name) const;
  /// An array of integers with `count` elements in range.
  [[nodiscard]] std::expected<std::vector<std::int64_t>, ApiError> requiredIntArray(
      std::string_view name, IntRange count, IntRange range = {}) const;
  /// A string that must be one of `allowed`.
  [[nodiscard]] std::expected<std::string, ApiError> requiredEnum(
      std::string_view name, std::initializer_list<std::string_view> allowed) const;
  [[nodiscard]] std::expected<std::optional<std::string>, ApiError> optionalEnum(
      std::string_view name, std::initializer_list<std::string_view> allowed) const;
  /// True when the member is present and not null.
  [[nodiscard]] bool has(std::string_view name) const;
  /// The member (precondition: has(name)).
  [[nodiscard]] const nlohmann::json& raw(std::string_view name) const;

 private:
  [[nodiscard]] std::string fieldName(std::string_view name) const;
  const nlohmann::json& m_object;
  std::string m_prefix;
};

/// Checks one string value (length, no control characters); `field` names it in the error.
[[nodiscard]] std::expected<void, ApiError> checkText(std::string_view value,
                                                      std::string_view field, LengthRange length);

}  // namespace prepaid::backend::api
