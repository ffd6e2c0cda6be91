#include "prepaid/printer/escpos_printer.hpp"

#include <deque>
#include <filesystem>

#include "golden.hpp"
#include <gtest/gtest.h>
#include <unistd.h>

#include "prepaid/printer/printer_transport.hpp"

namespace prepaid::devices {
namespace {

// The "dummy" transport of python-escpos: collects bytes, answers status queries from a script.
class RecordingTransport final : public PrinterTransport {
 public:
  std::expected<void, PrinterError> write(std::span<const std::uint8_t> bytes) override {
    written.insert(written.end(), bytes.begin(), bytes.end());
    return {};
  }
  std::expected<std::vector<std::uint8_t>, PrinterError> read(std::size_t,
                                                              std::chrono::milliseconds) override {
    if (answers.empty()) {
      return std::unexpected(PrinterError{PrinterErrorCode::Timeout, "no answer"});
    }
    std::vector<std::uint8_t> answer{answers.front()};
    answers.pop_front();
    return answer;
  }
  std::string describe() const override { return "recording"; }
  std::vector<std::uint8_t> written;
  std::deque<std::uint8_t> answers;
};

ReceiptData sample() {
  ReceiptData data;
  data.siteName = "示范广场";
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

TEST(EscPosPrinter, CreditedReceiptMatchesGoldenBytes) {
  auto bytes = EscPosPrinter::encode(composeReceipt(sample(), 32), EscPosOptions{});
  ASSERT_TRUE(bytes);
  testing::maybeWriteGolden("receipt_credited_58mm.bin", *bytes);
  EXPECT_EQ(*bytes, testing::readGolden("receipt_credited_58mm.bin"));
}

TEST(EscPosPrinter, PendingReceiptMatchesGoldenBytes) {
  auto data = sample();
  data.variant = ReceiptVariant::CreditPending;
  data.balanceAfterFen.reset();
  EscPosOptions options;
  options.columns = 48;
  auto bytes = EscPosPrinter::encode(composeReceipt(data, 48), options);
  ASSERT_TRUE(bytes);
  testing::maybeWriteGolden("receipt_pending_80mm.bin", *bytes);
  EXPECT_EQ(*bytes, testing::readGolden("receipt_pending_80mm.bin"));
}

TEST(EscPosPrinter, EncodedReceiptStartsWithInitAndEndsWithCut) {
  auto bytes = EscPosPrinter::encode(composeReceipt(sample()), EscPosOptions{});
  ASSERT_TRUE(bytes);
  ASSERT_GT(bytes->size(), 6U);
  EXPECT_EQ((*bytes)[0], 0x1B);
  EXPECT_EQ((*bytes)[1], '@');
  const std::vector<std::uint8_t> tail(bytes->end() - 4, bytes->end());
  EXPECT_EQ(tail, (std::vector<std::uint8_t>{0x1D, 'V', 66, 3}));
}

TEST(EscPosPrinter, PrintWritesTheEncodedBytes) {
  auto transport = std::make_unique<RecordingTransport>();
  auto* raw = transport.get();
  EscPosPrinter printer(std::move(transport), EscPosOptions{});
  const auto doc = composeReceipt(sample());
  ASSERT_TRUE(printer.print(doc));
  EXPECT_EQ(raw->written, *EscPosPrinter::encode(doc, EscPosOptions{}));
}

TEST(EscPosPrinter, PaperStatusSendsDleEotAndDecodes) {
  auto transport = std::make_unique<RecordingTransport>();
  auto* raw = transport.get();
  raw->answers = {0x12, 0x72};
  EscPosPrinter printer(std::move(transport), EscPosOptions{});
  EXPECT_EQ(printer.paperStatus().value(), PaperStatus::Ok);
  EXPECT_EQ(printer.paperStatus().value(), PaperStatus::Out);
  EXPECT_EQ(raw->written, (std::vector<std::uint8_t>{0x10, 4, 4, 0x10, 4, 4}));
  // No answer (timeout): the status is unknown, which is not "out of paper".
  auto silent = printer.paperStatus();
  ASSERT_TRUE(silent);
  EXPECT_EQ(*silent, PaperStatus::Unknown);
}

TEST(EscPosPrinter, FileTransportCannotReadSoPaperIsUnknown) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("escpos-file-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto transport = openPrinterTransport("file:" + (dir / "out.bin").string());
  ASSERT_TRUE(transport) << transport.error().message;
  EscPosPrinter printer(std::move(*transport), EscPosOptions{});
  auto status = printer.paperStatus();
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(*status, PaperStatus::Unknown);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace prepaid::devices
