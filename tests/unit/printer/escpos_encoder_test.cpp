#include "prepaid/printer/escpos_encoder.hpp"

#include <gtest/gtest.h>

namespace prepaid::devices {
namespace {

using Bytes = std::vector<std::uint8_t>;

TEST(EscPosEncoder, BasicCommands) {
  EscPosEncoder out;
  out.init().emphasis(Emphasis::Bold).size(CharSize::Double).align(Align::Centre).feed(2).cut(3);
  EXPECT_EQ(out.bytes(), (Bytes{0x1B, '@', 0x1B, 'E', 1, 0x1D, '!', 0x11, 0x1B, 'a', 1, 0x1B, 'd',
                                2, 0x1D, 'V', 66, 3}));
}

TEST(EscPosEncoder, SizesMapToGsBang) {
  EscPosEncoder out;
  out.size(CharSize::Normal).size(CharSize::DoubleHeight).size(CharSize::DoubleWidth);
  EXPECT_EQ(out.bytes(), (Bytes{0x1D, '!', 0x00, 0x1D, '!', 0x01, 0x1D, '!', 0x10}));
}

TEST(EscPosEncoder, ChineseRunsAreWrappedInHanziMode) {
  EscPosEncoder out(TextEncoding::Gb18030);
  ASSERT_TRUE(out.line("A中文B"));
  // 中 = D6 D0, 文 = CE C4 in GB18030.
  EXPECT_EQ(out.bytes(), (Bytes{'A', 0x1C, '&', 0xD6, 0xD0, 0xCE, 0xC4, 0x1C, '.', 'B', 0x0A}));
}

TEST(EscPosEncoder, FourByteGb18030StaysInOneRun) {
  EscPosEncoder out(TextEncoding::Gb18030);
  // U+1F600 is the four-byte GB18030 sequence 94 39 FC 36 (digits inside): one run, not two.
  ASSERT_TRUE(out.text("😀中1"));
  EXPECT_EQ(out.bytes(), (Bytes{0x1C, '&', 0x94, 0x39, 0xFC, 0x36, 0xD6, 0xD0, 0x1C, '.', '1'}));
}

TEST(EscPosEncoder, AsciiEncodingReplacesNonAscii) {
  EscPosEncoder out(TextEncoding::Ascii);
  ASSERT_TRUE(out.text("x中y"));
  EXPECT_EQ(out.bytes(), (Bytes{'x', '?', 'y'}));
}

TEST(EscPosEncoder, InvalidUtf8IsAnErrorAndLeavesBytesUnchanged) {
  EscPosEncoder out;
  auto result = out.text(std::string("ab\xC3", 3));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, PrinterErrorCode::Encoding);
  EXPECT_TRUE(out.bytes().empty());
}

TEST(EscPosEncoder, QrUsesGsParenK) {
  EscPosEncoder out;
  ASSERT_TRUE(out.qr("AB", 4, QrErrorLevel::M));
  EXPECT_EQ(out.bytes(), (Bytes{0x1D, '(', 'k', 4, 0, 49, 65, 50, 0,         // model 2
                                0x1D, '(', 'k', 3, 0, 49, 67, 4,             // module size
                                0x1D, '(', 'k', 3, 0, 49, 69, 49,            // error level M
                                0x1D, '(', 'k', 5, 0, 49, 80, 48, 'A', 'B',  // store
                                0x1D, '(', 'k', 3, 0, 49, 81, 48}));         // print
}

TEST(EscPosEncoder, QrRefusesEmptyOrOversizeDataAndBadModule) {
  EscPosEncoder out;
  EXPECT_FALSE(out.qr(""));
  EXPECT_FALSE(out.qr(std::string(7090, 'x')));
  EXPECT_FALSE(out.qr("x", 0));
  EXPECT_FALSE(out.qr("x", 17));
  EXPECT_TRUE(out.bytes().empty());
}

TEST(EscPosEncoder, QrLengthUsesBothLengthBytes) {
  EscPosEncoder out;
  ASSERT_TRUE(out.qr(std::string(300, 'z')));
  // Store command starts after the 3 setup commands (9 + 8 + 8 bytes); length 303 = 0x012F.
  EXPECT_EQ(out.bytes()[25 + 3], 0x2F);
  EXPECT_EQ(out.bytes()[25 + 4], 0x01);
}

TEST(PaperStatus, DecodesDleEot4) {
  EXPECT_EQ(decodePaperStatus(0x12), PaperStatus::Ok);
  EXPECT_EQ(decodePaperStatus(0x1E), PaperStatus::NearEnd);
  EXPECT_EQ(decodePaperStatus(0x72), PaperStatus::Out);
  EXPECT_EQ(decodePaperStatus(0x7E), PaperStatus::Out);
  EXPECT_EQ(decodePaperStatus(0x00), PaperStatus::Unknown);  // bit 1 must be set
  EXPECT_EQ(decodePaperStatus(0x93), PaperStatus::Unknown);
  EXPECT_EQ(toString(PaperStatus::NearEnd), "near_end");
}

}  // namespace
}  // namespace prepaid::devices
