#include "prepaid/printer/receipt_document.hpp"

#include <algorithm>

#include <gtest/gtest.h>

namespace prepaid::devices {
namespace {

ReceiptData sample() {
  ReceiptData data;
  data.siteName = "万达广场";
  data.shopNumber = "A-101";
  data.meterSerial = "MTR0001";
  data.amountFen = 10000;
  data.balanceAfterFen = 23456;
  data.purchaseCount = 7;
  data.orderNumber = "O20240501000123";
  data.paymentMethod = "微信支付";
  data.timeText = "2024-05-01 08:30:00";
  return data;
}

bool hasLineContaining(const ReceiptDocument& doc, std::string_view needle) {
  return std::ranges::any_of(doc.lines, [&](const ReceiptLine& line) {
    return line.text.find(needle) != std::string::npos;
  });
}

TEST(ReceiptDocument, FormatYuanIsExact) {
  EXPECT_EQ(formatYuan(0), "0.00");
  EXPECT_EQ(formatYuan(5), "0.05");
  EXPECT_EQ(formatYuan(10000), "100.00");
  EXPECT_EQ(formatYuan(-1234), "-12.34");
  EXPECT_EQ(formatYuan(std::numeric_limits<std::int64_t>::min()), "-92233720368547758.08");
}

TEST(ReceiptDocument, DisplayColumnsCountsCjkDouble) {
  EXPECT_EQ(displayColumns("abc"), 3U);
  EXPECT_EQ(displayColumns("户号"), 4U);
}

TEST(ReceiptDocument, CreditedReceiptHasEveryField) {
  const auto doc = composeReceipt(sample(), 32);
  for (auto needle : {"万达广场", "A-101", "MTR0001", "100.00", "234.56", "7", "O20240501000123",
                      "微信支付", "2024-05-01 08:30:00", "充值成功"}) {
    EXPECT_TRUE(hasLineContaining(doc, needle)) << needle;
  }
  EXPECT_TRUE(std::ranges::any_of(doc.lines, [](const ReceiptLine& l) {
    return l.kind == ReceiptLine::Kind::Qr && l.text == "O20240501000123";
  }));
  for (const auto& line : doc.lines) {
    if (line.kind == ReceiptLine::Kind::Text && line.size == CharSize::Normal) {
      EXPECT_LE(displayColumns(line.text), 32U) << line.text;
    }
  }
}

TEST(ReceiptDocument, PendingVariantSaysSoAndShowsNoBalance) {
  auto data = sample();
  data.variant = ReceiptVariant::CreditPending;
  data.balanceAfterFen.reset();
  const auto doc = composeReceipt(data, 32);
  EXPECT_TRUE(hasLineContaining(doc, "credit pending"));
  for (const auto& line : doc.lines) {
    if (line.kind == ReceiptLine::Kind::Text && line.size == CharSize::Normal) {
      EXPECT_LE(displayColumns(line.text), 32U) << line.text;
    }
  }
  EXPECT_TRUE(hasLineContaining(doc, "自动"));
  EXPECT_FALSE(hasLineContaining(doc, "234.56"));
  EXPECT_FALSE(hasLineContaining(doc, "充值成功"));
}

TEST(ReceiptDocument, ReprintIsMarked) {
  auto data = sample();
  data.copy = ReceiptCopy::Reprint;
  EXPECT_TRUE(hasLineContaining(composeReceipt(data), "REPRINT"));
  EXPECT_FALSE(hasLineContaining(composeReceipt(sample()), "REPRINT"));
}

}  // namespace
}  // namespace prepaid::devices
