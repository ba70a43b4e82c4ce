// Binary values: bytea and bit strings written the Debezium way read back unchanged, in every
// bytes mode.
#include "core/debezium/binary.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tapedeck::debezium {
namespace {

TEST(DebeziumBinary, ByteaRoundTripsInEveryBytesMode) {
  std::string bytes;
  ASSERT_EQ(parse_pg_bytea("\\x00fbff7f41", bytes), nullptr);
  EXPECT_EQ(bytes, std::string("\x00\xfb\xff\x7f\x41", 5));
  for (const auto mode : {BinaryHandling::bytes, BinaryHandling::base64,
                          BinaryHandling::base64_url_safe, BinaryHandling::hex}) {
    std::string out;
    ASSERT_EQ(append_pg_bytea(out, encode_bytes(bytes, mode), mode), nullptr);
    EXPECT_EQ(out, "\\x00fbff7f41");
  }
  EXPECT_EQ(encode_bytes(bytes, BinaryHandling::base64), "APv/f0E=");
  EXPECT_EQ(encode_bytes(bytes, BinaryHandling::base64_url_safe), "APv_f0E=");
  EXPECT_EQ(encode_bytes(bytes, BinaryHandling::hex), "00fbff7f41");
}

TEST(DebeziumBinary, ByteaEscapeFormIsRead) {
  std::string bytes;
  ASSERT_EQ(parse_pg_bytea("a\\\\b\\001", bytes), nullptr);
  EXPECT_EQ(bytes, std::string("a\\b\x01", 4));
}

TEST(DebeziumBinary, MalformedValuesSayWhy) {
  std::string bytes;
  EXPECT_STREQ(parse_pg_bytea("\\x0g", bytes), "not a hex digit");
  EXPECT_STREQ(parse_pg_bytea("\\x012", bytes), "odd number of hex digits");
  EXPECT_STREQ(parse_pg_bytea("\\9", bytes), "truncated escape");
  std::string out;
  EXPECT_STREQ(append_pg_bytea(out, "0g", BinaryHandling::hex),
               "a hex binary value contains a non-hex character");
  EXPECT_STREQ(append_pg_bytea(out, "Zm9v*", BinaryHandling::base64),
               "a binary value is not valid base64");
}

TEST(DebeziumBinary, BitStringsRoundTripThroughLittleEndianBytes) {
  for (const char* bits : {"1", "0", "101", "00000001", "100000000", "1111000011110000101"}) {
    std::string bytes;
    ASSERT_TRUE(bits_to_bytes(bits, bytes)) << bits;
    std::string out;
    ASSERT_TRUE(append_pg_bits(out, bytes, std::string_view(bits).size())) << bits;
    EXPECT_EQ(out, bits);
  }
  std::string bytes;
  ASSERT_TRUE(bits_to_bytes("100000000", bytes));
  EXPECT_EQ(bytes, std::string("\x00\x01", 2));
  ASSERT_TRUE(bits_to_bytes("0000", bytes));
  EXPECT_EQ(bytes, "");  // minimal length: no set bit, no byte
  EXPECT_FALSE(bits_to_bytes("10x", bytes));
}

TEST(DebeziumBinary, BitsThatDoNotFitTheLengthAreRefused) {
  std::string out;
  EXPECT_FALSE(append_pg_bits(out, "\x04", 2));
  EXPECT_TRUE(append_pg_bits(out, "\x02", 2));
  EXPECT_EQ(out, "10");
}

TEST(DebeziumBinary, HexDigitsOfEitherCase) {
  EXPECT_EQ(hex_digit_value('a'), 10);
  EXPECT_EQ(hex_digit_value('F'), 15);
  EXPECT_EQ(hex_digit_value('g'), -1);
}

}  // namespace
}  // namespace tapedeck::debezium
