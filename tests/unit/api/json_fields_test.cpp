#include "prepaid/api/json_fields.hpp"

#include <gtest/gtest.h>

namespace prepaid::backend::api {
namespace {

nlohmann::json object(std::string_view text) {
  return parseJsonObject(text).value();
}

TEST(JsonFieldsTest, ParseRefusesNonObjects) {
  EXPECT_EQ(parseJsonObject("").error().code, ErrorCode::InvalidJson);
  EXPECT_EQ(parseJsonObject("[1]").error().code, ErrorCode::InvalidJson);
  EXPECT_EQ(parseJsonObject("{\"a\":").error().code, ErrorCode::InvalidJson);
  EXPECT_EQ(parseJsonObject("\"\xff\"").error().code, ErrorCode::InvalidJson);
  EXPECT_TRUE(parseJsonObject("{}"));
}

TEST(JsonFieldsTest, IntegersAreStrict) {
  const auto json = object(
      R"({"a": 100, "b": 100.5, "c": 100.0, "d": "100", "e": -1, "f": 18446744073709551615,
          "g": true})");
  FieldReader fields(json);
  EXPECT_EQ(fields.requiredInt("a").value(), 100);
  EXPECT_EQ(fields.requiredInt("b").error().code, ErrorCode::InvalidField);
  EXPECT_NE(fields.requiredInt("b").error().message.find("fraction"), std::string::npos);
  EXPECT_EQ(fields.requiredInt("c").error().code, ErrorCode::InvalidField);
  EXPECT_EQ(fields.requiredInt("d").error().code, ErrorCode::InvalidField);
  EXPECT_EQ(fields.requiredInt("e", IntRange{1, 10}).error().code, ErrorCode::InvalidField);
  EXPECT_EQ(fields.requiredInt("f").error().code, ErrorCode::InvalidField);
  EXPECT_EQ(fields.requiredInt("g").error().code, ErrorCode::InvalidField);
  EXPECT_EQ(fields.requiredInt("missing").error().code, ErrorCode::MissingField);
  EXPECT_FALSE(fields.optionalInt("missing").value().has_value());
  EXPECT_NE(fields.requiredInt("missing").error().message.find("'missing'"), std::string::npos);
}

TEST(JsonFieldsTest, StringsAndEnums) {
  const auto json = object(R"({"name": "张三", "ctl": "a\u0001b", "num": 5, "empty": "",
                               "mode": "server_side", "bad": "x"})");
  FieldReader fields(json);
  EXPECT_EQ(fields.requiredString("name").value(), "张三");
  EXPECT_EQ(fields.requiredString("ctl").error().code, ErrorCode::InvalidField);
  EXPECT_EQ(fields.requiredString("num").error().code, ErrorCode::InvalidField);
  EXPECT_EQ(fields.requiredString("empty", LengthRange{1, 10}).error().code,
            ErrorCode::InvalidField);
  EXPECT_EQ(fields.requiredString("name", LengthRange{1, 3}).error().code, ErrorCode::InvalidField);
  EXPECT_EQ(fields.requiredEnum("mode", {"meter_side", "server_side"}).value(), "server_side");
  EXPECT_EQ(fields.requiredEnum("bad", {"meter_side", "server_side"}).error().code,
            ErrorCode::InvalidField);
}

TEST(JsonFieldsTest, UnknownFieldsAndArrays) {
  const auto json = object(R"({"ids": [1, 2, 3], "amonut": 1, "flag": false, "nested": [1, 2.5]})");
  FieldReader fields(json);
  const auto unknown = fields.onlyKnown({"ids", "flag", "nested"});
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("amonut"), std::string::npos);
  EXPECT_EQ(fields.requiredIntArray("ids", IntRange{1, 5}).value().size(), 3u);
  EXPECT_EQ(fields.requiredIntArray("ids", IntRange{1, 2}).error().code, ErrorCode::InvalidField);
  EXPECT_EQ(fields.requiredIntArray("nested", IntRange{1, 5}).error().code,
            ErrorCode::InvalidField);
  EXPECT_FALSE(fields.requiredBool("flag").value());
  EXPECT_EQ(fields.requiredBool("ids").error().code, ErrorCode::InvalidField);
}

}  // namespace
}  // namespace prepaid::backend::api
