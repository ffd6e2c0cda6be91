#include "prepaid/printer/virtual_printer.hpp"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace prepaid::devices {
namespace {

constexpr const char* FontPath = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";

class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/prepaid-vprinter-XXXXXX";
    m_path = ::mkdtemp(name);
  }
  ~TempDir() { std::filesystem::remove_all(m_path); }
  const std::filesystem::path& path() const { return m_path; }

 private:
  std::filesystem::path m_path;
};

ReceiptData sample() {
  ReceiptData data;
  data.siteName = "示范广场";
  data.shopNumber = "A-101";
  data.meterSerial = "MTR0001";
  data.amountFen = 10000;
  data.balanceAfterFen = 23456;
  data.orderNumber = "O1";
  data.paymentMethod = "微信支付";
  data.timeText = "2024-05-01 08:30:00";
  return data;
}

TEST(VirtualPrinter, WritesTextAndPngPerReceipt) {
  TempDir dir;
  VirtualPrinter printer(dir.path() / "out", FontPath);
  ASSERT_TRUE(printer.print(composeReceipt(sample(), 48)));
  ASSERT_TRUE(printer.print(composeReceipt(sample(), 48)));
  const auto files = printer.written();
  ASSERT_EQ(files.size(), 4U);
  EXPECT_EQ(files[0].filename(), "receipt-0001.txt");
  EXPECT_EQ(files[3].filename(), "receipt-0002.png");
  std::ifstream text(files[0]);
  std::stringstream content;
  content << text.rdbuf();
  EXPECT_NE(content.str().find("100.00 元"), std::string::npos);
  EXPECT_NE(content.str().find("[QR O1]"), std::string::npos);
  std::ifstream png(files[1], std::ios::binary);
  char magic[8] = {};
  png.read(magic, 8);
  EXPECT_EQ(std::string(magic + 1, 3), "PNG");
}

TEST(VirtualPrinter, ImageHasInkForTextAndQr) {
  auto image = VirtualPrinter::renderImage(composeReceipt(sample(), 48), FontPath);
  ASSERT_TRUE(image);
  EXPECT_EQ(image->width, 576);
  EXPECT_GT(image->height, 400);
  std::size_t black = 0;
  for (auto p : image->pixels) {
    black += p < 128 ? 1U : 0U;
  }
  EXPECT_GT(black, 2000U);
}

TEST(VirtualPrinter, MissingFontIsARenderError) {
  auto image = VirtualPrinter::renderImage(composeReceipt(sample()), "/nonexistent.ttf");
  ASSERT_FALSE(image);
  EXPECT_EQ(image.error().code, PrinterErrorCode::Render);
}

TEST(VirtualPrinter, PaperOutFileSimulatesNoPaper) {
  TempDir dir;
  VirtualPrinter printer(dir.path(), FontPath);
  EXPECT_EQ(printer.paperStatus().value(), PaperStatus::Ok);
  std::ofstream(dir.path() / "PAPER_OUT") << "";
  EXPECT_EQ(printer.paperStatus().value(), PaperStatus::Out);
}

TEST(VirtualPrinter, NumberingContinuesAfterRestart) {
  TempDir dir;
  {
    VirtualPrinter first(dir.path(), FontPath);
    ASSERT_TRUE(first.print(composeReceipt(sample())));
  }
  VirtualPrinter second(dir.path(), FontPath);
  ASSERT_TRUE(second.print(composeReceipt(sample())));
  EXPECT_EQ(second.written().front().filename(), "receipt-0002.txt");
}

}  // namespace
}  // namespace prepaid::devices
