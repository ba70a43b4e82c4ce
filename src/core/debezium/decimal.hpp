// Numbers: Decimal's and VariableScaleDecimal's unscaled bytes, the string and double modes
// (decimal.handling.mode), and the special values NaN and ±Infinity, both ways.
#pragma once

#include <string>
#include <string_view>

namespace tapedeck::debezium {

// A decimal number as sign + digits + scale (value = digits * 10^-scale).
struct Decimal {
  bool negative = false;
  std::string digits;  // no sign, may have leading zeros
  int scale = 0;
};

// "-?[0-9]+": an integer exactly as JSON and PostgreSQL print it.
bool is_integer_text(std::string_view text);

// "NaN", "Infinity", "-Infinity": how PostgreSQL prints its special numbers and how the
// JSON converter writes special doubles. Sets `value` and returns true for one of them.
bool parse_special_number(std::string_view text, double& value);
bool is_special_number(std::string_view text);

// --- PostgreSQL to Debezium (capture) ---

// numeric's text output ("-12.50") to a Decimal; false when it is not one.
bool parse_decimal(std::string_view text, Decimal& out);

// money's text output with lc_monetary C/en_US ("$1,234.56", "-$1,234.56", "($1,234.56)");
// false when it holds no digits.
bool parse_money(std::string_view text, Decimal& out);

// Changes the scale; false if digits would be lost.
bool rescale(Decimal& d, int scale);

// The unscaled value as Java's BigInteger.toByteArray() writes it: minimal big-endian two's
// complement (zero is one zero byte). Base64 of this is a precise Decimal's value.
std::string unscaled_bytes(const Decimal& d);

// The number as decimal.handling.mode=string writes it: no leading zeros, "-" only when not
// zero, the scale's fraction digits kept ("5.60").
std::string plain_text(const Decimal& d);

// --- Debezium to PostgreSQL (transform) ---

// Plain decimal text: -?digits[.digits][e[+-]digits], or NaN / ±Infinity.
bool is_decimal_text(std::string_view text);

// Appends the decimal text of big-endian two's-complement `unscaled` scaled by 10^-scale.
void append_scaled(std::string& out, std::string_view unscaled, int scale);

// Appends the decimal text of a Decimal / VariableScaleDecimal value (base64 of the unscaled
// bytes). False when the value is not base64.
bool append_decimal_from_base64(std::string& out, std::string_view base64, int scale);

}  // namespace tapedeck::debezium
