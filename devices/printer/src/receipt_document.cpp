#include "prepaid/printer/receipt_document.hpp"

namespace prepaid::devices {

namespace {

ReceiptLine text(std::string value, Align align = Align::Left, Emphasis emphasis = Emphasis::Normal,
                 CharSize size = CharSize::Normal) {
  return ReceiptLine{ReceiptLine::Kind::Text, std::move(value), align, emphasis, size};
}

// "标签 Label" on the left, the value right-aligned on the same line when it fits, else on
// the next line (a long order number must never be cut).
void pair(ReceiptDocument& doc, const std::string& label, const std::string& value,
          std::size_t columns, Emphasis emphasis = Emphasis::Normal) {
  const std::size_t used = displayColumns(label) + displayColumns(value);
  if (used + 1 <= columns) {
    doc.lines.push_back(
        text(label + std::string(columns - used, ' ') + value, Align::Left, emphasis));
  } else {
    doc.lines.push_back(text(label, Align::Left, emphasis));
    doc.lines.push_back(text(value, Align::Right, emphasis));
  }
}

}  // namespace

std::string formatYuan(std::int64_t fen) {
  const bool negative = fen < 0;
  // Work in unsigned so INT64_MIN has a magnitude.
  const std::uint64_t magnitude =
      negative ? static_cast<std::uint64_t>(-(fen + 1)) + 1U : static_cast<std::uint64_t>(fen);
  const std::uint64_t cents = magnitude % 100U;
  // Appended piece by piece: `"-" + std::string` trips GCC 12's -Wrestrict false positive.
  std::string out;
  if (negative) {
    out.push_back('-');
  }
  out += std::to_string(magnitude / 100U);
  out.push_back('.');
  out += static_cast<char>('0' + cents / 10U);
  out += static_cast<char>('0' + cents % 10U);
  return out;
}

std::size_t displayColumns(std::string_view utf8) {
  std::size_t columns = 0;
  for (std::size_t i = 0; i < utf8.size();) {
    const auto lead = static_cast<unsigned char>(utf8[i]);
    std::size_t length = 1;
    if (lead >= 0xF0) {
      length = 4;
    } else if (lead >= 0xE0) {
      length = 3;
    } else if (lead >= 0xC0) {
      length = 2;
    }
    // Printers draw every multi-byte (GB18030) character double width.
    columns += length == 1 ? 1 : 2;
    i += length;
  }
  return columns;
}

ReceiptDocument composeReceipt(const ReceiptData& data, std::size_t columns) {
  ReceiptDocument doc;
  const std::string rule(columns, '-');
  doc.lines.push_back(text(data.siteName, Align::Centre, Emphasis::Bold, CharSize::Double));
  doc.lines.push_back(text("充值凭条 Recharge receipt", Align::Centre, Emphasis::Bold));
  if (data.copy == ReceiptCopy::Reprint) {
    doc.lines.push_back(text("** 补打 REPRINT **", Align::Centre));
  }
  doc.lines.push_back(
      {ReceiptLine::Kind::Rule, rule, Align::Left, Emphasis::Normal, CharSize::Normal});
  pair(doc, "户号 Shop", data.shopNumber, columns);
  pair(doc, "表号 Meter", data.meterSerial, columns);
  pair(doc, "金额 Amount", formatYuan(data.amountFen) + " 元", columns, Emphasis::Bold);
  if (data.variant == ReceiptVariant::Credited && data.balanceAfterFen) {
    pair(doc, "余额 Balance", formatYuan(*data.balanceAfterFen) + " 元", columns);
  } else {
    pair(doc, "余额 Balance", "待入表 pending", columns);
  }
  if (data.purchaseCount) {
    pair(doc, "购电次数 Count", std::to_string(*data.purchaseCount), columns);
  }
  pair(doc, "支付方式 Paid by", data.paymentMethod, columns);
  pair(doc, "订单号 Order", data.orderNumber, columns);
  pair(doc, "时间 Time", data.timeText, columns);
  doc.lines.push_back(
      {ReceiptLine::Kind::Rule, rule, Align::Left, Emphasis::Normal, CharSize::Normal});
  if (data.variant == ReceiptVariant::CreditPending) {
    doc.lines.push_back(text("已收款，电表暂未入账", Align::Centre, Emphasis::Bold));
    doc.lines.push_back(text("系统将自动充入电表，无需再次付款", Align::Centre));
    doc.lines.push_back(text("Payment received;", Align::Centre));
    doc.lines.push_back(text("credit pending, applied", Align::Centre));
    doc.lines.push_back(text("to the meter automatically.", Align::Centre));
  } else {
    doc.lines.push_back(text("充值成功 Recharge credited", Align::Centre, Emphasis::Bold));
  }
  doc.lines.push_back(
      {ReceiptLine::Kind::Blank, "", Align::Left, Emphasis::Normal, CharSize::Normal});
  doc.lines.push_back(
      {ReceiptLine::Kind::Qr, data.orderNumber, Align::Centre, Emphasis::Normal, CharSize::Normal});
  doc.lines.push_back(text("请妥善保管 Keep this receipt", Align::Centre));
  return doc;
}

ReceiptDocument composeTestPage(const std::string& siteName, const std::string& timeText,
                                const std::string& printerDescription, std::size_t columns) {
  ReceiptDocument doc;
  doc.lines.push_back(text(siteName, Align::Centre, Emphasis::Bold, CharSize::Double));
  doc.lines.push_back(text("打印测试 Test print", Align::Centre, Emphasis::Bold));
  doc.lines.push_back({ReceiptLine::Kind::Rule, std::string(columns, '-'), Align::Left,
                       Emphasis::Normal, CharSize::Normal});
  doc.lines.push_back(text("中文 ABC 0123456789"));
  doc.lines.push_back(text(printerDescription));
  doc.lines.push_back(text(timeText));
  doc.lines.push_back({ReceiptLine::Kind::Qr, "TEST " + timeText, Align::Centre, Emphasis::Normal,
                       CharSize::Normal});
  return doc;
}

}  // namespace prepaid::devices
