#pragma once

// A receipt as a device-neutral list of lines, composed once and rendered by each printer
// (ESC/POS bytes, or text + PNG by the virtual printer), so all printers print the same thing.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "prepaid/printer/escpos_encoder.hpp"

namespace prepaid::devices {

struct ReceiptLine {
  enum class Kind { Text, Qr, Rule, Blank };
  Kind kind = Kind::Text;
  std::string text;  // UTF-8 text, or the QR payload
  Align align = Align::Left;
  Emphasis emphasis = Emphasis::Normal;
  CharSize size = CharSize::Normal;
};

struct ReceiptDocument {
  std::vector<ReceiptLine> lines;
};

enum class ReceiptVariant {
  Credited,       // the meter has the money
  CreditPending,  // paid, the meter did not answer yet: applied automatically later
};

enum class ReceiptCopy { Original, Reprint };

/// What a recharge receipt shows (DOMAIN.md: site, shop, meter, amount, balance after, purchase
/// count, order number, payment method, time, a QR code of the order number).
struct ReceiptData {
  std::string siteName;
  std::string shopNumber;
  std::string meterSerial;
  std::int64_t amountFen = 0;
  std::optional<std::int64_t> balanceAfterFen;  // unknown while the credit is pending
  std::optional<std::int64_t> purchaseCount;
  std::string orderNumber;
  std::string paymentMethod;  // display words, e.g. "微信支付 WeChat Pay"
  std::string timeText;       // local time as printed, e.g. "2024-05-01 08:30:00"
  ReceiptVariant variant = ReceiptVariant::Credited;
  ReceiptCopy copy = ReceiptCopy::Original;
};

/// "12345" fen -> "123.45" (exact; negative amounts keep their sign).
[[nodiscard]] std::string formatYuan(std::int64_t fen);

/// Display width of UTF-8 text in printer columns (CJK and other wide characters count 2).
[[nodiscard]] std::size_t displayColumns(std::string_view utf8);

/// The recharge receipt, `columns` wide (32 for 58 mm paper, 48 for 80 mm).
[[nodiscard]] ReceiptDocument composeReceipt(const ReceiptData& data, std::size_t columns = 32);

/// A test page for maintenance mode (site, time, printer description, a QR code).
[[nodiscard]] ReceiptDocument composeTestPage(const std::string& siteName,
                                              const std::string& timeText,
                                              const std::string& printerDescription,
                                              std::size_t columns = 32);

}  // namespace prepaid::devices
