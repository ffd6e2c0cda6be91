#include "prepaid/payments/payment_code.hpp"

#include <gtest/gtest.h>

namespace prepaid::backend::payments {
namespace {

TEST(PaymentCode, WechatCodesAre18DigitsStarting10To15) {
  EXPECT_EQ(classifyPaymentCode("134567890123456789").value(), ProviderKind::Wechat);
  EXPECT_EQ(classifyPaymentCode("104567890123456789").value(), ProviderKind::Wechat);
  EXPECT_EQ(classifyPaymentCode("154567890123456789").value(), ProviderKind::Wechat);
  EXPECT_FALSE(classifyPaymentCode("164567890123456789").has_value());  // 16, 18 digits: neither
  EXPECT_FALSE(classifyPaymentCode("13456789012345678").has_value());   // 17 digits
}

TEST(PaymentCode, AlipayCodesAre16To24DigitsStarting25To30) {
  EXPECT_EQ(classifyPaymentCode("2812345678901234").value(), ProviderKind::Alipay);          // 16
  EXPECT_EQ(classifyPaymentCode("251234567890123456789012").value(), ProviderKind::Alipay);  // 24
  EXPECT_EQ(classifyPaymentCode("301234567890123456").value(), ProviderKind::Alipay);
  EXPECT_FALSE(classifyPaymentCode("281234567890123").has_value());            // 15
  EXPECT_FALSE(classifyPaymentCode("2812345678901234567890123").has_value());  // 25
  EXPECT_FALSE(classifyPaymentCode("311234567890123456").has_value());         // 31
}

TEST(PaymentCode, OtherInputIsRefusedWithAMessage) {
  for (const char* code :
       {"", "abc", "13456789012345678X", "6901234567892", " 134567890123456789"}) {
    auto kind = classifyPaymentCode(code);
    ASSERT_FALSE(kind.has_value()) << code;
    EXPECT_FALSE(kind.error().empty());
  }
}

}  // namespace
}  // namespace prepaid::backend::payments
