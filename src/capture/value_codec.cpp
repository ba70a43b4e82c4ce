// Column values: PostgreSQL text output -> Debezium JSON values and Kafka Connect field schemas.
#include "capture/value_codec.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/debezium_sentinels.hpp"
#include "core/error.hpp"

namespace tapedeck::capture {
namespace {

[[noreturn]] void bad(std::string_view type, std::string_view text, std::string_view why) {
  constexpr std::size_t kShown = 80;
  throw Error(ErrorSource::input, Recovery::invalid,
              fmt::format("cannot encode {} value '{}{}': {}; capture expects PostgreSQL's text "
                          "output with DateStyle=ISO and IntervalStyle=postgres",
                          type, text.substr(0, kShown), text.size() > kShown ? "..." : "", why));
}

// ---------------------------------------------------------------------------------------------
// Small parsing helpers over string_view.

struct Cursor {
  std::string_view s;
  std::size_t i = 0;
  bool done() const { return i >= s.size(); }
  char peek() const { return i < s.size() ? s[i] : '\0'; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++i;
    return true;
  }
  // Reads at least `min` and at most `max` digits; false if fewer than min.
  bool digits(std::int64_t& value, std::size_t min, std::size_t max, std::size_t* count = nullptr) {
    std::size_t n = 0;
    value = 0;
    while (n < max && i < s.size() && s[i] >= '0' && s[i] <= '9') {
      value = value * 10 + (s[i] - '0');
      ++i;
      ++n;
    }
    if (count != nullptr) *count = n;
    return n >= min;
  }
  std::string_view rest() const { return s.substr(std::min(i, s.size())); }
};

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Days since 1970-01-01 of a proleptic Gregorian date (astronomical year numbering).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

// "YYYY-MM-DD" with an optional " BC" handled by the caller; returns days since epoch.
bool parse_date_part(Cursor& c, std::int64_t& days) {
  std::int64_t y = 0, m = 0, d = 0;
  if (!c.digits(y, 4, 9) || !c.eat('-') || !c.digits(m, 2, 2) || !c.eat('-') ||
      !c.digits(d, 2, 2)) {
    return false;
  }
  if (m < 1 || m > 12 || d < 1 || d > 31) return false;
  days = days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  return true;
}

// A " BC" suffix turns year Y into astronomical year 1 - Y: shift by the days in between.
bool bc_suffix(std::string_view text) {
  return text.size() >= 3 && text.substr(text.size() - 3) == " BC";
}

std::int64_t bc_adjust_days(std::int64_t days) {
  std::int64_t y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(days, y, m, d);
  return days_from_civil(1 - y, m, d);
}

// "HH:MM:SS[.ffffff]" -> microseconds past midnight (24:00:00 allowed).
bool parse_time_part(Cursor& c, std::int64_t& micros) {
  std::int64_t h = 0, mi = 0, s = 0;
  if (!c.digits(h, 2, 2) || !c.eat(':') || !c.digits(mi, 2, 2) || !c.eat(':') ||
      !c.digits(s, 2, 2)) {
    return false;
  }
  std::int64_t fraction = 0;
  if (c.eat('.')) {
    std::size_t n = 0;
    if (!c.digits(fraction, 1, 6, &n)) return false;
    for (; n < 6; ++n) fraction *= 10;
  }
  if (h > 24 || mi > 59 || s > 60) return false;
  micros = ((h * 60 + mi) * 60 + s) * 1'000'000 + fraction;
  return true;
}

// "+HH[:MM[:SS]]" -> seconds east of UTC.
bool parse_offset(Cursor& c, std::int64_t& seconds) {
  const char sign = c.peek();
  if (sign != '+' && sign != '-') return false;
  ++c.i;
  std::int64_t h = 0, m = 0, s = 0;
  if (!c.digits(h, 2, 2)) return false;
  if (c.eat(':') && !c.digits(m, 2, 2)) return false;
  if (c.eat(':') && !c.digits(s, 2, 2)) return false;
  seconds = (h * 3600 + m * 60 + s) * (sign == '-' ? -1 : 1);
  return true;
}

std::int64_t parse_date(std::string_view text) {
  if (text == "infinity") return debezium::kDatePositiveInfinityDays;
  if (text == "-infinity") return debezium::kDateNegativeInfinityDays;
  const bool bc = bc_suffix(text);
  Cursor c{bc ? text.substr(0, text.size() - 3) : text};
  std::int64_t days = 0;
  if (!parse_date_part(c, days) || !c.done()) bad("date", text, "not YYYY-MM-DD");
  return bc ? bc_adjust_days(days) : days;
}

// Timestamp without zone -> microseconds since epoch, the wall clock read as UTC.
std::int64_t parse_timestamp(std::string_view text) {
  if (text == "infinity") return debezium::kTimestampPositiveInfinity;
  if (text == "-infinity") return debezium::kTimestampNegativeInfinity;
  const bool bc = bc_suffix(text);
  Cursor c{bc ? text.substr(0, text.size() - 3) : text};
  std::int64_t days = 0, micros = 0;
  if (!parse_date_part(c, days) || !c.eat(' ') || !parse_time_part(c, micros) || !c.done()) {
    bad("timestamp", text, "not YYYY-MM-DD HH:MM:SS[.ffffff]");
  }
  if (bc) days = bc_adjust_days(days);
  return days * 86'400'000'000 + micros;
}

// Timestamp with zone -> microseconds since epoch (UTC).
std::int64_t parse_timestamptz(std::string_view text) {
  const bool bc = bc_suffix(text);
  Cursor c{bc ? text.substr(0, text.size() - 3) : text};
  std::int64_t days = 0, micros = 0, offset = 0;
  if (!parse_date_part(c, days) || !c.eat(' ') || !parse_time_part(c, micros) ||
      !parse_offset(c, offset) || !c.done()) {
    bad("timestamptz", text, "not YYYY-MM-DD HH:MM:SS[.ffffff]+HH[:MM[:SS]]");
  }
  if (bc) days = bc_adjust_days(days);
  return days * 86'400'000'000 + micros - offset * 1'000'000;
}

// Appends ".ffffff" with exactly `width` digits (width 1..6), or minimal digits when width < 0
// (nothing when the fraction is zero).
void append_fraction(fmt::memory_buffer& out, std::int64_t micros_of_second, int width) {
  char digits[6];
  std::int64_t v = micros_of_second;
  for (int i = 5; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  int n = width;
  if (width < 0) {
    n = 6;
    while (n > 0 && digits[n - 1] == '0') --n;
  }
  if (n == 0) return;
  out.push_back('.');
  if (n <= 6) {
    out.append(digits, digits + n);
  } else {
    out.append(digits, digits + 6);
    for (int i = 6; i < n; ++i) out.push_back('0');
  }
}

void append_hms(fmt::memory_buffer& out, std::int64_t micros_of_day, int fraction_width) {
  const std::int64_t seconds = micros_of_day / 1'000'000;
  fmt::format_to(std::back_inserter(out), "{:02}:{:02}:{:02}", seconds / 3600, seconds / 60 % 60,
                 seconds % 60);
  append_fraction(out, micros_of_day % 1'000'000, fraction_width);
}

// ISO-8601 UTC instant as java.time prints it: fixed `width` fraction digits (1..9) or, for
// width <= 0, ISO_OFFSET_DATE_TIME's minimal digits.
void append_iso_instant(fmt::memory_buffer& out, std::int64_t unix_micros, int width) {
  const std::int64_t days = floor_div(unix_micros, 86'400'000'000);
  const std::int64_t micros_of_day = unix_micros - days * 86'400'000'000;
  std::int64_t y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(days, y, m, d);
  if (y > 9999) {
    fmt::format_to(std::back_inserter(out), "+{}", y);
  } else if (y < 0) {
    fmt::format_to(std::back_inserter(out), "-{:04}", -y);
  } else {
    fmt::format_to(std::back_inserter(out), "{:04}", y);
  }
  fmt::format_to(std::back_inserter(out), "-{:02}-{:02}T", m, d);
  append_hms(out, micros_of_day, width <= 0 ? -1 : width);
  out.push_back('Z');
}

// ---------------------------------------------------------------------------------------------
// Numbers.

bool is_integer_text(std::string_view text) {
  std::size_t i = (!text.empty() && text[0] == '-') ? 1 : 0;
  if (i == text.size()) return false;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  return true;
}

// A decimal number as sign + digits + scale (value = digits * 10^-scale).
struct Decimal {
  bool negative = false;
  std::string digits;  // no sign, may have leading zeros
  int scale = 0;
};

bool parse_decimal(std::string_view text, Decimal& out) {
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) out.negative = text[i++] == '-';
  bool any = false, point = false;
  out.digits.clear();
  out.scale = 0;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') {
      out.digits.push_back(c);
      any = true;
      if (point) ++out.scale;
    } else if (c == '.' && !point) {
      point = true;
    } else {
      return false;
    }
  }
  return any;
}

// Changes the scale; false if digits would be lost.
bool rescale(Decimal& d, int scale) {
  while (d.scale < scale) {
    d.digits.push_back('0');
    ++d.scale;
  }
  while (d.scale > scale) {
    if (d.digits.empty() || d.digits.back() != '0') return false;
    d.digits.pop_back();
    --d.scale;
  }
  return true;
}

// Java's BigInteger.toByteArray(): minimal big-endian two's complement.
std::string twos_complement(const Decimal& d) {
  // Magnitude in base 2^32 limbs, little-endian.
  std::vector<std::uint32_t> limbs;
  std::size_t pos = 0;
  const std::string& s = d.digits;
  while (pos < s.size()) {
    const std::size_t take = std::min<std::size_t>(9, s.size() - pos);
    std::uint32_t chunk = 0, mul = 1;
    for (std::size_t k = 0; k < take; ++k) {
      chunk = chunk * 10 + static_cast<std::uint32_t>(s[pos + k] - '0');
      mul *= 10;
    }
    pos += take;
    std::uint64_t carry = chunk;
    for (auto& limb : limbs) {
      const std::uint64_t v = static_cast<std::uint64_t>(limb) * mul + carry;
      limb = static_cast<std::uint32_t>(v);
      carry = v >> 32;
    }
    if (carry != 0) limbs.push_back(static_cast<std::uint32_t>(carry));
  }
  std::string bytes;  // big-endian magnitude, minimal
  for (auto it = limbs.rbegin(); it != limbs.rend(); ++it) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      const char b = static_cast<char>((*it >> shift) & 0xff);
      if (bytes.empty() && b == 0) continue;
      bytes.push_back(b);
    }
  }
  if (bytes.empty()) return std::string(1, '\0');
  if (!d.negative) {
    if (static_cast<unsigned char>(bytes[0]) & 0x80) bytes.insert(bytes.begin(), '\0');
    return bytes;
  }
  unsigned carry = 1;
  for (auto it = bytes.rbegin(); it != bytes.rend(); ++it) {
    const unsigned v = (~static_cast<unsigned char>(*it) & 0xffu) + carry;
    *it = static_cast<char>(v & 0xff);
    carry = v >> 8;
  }
  if (!(static_cast<unsigned char>(bytes[0]) & 0x80)) bytes.insert(bytes.begin(), '\xff');
  return bytes;
}

bool is_zero(const Decimal& d) {
  return d.digits.find_first_not_of('0') == std::string::npos;
}

void write_decimal_bytes(JsonWriter& out, const Decimal& d) {
  out.base64(is_zero(d) ? std::string(1, '\0') : twos_complement(d));
}

void write_plain_decimal(JsonWriter& out, const Decimal& d) {
  std::string_view digits = d.digits;
  std::string_view integer = digits.substr(0, digits.size() - static_cast<std::size_t>(d.scale));
  std::string_view fraction = digits.substr(integer.size());
  const auto first = integer.find_first_not_of('0');
  integer = first == std::string_view::npos ? std::string_view("0") : integer.substr(first);
  out.raw('"');
  if (d.negative && !is_zero(d)) out.raw('-');
  out.raw(integer);
  if (!fraction.empty()) {
    out.raw('.');
    out.raw(fraction);
  }
  out.raw('"');
}

double to_double(std::string_view text) {
  double value = 0;
  auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  if (result.ec != std::errc() || result.ptr != text.data() + text.size()) {
    bad("double precision", text, "not a number");
  }
  return value;
}

bool special_float(std::string_view text, double& value) {
  if (text == "NaN") {
    value = std::nan("");
  } else if (text == "Infinity") {
    value = HUGE_VAL;
  } else if (text == "-Infinity") {
    value = -HUGE_VAL;
  } else {
    return false;
  }
  return true;
}

void write_numeric(JsonWriter& out, const ColumnCodec& codec, std::string_view text) {
  double special = 0;
  const bool is_special = special_float(text, special);
  if (codec.kind == CodecKind::decimal_string) {
    if (is_special) {
      out.string(text);
      return;
    }
    Decimal d;
    if (!parse_decimal(text, d)) bad("numeric", text, "not a decimal number");
    write_plain_decimal(out, d);
    return;
  }
  if (codec.kind == CodecKind::decimal_double) {
    out.float64(is_special ? special : to_double(text));
    return;
  }
  if (is_special) {  // precise mode cannot carry NaN or infinities (Debezium writes null)
    out.null();
    return;
  }
  Decimal d;
  if (!parse_decimal(text, d)) bad("numeric", text, "not a decimal number");
  if (codec.kind == CodecKind::variable_decimal) {
    // The scale as PostgreSQL prints it (5.60 stays 5.60): Debezium strips trailing zeros,
    // which a replay would show as 5.6. Both are the same VariableScaleDecimal to a reader.
    out.raw("{\"scale\":");
    out.integer(d.scale);
    out.raw(",\"value\":");
    write_decimal_bytes(out, d);
    out.raw('}');
    return;
  }
  if (!rescale(d, codec.scale)) bad("numeric", text, "more fraction digits than the column scale");
  write_decimal_bytes(out, d);
}

void write_money(JsonWriter& out, const ColumnCodec& codec, std::string_view text, int fraction) {
  // lc_monetary C/en_US style: "$1,234.56", "-$1,234.56", "($1,234.56)".
  Decimal d;
  bool point = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      d.digits.push_back(c);
      if (point) ++d.scale;
    } else if (c == '.' && !point) {
      point = true;
    } else if (c == '-' || c == '(') {
      d.negative = true;
    }
  }
  if (d.digits.empty()) bad("money", text, "no digits");
  if (!rescale(d, fraction)) bad("money", text, "more fraction digits than money.fraction.digits");
  if (codec.kind == CodecKind::decimal_string) {
    write_plain_decimal(out, d);
  } else if (codec.kind == CodecKind::decimal_double) {
    std::string plain;
    plain.reserve(d.digits.size() + 2);
    if (d.negative) plain.push_back('-');
    const std::size_t integer_digits = d.digits.size() - static_cast<std::size_t>(d.scale);
    plain.append(d.digits, 0, integer_digits);
    plain.push_back('.');
    plain.append(d.digits, integer_digits, std::string::npos);
    plain.push_back('0');
    out.float64(to_double(plain));
  } else {
    write_decimal_bytes(out, d);
  }
}

// ---------------------------------------------------------------------------------------------
// Interval, postgres style: "1 year 2 mons -3 days +04:05:06.78".

struct IntervalParts {
  std::int64_t months = 0, days = 0, micros = 0;
};

IntervalParts parse_interval(std::string_view text) {
  IntervalParts parts;
  std::size_t i = 0;
  auto skip_spaces = [&] {
    while (i < text.size() && text[i] == ' ') ++i;
  };
  skip_spaces();
  while (i < text.size()) {
    const std::size_t start = i;
    bool negative = false;
    if (text[i] == '+' || text[i] == '-') negative = text[i++] == '-';
    std::int64_t number = 0;
    std::size_t n = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      number = number * 10 + (text[i++] - '0');
      ++n;
    }
    if (n == 0) bad("interval", text, "expected a number");
    if (i < text.size() && text[i] == ':') {  // time part [-]H+:MM:SS[.f]
      std::int64_t minutes = 0, seconds = 0, fraction = 0;
      Cursor c{text, i + 1};
      if (!c.digits(minutes, 2, 2) || !c.eat(':') || !c.digits(seconds, 2, 2)) {
        bad("interval", text, "bad time part");
      }
      if (c.eat('.')) {
        std::size_t digits = 0;
        if (!c.digits(fraction, 1, 6, &digits)) bad("interval", text, "bad fraction");
        for (; digits < 6; ++digits) fraction *= 10;
      }
      i = c.i;
      const std::int64_t total = ((number * 60 + minutes) * 60 + seconds) * 1'000'000 + fraction;
      parts.micros += negative ? -total : total;
    } else {
      skip_spaces();
      std::size_t unit_start = i;
      while (i < text.size() && text[i] != ' ') ++i;
      const std::string_view unit = text.substr(unit_start, i - unit_start);
      const std::int64_t value = negative ? -number : number;
      if (unit == "year" || unit == "years") {
        parts.months += value * 12;
      } else if (unit == "mon" || unit == "mons") {
        parts.months += value;
      } else if (unit == "day" || unit == "days") {
        parts.days += value;
      } else {
        bad("interval", text, fmt::format("unknown unit '{}' at offset {}", unit, start));
      }
    }
    skip_spaces();
  }
  return parts;
}

void write_interval(JsonWriter& out, const ColumnCodec& codec, std::string_view text) {
  const IntervalParts p = parse_interval(text);
  const std::int64_t years = p.months / 12, months = p.months % 12;
  const std::int64_t hours = p.micros / 3'600'000'000;
  const std::int64_t minutes = p.micros / 60'000'000 % 60;
  const std::int64_t second_micros = p.micros % 60'000'000;
  if (codec.kind == CodecKind::interval_micros) {
    // io.debezium.time.MicroDuration.durationMicros with DAYS_PER_MONTH_AVG = 365.25 / 12.
    // NOLINTNEXTLINE(bugprone-integer-division): the whole seconds, exactly; the rest follows
    const double seconds = static_cast<double>(second_micros / 1'000'000) +
                           static_cast<double>(second_micros % 1'000'000) / 1e6;
    const double days =
        static_cast<double>(years * 12 + months) * (365.25 / 12.0) + static_cast<double>(p.days);
    const double total =
        (((days * 24 + static_cast<double>(hours)) * 60 + static_cast<double>(minutes)) * 60 +
         seconds);
    out.integer(static_cast<std::int64_t>(total * 1e6));
    return;
  }
  auto& buf = out.buffer();
  fmt::format_to(std::back_inserter(buf), "\"P{}Y{}M{}DT{}H{}M", years, months, p.days, hours,
                 minutes);
  if (second_micros < 0) buf.push_back('-');
  const std::int64_t abs_micros = second_micros < 0 ? -second_micros : second_micros;
  fmt::format_to(std::back_inserter(buf), "{}", abs_micros / 1'000'000);
  append_fraction(buf, abs_micros % 1'000'000, -1);
  buf.append(std::string_view("S\""));
}

// ---------------------------------------------------------------------------------------------
// Binary-ish values.

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string decode_bytea(std::string_view text) {
  std::string bytes;
  if (text.size() >= 2 && text[0] == '\\' && text[1] == 'x') {
    if (text.size() % 2 != 0) bad("bytea", text, "odd number of hex digits");
    bytes.resize((text.size() - 2) / 2);
    for (std::size_t i = 2, o = 0; i < text.size(); i += 2, ++o) {
      const int hi = hex_value(text[i]), lo = hex_value(text[i + 1]);
      if (hi < 0 || lo < 0) bad("bytea", text, "not a hex digit");
      bytes[o] = static_cast<char>(hi << 4 | lo);
    }
    return bytes;
  }
  // bytea_output = escape: "\\" and "\ooo" octal escapes.
  bytes.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      bytes.push_back(text[i]);
    } else if (i + 1 < text.size() && text[i + 1] == '\\') {
      bytes.push_back('\\');
      ++i;
    } else if (i + 3 < text.size()) {
      int v = 0;
      for (std::size_t k = 1; k <= 3; ++k) {
        const char c = text[i + k];
        if (c < '0' || c > '7') bad("bytea", text, "bad octal escape");
        v = v * 8 + (c - '0');
      }
      bytes.push_back(static_cast<char>(v));
      i += 3;
    } else {
      bad("bytea", text, "truncated escape");
    }
  }
  return bytes;
}

void write_bits(JsonWriter& out, std::string_view text) {
  // Debezium: a BitSet whose bit 0 is the last character, as little-endian bytes of minimal length.
  std::string bytes((text.size() + 7) / 8, '\0');
  std::size_t used = 0;
  for (std::size_t k = 0; k < text.size(); ++k) {
    const char c = text[text.size() - 1 - k];
    if (c == '1') {
      bytes[k / 8] = static_cast<char>(bytes[k / 8] | (1 << (k % 8)));
      used = k / 8 + 1;
    } else if (c != '0') {
      bad("bit", text, "not a bit string");
    }
  }
  bytes.resize(used);
  out.base64(bytes);
}

void append_le_double(std::string& out, double value) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
}

void write_point_value(JsonWriter& out, double x, double y) {
  std::string wkb = {'\x01', '\x01', '\0', '\0', '\0'};  // little-endian, type 1 (Point)
  append_le_double(wkb, x);
  append_le_double(wkb, y);
  out.raw("{\"x\":");
  out.float64(x);
  out.raw(",\"y\":");
  out.float64(y);
  out.raw(",\"wkb\":");
  out.base64(wkb);
  out.raw(",\"srid\":null}");
}

void write_point(JsonWriter& out, std::string_view text) {
  // "(x,y)"
  if (text.size() < 5 || text.front() != '(' || text.back() != ')') bad("point", text, "not (x,y)");
  const std::string_view inner = text.substr(1, text.size() - 2);
  const std::size_t comma = inner.find(',');
  if (comma == std::string_view::npos) bad("point", text, "not (x,y)");
  write_point_value(out, to_double(inner.substr(0, comma)), to_double(inner.substr(comma + 1)));
}

// hstore text ("a"=>"1", "b"=>NULL) -> the JSON object text, as a JSON string.
void write_hstore(JsonWriter& out, std::string_view text) {
  fmt::memory_buffer json;
  JsonWriter inner(json);
  inner.raw('{');
  std::size_t i = 0;
  bool first = true;
  auto skip = [&] {
    while (i < text.size() && (text[i] == ' ' || text[i] == ',')) ++i;
  };
  auto quoted = [&](std::string& value) -> bool {
    if (i >= text.size() || text[i] != '"') return false;
    ++i;
    value.clear();
    while (i < text.size() && text[i] != '"') {
      if (text[i] == '\\' && i + 1 < text.size()) ++i;
      value.push_back(text[i++]);
    }
    if (i >= text.size()) return false;
    ++i;
    return true;
  };
  std::string key, value;
  skip();
  while (i < text.size()) {
    if (!quoted(key) || text.substr(i, 2) != "=>") bad("hstore", text, "expected \"key\"=>");
    i += 2;
    if (!first) inner.raw(',');
    first = false;
    inner.key(key);
    if (text.substr(i, 4) == "NULL") {
      inner.null();
      i += 4;
    } else if (quoted(value)) {
      inner.string(value);
    } else {
      bad("hstore", text, "expected a quoted value or NULL");
    }
    skip();
  }
  inner.raw('}');
  out.string(std::string_view(json.data(), json.size()));
}

// ---------------------------------------------------------------------------------------------
// Arrays: "{1,2,NULL}", "{\"a b\",\"c\\\"d\"}", "[0:1]={1,2}", "{{1,2},{3,4}}".

void write_scalar(JsonWriter& out, const ColumnCodec& codec, std::string_view text,
                  const EncoderSettings& settings);

void write_array(JsonWriter& out, const ColumnCodec& codec, std::string_view text,
                 const EncoderSettings& settings) {
  std::size_t i = 0;
  if (!text.empty() && text[0] == '[') {
    i = text.find('=');
    if (i == std::string_view::npos) bad("array", text, "dimension decoration without '='");
    ++i;
  }
  const ColumnCodec& element = *codec.element;
  std::string unescaped;
  auto fail = [&](std::string_view why) { bad("array", text, why); };
  // Recursive descent over nested braces; each level becomes a JSON array.
  std::function<void()> level = [&] {
    if (i >= text.size() || text[i] != '{') fail("expected '{'");
    ++i;
    out.raw('[');
    bool first = true;
    while (true) {
      while (i < text.size() && text[i] == ' ') ++i;
      if (i >= text.size()) fail("unterminated array");
      if (text[i] == '}' && first) {
        ++i;
        break;
      }
      if (!first) out.raw(',');
      first = false;
      if (text[i] == '{') {
        level();
      } else if (text[i] == '"') {
        ++i;
        unescaped.clear();
        while (i < text.size() && text[i] != '"') {
          if (text[i] == '\\') {
            if (++i >= text.size()) fail("dangling backslash");
          }
          unescaped.push_back(text[i++]);
        }
        if (i >= text.size()) fail("unterminated quoted element");
        ++i;
        write_scalar(out, element, unescaped, settings);
      } else {
        const std::size_t start = i;
        while (i < text.size() && text[i] != ',' && text[i] != '}') {
          if (text[i] == '\\') ++i;  // unquoted elements may still escape characters
          ++i;
        }
        if (i > text.size()) fail("dangling backslash");
        std::string_view raw = text.substr(start, i - start);
        while (!raw.empty() && raw.back() == ' ') raw.remove_suffix(1);
        if (raw.size() == 4 && (raw == "NULL" || raw == "null" || raw == "Null")) {
          out.null();
        } else if (raw.find('\\') != std::string_view::npos) {
          unescaped.clear();
          for (std::size_t k = 0; k < raw.size(); ++k) {
            if (raw[k] == '\\' && k + 1 < raw.size()) ++k;
            unescaped.push_back(raw[k]);
          }
          write_scalar(out, element, unescaped, settings);
        } else {
          write_scalar(out, element, raw, settings);
        }
      }
      while (i < text.size() && text[i] == ' ') ++i;
      if (i >= text.size()) fail("unterminated array");
      if (text[i] == ',') {
        ++i;
        continue;
      }
      if (text[i] == '}') {
        ++i;
        break;
      }
      fail("expected ',' or '}'");
    }
    out.raw(']');
  };
  level();
  if (i != text.size()) fail("trailing characters after the array");
}

void write_scalar(JsonWriter& out, const ColumnCodec& codec, std::string_view text,
                  const EncoderSettings& settings) {
  switch (codec.kind) {
    case CodecKind::omitted:
      out.null();
      return;
    case CodecKind::boolean:
      if (text == "t" || text == "true") {
        out.boolean(true);
      } else if (text == "f" || text == "false") {
        out.boolean(false);
      } else {
        bad("boolean", text, "not t or f");
      }
      return;
    case CodecKind::bit_boolean:
      if (text != "0" && text != "1") bad("bit(1)", text, "not 0 or 1");
      out.boolean(text == "1");
      return;
    case CodecKind::int16:
    case CodecKind::int32:
    case CodecKind::int64:
      if (!is_integer_text(text)) bad("integer", text, "not an integer");
      out.raw(text);  // exact: never through a double
      return;
    case CodecKind::float32: {
      double special = 0;
      if (special_float(text, special)) {
        out.float32(static_cast<float>(special));
        return;
      }
      float value = 0;
      auto result = std::from_chars(text.data(), text.data() + text.size(), value);
      if (result.ec != std::errc() || result.ptr != text.data() + text.size()) {
        bad("real", text, "not a number");
      }
      out.float32(value);
      return;
    }
    case CodecKind::float64: {
      double special = 0;
      out.float64(special_float(text, special) ? special : to_double(text));
      return;
    }
    case CodecKind::decimal:
    case CodecKind::variable_decimal:
      write_numeric(out, codec, text);
      return;
    case CodecKind::decimal_string:
    case CodecKind::decimal_double:
      if (codec.type_oid == oid::kMoney) {
        write_money(out, codec, text, settings.money_fraction_digits);
      } else {
        write_numeric(out, codec, text);
      }
      return;
    case CodecKind::money:
      write_money(out, codec, text, settings.money_fraction_digits);
      return;
    case CodecKind::string:
    case CodecKind::json:
    case CodecKind::xml:
    case CodecKind::uuid:
    case CodecKind::enum_:
    case CodecKind::ltree:
    case CodecKind::tsvector:
      out.string(text);
      return;
    case CodecKind::hstore:
      write_hstore(out, text);
      return;
    case CodecKind::date:
      out.integer(parse_date(text));
      return;
    case CodecKind::time_millis:
    case CodecKind::time_micros: {
      Cursor c{text};
      std::int64_t micros = 0;
      if (!parse_time_part(c, micros) || !c.done()) bad("time", text, "not HH:MM:SS[.ffffff]");
      out.integer(codec.kind == CodecKind::time_millis ? micros / 1000 : micros);
      return;
    }
    case CodecKind::timetz: {
      Cursor c{text};
      std::int64_t micros = 0, offset = 0;
      if (!parse_time_part(c, micros) || !parse_offset(c, offset) || !c.done()) {
        bad("timetz", text, "not HH:MM:SS[.ffffff]+HH[:MM[:SS]]");
      }
      auto& buf = out.buffer();
      buf.push_back('"');
      if (micros == 86'400'000'000 && offset == 0) {
        buf.append(std::string_view("24:00:00"));  // java.time cannot hold 24:00; keep it exact
      } else {
        std::int64_t utc = micros - offset * 1'000'000;
        utc = ((utc % 86'400'000'000) + 86'400'000'000) % 86'400'000'000;
        append_hms(buf, utc, -1);
      }
      buf.append(std::string_view("Z\""));
      return;
    }
    case CodecKind::timestamp_millis: {
      const std::int64_t micros = parse_timestamp(text);
      out.integer(floor_div(micros, 1000));
      return;
    }
    case CodecKind::timestamp_micros:
      out.integer(parse_timestamp(text));
      return;
    case CodecKind::timestamptz: {
      if (text == "infinity" || text == "-infinity") {
        out.string(text);
        return;
      }
      auto& buf = out.buffer();
      buf.push_back('"');
      append_iso_instant(buf, parse_timestamptz(text), codec.precision);
      buf.push_back('"');
      return;
    }
    case CodecKind::interval_micros:
    case CodecKind::interval_string:
      write_interval(out, codec, text);
      return;
    case CodecKind::bytea:
      out.base64(decode_bytea(text));
      return;
    case CodecKind::bits:
      write_bits(out, text);
      return;
    case CodecKind::point:
      write_point(out, text);
      return;
    case CodecKind::unknown_bytes:
      out.base64(text);
      return;
    case CodecKind::array:
      write_array(out, codec, text, settings);
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// Schemas.

void schema_open(JsonWriter& out, std::string_view type) {
  out.raw("{\"type\":\"");
  out.raw(type);
  out.raw('"');
}

void schema_close(JsonWriter& out, bool optional, std::string_view name, std::string_view doc,
                  std::string_view parameters, std::string_view field) {
  out.raw(optional ? ",\"optional\":true" : ",\"optional\":false");
  if (!name.empty()) {
    out.raw(",\"name\":");
    out.string(name);
    out.raw(",\"version\":1");
  }
  if (!doc.empty()) {
    out.raw(",\"doc\":");
    out.string(doc);
  }
  if (!parameters.empty()) {
    out.raw(",\"parameters\":");
    out.raw(parameters);
  }
  if (!field.empty()) {
    out.raw(",\"field\":");
    out.string(field);
  }
  out.raw('}');
}

void simple_schema(JsonWriter& out, std::string_view type, bool optional, std::string_view name,
                   std::string_view field, std::string_view parameters = {}) {
  schema_open(out, type);
  schema_close(out, optional, name, {}, parameters, field);
}

std::string md5_uuid(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_md5(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest, &length) != 1 || length != 16) {
    throw Error(ErrorSource::internal, Recovery::fail,
                "MD5 for the unavailable-value placeholder UUID failed in OpenSSL");
  }
  digest[6] = static_cast<unsigned char>((digest[6] & 0x0f) | 0x30);  // version 3
  digest[8] = static_cast<unsigned char>((digest[8] & 0x3f) | 0x80);  // IETF variant
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out += fmt::format("{:02x}", digest[i]);
  }
  return out;
}

bool time_is_millis(int precision) {
  return precision >= 0 && precision <= 3;
}

}  // namespace

Placeholder Placeholder::from_setting(std::string_view setting) {
  Placeholder p;
  if (setting.substr(0, 4) == "hex:") {
    const std::string_view hex = setting.substr(4);
    if (hex.size() % 2 != 0) {
      throw Error(ErrorSource::config, Recovery::invalid,
                  "unavailable_value_placeholder 'hex:' needs an even number of hex digits");
    }
    for (std::size_t i = 0; i < hex.size(); i += 2) {
      const int hi = hex_value(hex[i]), lo = hex_value(hex[i + 1]);
      if (hi < 0 || lo < 0) {
        throw Error(ErrorSource::config, Recovery::invalid,
                    "unavailable_value_placeholder 'hex:' holds a character that is not a hex "
                    "digit");
      }
      p.bytes.push_back(static_cast<char>(hi << 4 | lo));
    }
  } else {
    p.bytes = std::string(setting);
  }
  p.uuid = md5_uuid(p.bytes);
  return p;
}

ColumnCodec make_codec(std::uint32_t type_oid, std::int32_t typmod, const EncoderSettings& settings,
                       const TypeLookup& lookup) {
  ColumnCodec c;
  c.type_oid = type_oid;
  const bool precise = settings.decimal_handling_mode == DecimalHandlingMode::precise;
  const CodecKind decimal_other = settings.decimal_handling_mode == DecimalHandlingMode::string
                                      ? CodecKind::decimal_string
                                      : CodecKind::decimal_double;
  const int time_precision = typmod < 0 ? 6 : typmod;
  switch (type_oid) {
    case oid::kBool:
      c.kind = CodecKind::boolean;
      return c;
    case oid::kInt2:
      c.kind = CodecKind::int16;
      return c;
    case oid::kInt4:
      c.kind = CodecKind::int32;
      return c;
    case oid::kInt8:
    case oid::kOid:
      c.kind = CodecKind::int64;
      return c;
    case oid::kFloat4:
      c.kind = CodecKind::float32;
      return c;
    case oid::kFloat8:
      c.kind = CodecKind::float64;
      return c;
    case oid::kNumeric:
      if (typmod < 4) {
        c.kind = precise ? CodecKind::variable_decimal : decimal_other;
      } else {
        c.kind = precise ? CodecKind::decimal : decimal_other;
        c.precision = ((typmod - 4) >> 16) & 0xffff;
        c.scale = (((typmod - 4) & 0x7ff) ^ 1024) - 1024;
      }
      return c;
    case oid::kMoney:
      c.kind = precise ? CodecKind::money : decimal_other;
      c.scale = settings.money_fraction_digits;
      return c;
    case oid::kChar:
    case oid::kName:
    case oid::kText:
    case oid::kBpchar:
    case oid::kVarchar:
    case oid::kInet:
    case oid::kCidr:
    case oid::kMacaddr:
    case oid::kMacaddr8:
    case oid::kInt4range:
    case oid::kInt8range:
    case oid::kNumrange:
    case oid::kTsrange:
    case oid::kTstzrange:
    case oid::kDaterange:
      c.kind = CodecKind::string;
      return c;
    case oid::kJson:
    case oid::kJsonb:
      c.kind = CodecKind::json;
      return c;
    case oid::kXml:
      c.kind = CodecKind::xml;
      return c;
    case oid::kUuid:
      c.kind = CodecKind::uuid;
      return c;
    case oid::kTsvector:
      c.kind = CodecKind::tsvector;
      return c;
    case oid::kDate:
      c.kind = CodecKind::date;
      return c;
    case oid::kTime:
      c.kind = time_is_millis(time_precision) ? CodecKind::time_millis : CodecKind::time_micros;
      c.precision = time_precision;
      return c;
    case oid::kTimetz:
      c.kind = CodecKind::timetz;
      c.precision = time_precision;
      return c;
    case oid::kTimestamp:
      c.kind = time_is_millis(time_precision) ? CodecKind::timestamp_millis
                                              : CodecKind::timestamp_micros;
      c.precision = time_precision;
      return c;
    case oid::kTimestamptz:
      c.kind = CodecKind::timestamptz;
      c.precision = time_precision;
      return c;
    case oid::kInterval:
      c.kind = settings.interval_handling_mode == IntervalHandlingMode::string
                   ? CodecKind::interval_string
                   : CodecKind::interval_micros;
      return c;
    case oid::kBytea:
      c.kind = CodecKind::bytea;
      c.placeholder = PlaceholderShape::bytes;
      return c;
    case oid::kBit:
    case oid::kVarbit:
      c.bit_length = typmod < 0 ? 2147483647 : typmod;
      c.kind = c.bit_length == 1 ? CodecKind::bit_boolean : CodecKind::bits;
      return c;
    case oid::kPoint:
      c.kind = CodecKind::point;
      return c;
    default:
      break;
  }
  // Built-in arrays and everything else go through the catalog facts.
  struct BuiltinArray {
    std::uint32_t array, element;
  };
  static constexpr BuiltinArray kArrays[] = {
      {1000, oid::kBool},      {1001, oid::kBytea},       {1002, oid::kChar},
      {1005, oid::kInt2},      {1007, oid::kInt4},        {1009, oid::kText},
      {1014, oid::kBpchar},    {1015, oid::kVarchar},     {1016, oid::kInt8},
      {1021, oid::kFloat4},    {1022, oid::kFloat8},      {1028, oid::kOid},
      {1040, oid::kMacaddr},   {1041, oid::kInet},        {651, oid::kCidr},
      {775, oid::kMacaddr8},   {1182, oid::kDate},        {1183, oid::kTime},
      {1115, oid::kTimestamp}, {1185, oid::kTimestamptz}, {1231, oid::kNumeric},
      {1270, oid::kTimetz},    {2951, oid::kUuid},        {199, oid::kJson},
      {3807, oid::kJsonb},     {3905, oid::kInt4range},   {3907, oid::kNumrange},
      {3909, oid::kTsrange},   {3911, oid::kTstzrange},   {3913, oid::kDaterange},
      {3927, oid::kInt8range}, {1561, oid::kBit},
  };
  // money[], name[], interval[], varbit[], xml[], point[]: Debezium drops these columns.
  static constexpr std::uint32_t kDroppedArrays[] = {791, 1003, 1187, 1563, 143, 1017};
  for (std::uint32_t dropped : kDroppedArrays) {
    if (type_oid == dropped) return c;
  }
  std::uint32_t element_oid = 0;
  for (const auto& a : kArrays) {
    if (a.array == type_oid) element_oid = a.element;
  }
  const TypeInfo* info = element_oid == 0 && lookup ? lookup(type_oid) : nullptr;
  if (info != nullptr) {
    if (info->kind == TypeInfo::Kind::enum_) {
      c.kind = CodecKind::enum_;
      for (std::size_t i = 0; i < info->enum_labels.size(); ++i) {
        if (i > 0) c.enum_allowed.push_back(',');
        c.enum_allowed += info->enum_labels[i];
      }
      return c;
    }
    if (info->kind == TypeInfo::Kind::domain && info->base_oid != 0 && info->base_oid != type_oid) {
      ColumnCodec base = make_codec(info->base_oid, typmod >= 0 ? typmod : info->base_type_modifier,
                                    settings, lookup);
      return base;
    }
    if (info->kind == TypeInfo::Kind::array && info->element_oid != 0) {
      element_oid = info->element_oid;
    } else if (info->name == "hstore") {
      c.kind = CodecKind::hstore;
      c.placeholder = PlaceholderShape::hstore_json;
      return c;
    } else if (info->name == "ltree") {
      c.kind = CodecKind::ltree;
      return c;
    } else if (info->name == "citext" || info->name == "isbn") {
      c.kind = CodecKind::string;
      return c;
    }
  }
  if (element_oid != 0) {
    ColumnCodec element = make_codec(element_oid, typmod, settings, lookup);
    if (element.kind == CodecKind::omitted || element.kind == CodecKind::array ||
        element.kind == CodecKind::unknown_bytes || element.kind == CodecKind::interval_micros ||
        element.kind == CodecKind::interval_string || element.kind == CodecKind::money ||
        element.kind == CodecKind::point || element.kind == CodecKind::xml ||
        (element.kind == CodecKind::bits && element.type_oid == oid::kVarbit)) {
      return settings.include_unknown_datatypes
                 ? ColumnCodec{CodecKind::unknown_bytes, type_oid, -1, 0, 0, {}, nullptr,
                               PlaceholderShape::bytes}
                 : c;
    }
    c.kind = CodecKind::array;
    switch (element.type_oid) {
      case oid::kText:
      case oid::kVarchar:
      case oid::kBpchar:
      case oid::kJson:
      case oid::kJsonb:
        c.placeholder = PlaceholderShape::string_array;
        break;
      case oid::kBytea:
        c.placeholder = PlaceholderShape::bytes_array;
        break;
      case oid::kInt4:
      case oid::kDate:
      case oid::kInt8:
        c.placeholder = PlaceholderShape::int_array;
        break;
      case oid::kUuid:
        c.placeholder = PlaceholderShape::uuid_array;
        break;
      default:
        c.placeholder = PlaceholderShape::string;
        break;
    }
    c.element = std::make_shared<const ColumnCodec>(std::move(element));
    return c;
  }
  if (settings.include_unknown_datatypes) {
    c.kind = CodecKind::unknown_bytes;
    c.placeholder = PlaceholderShape::bytes;
  }
  return c;
}

void write_value(JsonWriter& out, const ColumnCodec& codec, std::string_view text,
                 const EncoderSettings& settings) {
  write_scalar(out, codec, text, settings);
}

void write_placeholder(JsonWriter& out, const ColumnCodec& codec, const Placeholder& placeholder) {
  switch (codec.placeholder) {
    case PlaceholderShape::string:
      out.string(placeholder.bytes);
      return;
    case PlaceholderShape::bytes:
      out.base64(placeholder.bytes);
      return;
    case PlaceholderShape::string_array:
      out.raw('[');
      out.string(placeholder.bytes);
      out.raw(']');
      return;
    case PlaceholderShape::bytes_array:
      out.raw('[');
      out.base64(placeholder.bytes);
      out.raw(']');
      return;
    case PlaceholderShape::int_array:
      out.raw('[');
      for (std::size_t i = 0; i < placeholder.bytes.size(); ++i) {
        if (i > 0) out.raw(',');
        out.integer(static_cast<signed char>(placeholder.bytes[i]));  // Java bytes are signed
      }
      out.raw(']');
      return;
    case PlaceholderShape::uuid_array:
      out.raw('[');
      out.string(placeholder.uuid);
      out.raw(']');
      return;
    case PlaceholderShape::hstore_json: {
      fmt::memory_buffer json;
      JsonWriter inner(json);
      inner.raw('{');
      inner.key(placeholder.bytes);
      inner.string(placeholder.bytes);
      inner.raw('}');
      out.string(std::string_view(json.data(), json.size()));
      return;
    }
  }
}

void write_fallback(JsonWriter& out, const ColumnCodec& codec) {
  switch (codec.kind) {
    case CodecKind::omitted:
      out.null();
      return;
    case CodecKind::boolean:
    case CodecKind::bit_boolean:
      out.boolean(false);
      return;
    case CodecKind::int16:
    case CodecKind::int32:
    case CodecKind::int64:
    case CodecKind::date:
    case CodecKind::time_millis:
    case CodecKind::time_micros:
    case CodecKind::timestamp_millis:
    case CodecKind::timestamp_micros:
    case CodecKind::interval_micros:
      out.raw('0');
      return;
    case CodecKind::float32:
    case CodecKind::float64:
    case CodecKind::decimal_double:
      out.raw("0.0");
      return;
    case CodecKind::decimal:
    case CodecKind::money:
      out.raw("\"AA==\"");
      return;
    case CodecKind::variable_decimal:
      out.raw("{\"scale\":0,\"value\":\"AA==\"}");
      return;
    case CodecKind::decimal_string:
      if (codec.type_oid == oid::kMoney) {
        out.raw("\"0.");
        for (int i = 0; i < codec.scale; ++i) out.raw('0');
        out.raw('"');
      } else {
        out.raw("\"0\"");
      }
      return;
    case CodecKind::string:
    case CodecKind::json:
    case CodecKind::xml:
    case CodecKind::uuid:
    case CodecKind::enum_:
    case CodecKind::ltree:
    case CodecKind::tsvector:
    case CodecKind::bytea:
    case CodecKind::bits:
    case CodecKind::unknown_bytes:
      out.raw("\"\"");
      return;
    case CodecKind::hstore:
      out.raw("\"{}\"");
      return;
    case CodecKind::timetz:
      out.raw("\"00:00:00Z\"");
      return;
    case CodecKind::timestamptz:
      out.raw("\"1970-01-01T00:00:00Z\"");
      return;
    case CodecKind::interval_string:
      out.raw("\"P0Y0M0DT0H0M0S\"");
      return;
    case CodecKind::point:
      write_point_value(out, 0, 0);
      return;
    case CodecKind::array:
      out.raw("[]");
      return;
  }
}

void write_schema(JsonWriter& out, const ColumnCodec& codec, bool optional,
                  std::string_view field) {
  switch (codec.kind) {
    case CodecKind::omitted:
      return;
    case CodecKind::boolean:
    case CodecKind::bit_boolean:
      simple_schema(out, "boolean", optional, {}, field);
      return;
    case CodecKind::int16:
      simple_schema(out, "int16", optional, {}, field);
      return;
    case CodecKind::int32:
      simple_schema(out, "int32", optional, {}, field);
      return;
    case CodecKind::int64:
      simple_schema(out, "int64", optional, {}, field);
      return;
    case CodecKind::float32:
      simple_schema(out, "float", optional, {}, field);
      return;
    case CodecKind::float64:
    case CodecKind::decimal_double:
      simple_schema(out, "double", optional, {}, field);
      return;
    case CodecKind::decimal:
      simple_schema(out, "bytes", optional, "org.apache.kafka.connect.data.Decimal", field,
                    fmt::format(R"({{"scale":"{}","connect.decimal.precision":"{}"}})", codec.scale,
                                codec.precision));
      return;
    case CodecKind::money:
      simple_schema(out, "bytes", optional, "org.apache.kafka.connect.data.Decimal", field,
                    fmt::format(R"({{"scale":"{}"}})", codec.scale));
      return;
    case CodecKind::variable_decimal:
      out.raw(R"({"type":"struct","fields":[{"type":"int32","optional":false,"field":"scale"},)"
              R"({"type":"bytes","optional":false,"field":"value"}])");
      schema_close(out, optional, "io.debezium.data.VariableScaleDecimal",
                   "Variable scaled decimal", {}, field);
      return;
    case CodecKind::decimal_string:
    case CodecKind::string:
      simple_schema(out, "string", optional, {}, field);
      return;
    case CodecKind::json:
    case CodecKind::hstore:
      simple_schema(out, "string", optional, "io.debezium.data.Json", field);
      return;
    case CodecKind::xml:
      simple_schema(out, "string", optional, "io.debezium.data.Xml", field);
      return;
    case CodecKind::uuid:
      simple_schema(out, "string", optional, "io.debezium.data.Uuid", field);
      return;
    case CodecKind::enum_: {
      fmt::memory_buffer params;
      JsonWriter p(params);
      p.raw("{\"allowed\":");
      p.string(codec.enum_allowed);
      p.raw('}');
      simple_schema(out, "string", optional, "io.debezium.data.Enum", field,
                    std::string_view(params.data(), params.size()));
      return;
    }
    case CodecKind::ltree:
      simple_schema(out, "string", optional, "io.debezium.data.Ltree", field);
      return;
    case CodecKind::tsvector:
      simple_schema(out, "string", optional, "io.debezium.data.Tsvector", field);
      return;
    case CodecKind::date:
      simple_schema(out, "int32", optional, "io.debezium.time.Date", field);
      return;
    case CodecKind::time_millis:
      simple_schema(out, "int32", optional, "io.debezium.time.Time", field);
      return;
    case CodecKind::time_micros:
      simple_schema(out, "int64", optional, "io.debezium.time.MicroTime", field);
      return;
    case CodecKind::timetz:
      simple_schema(out, "string", optional, "io.debezium.time.ZonedTime", field);
      return;
    case CodecKind::timestamp_millis:
      simple_schema(out, "int64", optional, "io.debezium.time.Timestamp", field);
      return;
    case CodecKind::timestamp_micros:
      simple_schema(out, "int64", optional, "io.debezium.time.MicroTimestamp", field);
      return;
    case CodecKind::timestamptz:
      simple_schema(out, "string", optional, "io.debezium.time.ZonedTimestamp", field);
      return;
    case CodecKind::interval_micros:
      simple_schema(out, "int64", optional, "io.debezium.time.MicroDuration", field);
      return;
    case CodecKind::interval_string:
      simple_schema(out, "string", optional, "io.debezium.time.Interval", field);
      return;
    case CodecKind::bytea:
    case CodecKind::unknown_bytes:
      simple_schema(out, "bytes", optional, {}, field);
      return;
    case CodecKind::bits:
      simple_schema(out, "bytes", optional, "io.debezium.data.Bits", field,
                    fmt::format(R"({{"length":"{}"}})", codec.bit_length));
      return;
    case CodecKind::point:
      out.raw(R"({"type":"struct","fields":[{"type":"double","optional":false,"field":"x"},)"
              R"({"type":"double","optional":false,"field":"y"},)"
              R"({"type":"bytes","optional":true,"field":"wkb"},)"
              R"({"type":"int32","optional":true,"field":"srid"}])");
      schema_close(out, optional, "io.debezium.data.geometry.Point", "Geometry (POINT)", {}, field);
      return;
    case CodecKind::array:
      out.raw(R"({"type":"array","items":)");
      write_schema(out, *codec.element, true, {});
      schema_close(out, optional, {}, {}, {}, field);
      return;
  }
}

}  // namespace tapedeck::capture
