#include "prepaid/printer/text_encoding.hpp"

#include <gtest/gtest.h>

namespace prepaid::devices {
namespace {

using Bytes = std::vector<std::uint8_t>;

TEST(TextEncoding, Gb18030OfCommonHanzi) {
  auto bytes = encodeText("电费", TextEncoding::Gb18030);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(*bytes, (Bytes{0xB5, 0xE7, 0xB7, 0xD1}));
}

TEST(TextEncoding, GbkCannotHoldEmojiAndPrintsQuestionMark) {
  auto bytes = encodeText("a😀b", TextEncoding::Gbk);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(*bytes, (Bytes{'a', '?', 'b'}));
}

TEST(TextEncoding, Gb18030HoldsEveryCodePoint) {
  auto bytes = encodeText("😀", TextEncoding::Gb18030);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(bytes->size(), 4U);
}

TEST(TextEncoding, TruncatedUtf8IsAnError) {
  auto bytes = encodeText("\xE4\xB8", TextEncoding::Gb18030);
  ASSERT_FALSE(bytes);
  EXPECT_EQ(bytes.error().code, PrinterErrorCode::Encoding);
}

TEST(TextEncoding, NamesRoundTrip) {
  for (auto e : {TextEncoding::Gb18030, TextEncoding::Gbk, TextEncoding::Ascii}) {
    EXPECT_EQ(parseTextEncoding(toString(e)), e);
  }
  EXPECT_FALSE(parseTextEncoding("utf8"));
}

}  // namespace
}  // namespace prepaid::devices
