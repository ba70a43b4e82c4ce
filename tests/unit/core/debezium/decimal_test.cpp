// Numbers: a decimal written as Debezium's unscaled bytes reads back as the same number.
#include "core/debezium/decimal.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "core/base64.hpp"

namespace tapedeck::debezium {
namespace {

// numeric text -> Decimal -> (rescaled) unscaled bytes -> base64 -> decimal text.
std::string precise_round_trip(std::string_view text, int scale) {
  Decimal d;
  EXPECT_TRUE(parse_decimal(text, d)) << text;
  EXPECT_TRUE(rescale(d, scale)) << text;
  std::string out;
  EXPECT_TRUE(append_decimal_from_base64(out, base64_encode(unscaled_bytes(d)), scale));
  return out;
}

TEST(DebeziumDecimal, PreciseDecimalsRoundTripAtTheColumnScale) {
  EXPECT_EQ(precise_round_trip("39.98", 2), "39.98");
  EXPECT_EQ(precise_round_trip("-39.98", 2), "-39.98");
  EXPECT_EQ(precise_round_trip("0", 2), "0.00");
  EXPECT_EQ(precise_round_trip("-0.01", 2), "-0.01");
  EXPECT_EQ(precise_round_trip("128", 0), "128");
  EXPECT_EQ(precise_round_trip("-128", 0), "-128");
  EXPECT_EQ(precise_round_trip("5.6", 3), "5.600");
  const std::string big = "123456789012345678901234567890123456789.123456789";
  EXPECT_EQ(precise_round_trip(big, 9), big);
  EXPECT_EQ(precise_round_trip("-" + big, 9), "-" + big);
}

TEST(DebeziumDecimal, VariableScaleKeepsThePrintedScale) {
  Decimal d;
  ASSERT_TRUE(parse_decimal("5.60", d));
  EXPECT_EQ(d.scale, 2);
  std::string out;
  append_scaled(out, unscaled_bytes(d), d.scale);
  EXPECT_EQ(out, "5.60");
}

TEST(DebeziumDecimal, UnscaledBytesAreJavaBigIntegerBytes) {
  Decimal d;
  ASSERT_TRUE(parse_decimal("128", d));
  EXPECT_EQ(unscaled_bytes(d), std::string("\x00\x80", 2));
  ASSERT_TRUE(parse_decimal("-129", d));
  EXPECT_EQ(unscaled_bytes(d), std::string("\xff\x7f", 2));
  ASSERT_TRUE(parse_decimal("0.000", d));
  EXPECT_EQ(unscaled_bytes(d), std::string(1, '\0'));
}

TEST(DebeziumDecimal, StringModeRoundTripsAsPlainText) {
  for (const char* text : {"0", "-12.50", "1000", "0.001"}) {
    Decimal d;
    ASSERT_TRUE(parse_decimal(text, d));
    EXPECT_EQ(plain_text(d), text);
    EXPECT_TRUE(is_decimal_text(plain_text(d)));
  }
  Decimal d;
  ASSERT_TRUE(parse_decimal("-000.00", d));
  EXPECT_EQ(plain_text(d), "0.00");
}

TEST(DebeziumDecimal, MoneyTextBecomesADecimal) {
  Decimal d;
  ASSERT_TRUE(parse_money("($1,234.5)", d));
  ASSERT_TRUE(rescale(d, 2));
  EXPECT_EQ(plain_text(d), "-1234.50");
  Decimal none;
  EXPECT_FALSE(parse_money("$", none));
}

TEST(DebeziumDecimal, RescaleRefusesToDropDigits) {
  Decimal d;
  ASSERT_TRUE(parse_decimal("1.25", d));
  EXPECT_FALSE(rescale(d, 1));
  ASSERT_TRUE(parse_decimal("1.20", d));
  EXPECT_TRUE(rescale(d, 1));
  EXPECT_EQ(plain_text(d), "1.2");
}

TEST(DebeziumDecimal, SpecialNumbersAreNanAndInfinities) {
  double value = 0;
  ASSERT_TRUE(parse_special_number("NaN", value));
  EXPECT_TRUE(std::isnan(value));
  ASSERT_TRUE(parse_special_number("-Infinity", value));
  EXPECT_TRUE(std::isinf(value) && value < 0);
  EXPECT_FALSE(is_special_number("nan"));
  EXPECT_TRUE(is_decimal_text("Infinity"));
  EXPECT_TRUE(is_decimal_text("-1.5e-3"));
  EXPECT_FALSE(is_decimal_text("1.5e"));
  EXPECT_TRUE(is_integer_text("-42"));
  EXPECT_FALSE(is_integer_text("-"));
  EXPECT_FALSE(is_integer_text("4.2"));
}

}  // namespace
}  // namespace tapedeck::debezium
