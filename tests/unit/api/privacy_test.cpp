#include "prepaid/api/privacy.hpp"

#include <gtest/gtest.h>

namespace prepaid::backend::api {
namespace {

TEST(PrivacyTest, NamesKeepTheFirstCharacterOnly) {
  EXPECT_EQ(maskName("张三"), "张*");
  EXPECT_EQ(maskName("欧阳娜娜"), "欧*");
  EXPECT_EQ(maskName("Li Wei"), "L*");
  EXPECT_EQ(maskName(""), "");
  EXPECT_EQ(maskName("\xe5\xbc"), "*");  // truncated UTF-8
  EXPECT_EQ(maskName("\x80xyz"), "*");
}

TEST(PrivacyTest, PhonesNeverShowInFull) {
  EXPECT_EQ(maskPhone("13812345678"), "138****5678");
  EXPECT_EQ(maskPhone("1234567"), "*******");
  EXPECT_EQ(maskPhone(""), "");
  EXPECT_NE(maskPhone("02112345678"), "02112345678");
}

}  // namespace
}  // namespace prepaid::backend::api
