#include "prepaid/api/error_code.hpp"

#include <set>

#include <gtest/gtest.h>

namespace prepaid::backend::api {
namespace {

TEST(ErrorCodeTest, EveryCodeHasAUniqueNameAndAnErrorStatus) {
  std::set<std::string_view> names;
  for (const auto code : allErrorCodes()) {
    EXPECT_TRUE(names.insert(toString(code)).second) << toString(code);
    EXPECT_EQ(parseErrorCode(toString(code)), code);
    EXPECT_GE(httpStatus(code), 400);
    EXPECT_LT(httpStatus(code), 600);
  }
  EXPECT_EQ(names.size(), allErrorCodes().size());
  EXPECT_FALSE(parseErrorCode("no_such_code"));
}

TEST(ErrorCodeTest, StatusesFollowTheirMeaning) {
  EXPECT_EQ(httpStatus(ErrorCode::InvalidField), 400);
  EXPECT_EQ(httpStatus(ErrorCode::Unauthenticated), 401);
  EXPECT_EQ(httpStatus(ErrorCode::Forbidden), 403);
  EXPECT_EQ(httpStatus(ErrorCode::UnknownShop), 404);
  EXPECT_EQ(httpStatus(ErrorCode::IdempotencyConflict), 409);
  EXPECT_EQ(httpStatus(ErrorCode::PayloadTooLarge), 413);
  EXPECT_EQ(httpStatus(ErrorCode::AccountLocked), 423);
  EXPECT_EQ(httpStatus(ErrorCode::Internal), 500);
  EXPECT_EQ(httpStatus(ErrorCode::Busy), 503);
}

TEST(ErrorCodeTest, BodyRoundTrips) {
  ApiError error{ErrorCode::InvalidCsv, "2 rows", nlohmann::json{{"rows", {1, 2}}}};
  const auto body = errorBody(error);
  const auto parsed = parseErrorBody(body);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->code, ErrorCode::InvalidCsv);
  EXPECT_EQ(parsed->message, "2 rows");
  EXPECT_EQ(parsed->details["rows"].size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(body)["error"]["code"], "invalid_csv");
  EXPECT_FALSE(parseErrorBody("{\"ok\":true}"));
  EXPECT_FALSE(parseErrorBody("not json"));
}

}  // namespace
}  // namespace prepaid::backend::api
