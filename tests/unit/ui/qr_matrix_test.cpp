#include "prepaid/ui/qr_matrix.hpp"

#include <gtest/gtest.h>

namespace prepaid::kiosk::ui {
namespace {

TEST(QrMatrix, EncodesWithFinderPatterns) {
  auto qr = encodeQr("weixin://wxpay/bizpayurl?pr=K1");
  ASSERT_TRUE(qr) << qr.error();
  EXPECT_GE(qr->size, 21);
  EXPECT_EQ((qr->size - 17) % 4, 0);  // versions are 21, 25, 29, ... modules
  // Top-left finder pattern: dark 7x7 ring.
  for (int i = 0; i < 7; ++i) {
    EXPECT_TRUE(qr->at(i, 0));
    EXPECT_TRUE(qr->at(0, i));
  }
  EXPECT_FALSE(qr->at(1, 1));
  EXPECT_TRUE(qr->at(3, 3));
}

TEST(QrMatrix, EmptyOrHugeTextIsAnError) {
  EXPECT_FALSE(encodeQr(""));
  EXPECT_FALSE(encodeQr(std::string(8000, 'x')));
}

}  // namespace
}  // namespace prepaid::kiosk::ui
