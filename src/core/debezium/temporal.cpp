// Dates, times, timestamps and intervals, both ways, without time zone libraries.
#include "core/debezium/temporal.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "core/debezium/sentinels.hpp"

namespace tapedeck::debezium {
namespace {

constexpr std::int64_t kMicrosPerSecond = 1'000'000;
constexpr std::int64_t kMicrosPerDay = 86'400'000'000;

// ---------------------------------------------------------------------------------------------
// Calendar arithmetic (Howard Hinnant's algorithms).

struct Civil {
  std::int64_t year;  // astronomical: 0 is 1 BC
  unsigned month;
  unsigned day;
};

Civil civil_from_days(std::int64_t days) {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<std::uint64_t>(days - era * 146097);
  const std::uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t year = static_cast<std::int64_t>(yoe) + era * 400;
  const std::uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::uint64_t mp = (5 * doy + 2) / 153;
  const auto day = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
  const auto month = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  return {year + (month <= 2 ? 1 : 0), month, day};
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// ---------------------------------------------------------------------------------------------
// Writing digits.

int digits_of(std::int64_t per_second) {
  int digits = 0;
  while (per_second > 1) {
    per_second /= 10;
    ++digits;
  }
  return digits;
}

// ".fff" for `fraction` in units of 10^-unit_digits seconds: exactly `width` digits (zeros
// added past unit_digits), or for width < 0 the minimal digits (nothing for zero).
void append_fraction(std::string& out, std::int64_t fraction, int unit_digits, int width) {
  char buffer[16];
  for (int i = unit_digits - 1; i >= 0; --i) {
    buffer[i] = static_cast<char>('0' + fraction % 10);
    fraction /= 10;
  }
  int length = width;
  if (width < 0) {
    length = unit_digits;
    while (length > 0 && buffer[length - 1] == '0') --length;
  }
  if (length == 0) return;
  out.push_back('.');
  const int shown = std::min(length, unit_digits);
  out.append(buffer, static_cast<std::size_t>(shown));
  out.append(static_cast<std::size_t>(length - shown), '0');
}

// `value` (not negative) in decimal, zero-padded to `width` digits: fmt's "{:02}" without its
// cost, which counts on the path of every timestamp transform writes.
void append_padded(std::string& out, std::int64_t value, int width) {
  char buffer[24];
  char* end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
  for (auto digits = end - buffer; digits < width; ++digits) out.push_back('0');
  out.append(buffer, end);
}

// "a<separator>bb<separator>cc", `a` padded to `first_width` digits: a date or a time of day.
void append_three_fields(std::string& out, std::int64_t a, int first_width, char separator,
                         std::int64_t b, std::int64_t c) {
  append_padded(out, a, first_width);
  out.push_back(separator);
  append_padded(out, b, 2);
  out.push_back(separator);
  append_padded(out, c, 2);
}

void append_hh_mm_ss(std::string& out, std::int64_t h, std::int64_t m, std::int64_t s) {
  append_three_fields(out, h, 2, ':', m, s);
}

void append_yyyy_mm_dd(std::string& out, std::int64_t year, std::int64_t month, std::int64_t day) {
  append_three_fields(out, year, 4, '-', month, day);
}

void append_hms(std::string& out, std::int64_t seconds_of_day) {
  append_hh_mm_ss(out, seconds_of_day / 3600, seconds_of_day / 60 % 60, seconds_of_day % 60);
}

// "HH:MM:SS[.f]" for microseconds past midnight, the fraction as append_fraction's `width`.
void append_micros_of_day(std::string& out, std::int64_t micros_of_day, int width) {
  append_hms(out, micros_of_day / kMicrosPerSecond);
  append_fraction(out, micros_of_day % kMicrosPerSecond, 6, width);
}

// "YYYY-MM-DD" with the year as PostgreSQL writes it (1 BC is year 1 with " BC" after).
// Returns true when the date is BC; the caller appends " BC" where it belongs.
bool append_date_without_era(std::string& out, std::int64_t days) {
  const Civil civil = civil_from_days(days);
  const bool bc = civil.year <= 0;
  append_yyyy_mm_dd(out, bc ? 1 - civil.year : civil.year, civil.month, civil.day);
  return bc;
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL's infinite dates and timestamps, as Debezium's sentinel values.

// ±"infinity" -> its sentinel; false for any other text.
bool parse_infinity(std::string_view text, std::int64_t positive, std::int64_t negative,
                    std::int64_t& value) {
  if (text == "infinity") {
    value = positive;
  } else if (text == "-infinity") {
    value = negative;
  } else {
    return false;
  }
  return true;
}

// A sentinel -> ±"infinity"; false (appending nothing) for any other value.
bool append_infinity(std::string& out, std::int64_t value, std::int64_t positive,
                     std::int64_t negative) {
  if (value != positive && value != negative) return false;
  out.append(value == positive ? "infinity" : "-infinity");
  return true;
}

// ---------------------------------------------------------------------------------------------
// Reading PostgreSQL's text output.

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
  // Reads ".f" (1 to 6 digits) if there, as microseconds; false on a '.' without digits.
  bool micros_fraction(std::int64_t& fraction) {
    fraction = 0;
    if (!eat('.')) return true;
    std::size_t n = 0;
    if (!digits(fraction, 1, 6, &n)) return false;
    for (; n < 6; ++n) fraction *= 10;
    return true;
  }
};

// "YYYY-MM-DD"; returns days since epoch (astronomical year as written).
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

bool bc_suffix(std::string_view text) {
  return text.size() >= 3 && text.substr(text.size() - 3) == " BC";
}

// A " BC" suffix turns year Y into astronomical year 1 - Y: shift by the days in between.
std::int64_t bc_adjust_days(std::int64_t days) {
  const Civil civil = civil_from_days(days);
  return days_from_civil(1 - civil.year, civil.month, civil.day);
}

// "HH:MM:SS[.ffffff]" -> microseconds past midnight (24:00:00 allowed).
bool parse_time_part(Cursor& c, std::int64_t& micros) {
  std::int64_t h = 0, mi = 0, s = 0, fraction = 0;
  if (!c.digits(h, 2, 2) || !c.eat(':') || !c.digits(mi, 2, 2) || !c.eat(':') ||
      !c.digits(s, 2, 2) || !c.micros_fraction(fraction)) {
    return false;
  }
  if (h > 24 || mi > 59 || s > 60) return false;
  micros = ((h * 60 + mi) * 60 + s) * kMicrosPerSecond + fraction;
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

// "YYYY-MM-DD HH:MM:SS[.ffffff]", then "+HH[:MM[:SS]]" when `with_offset`, then an optional
// " BC" -> microseconds since the epoch (the wall clock read as UTC, less the offset).
bool parse_date_time(std::string_view text, bool with_offset, std::int64_t& micros) {
  const bool bc = bc_suffix(text);
  Cursor c{bc ? text.substr(0, text.size() - 3) : text};
  std::int64_t days = 0, micros_of_day = 0, offset = 0;
  if (!parse_date_part(c, days) || !c.eat(' ') || !parse_time_part(c, micros_of_day) ||
      (with_offset && !parse_offset(c, offset)) || !c.done()) {
    return false;
  }
  if (bc) days = bc_adjust_days(days);
  micros = days * kMicrosPerDay + micros_of_day - offset * kMicrosPerSecond;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Reading Debezium's ISO-8601 strings.

bool parse_digits(std::string_view text, std::int64_t& value) {
  if (text.empty()) return false;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
  }
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

// A time of day as Debezium's ISO-8601 strings write it, fraction digits as sent.
struct IsoTime {
  std::int64_t h = 0, m = 0, s = 0;
  std::string_view fraction;  // 1 to 9 digits, or empty
};

// "HH:MM[:SS[.f{1,9}]]", the whole of `text`.
bool parse_iso_time(std::string_view text, IsoTime& time) {
  if (text.size() < 5 || text[2] != ':') return false;
  if (!parse_digits(text.substr(0, 2), time.h) || !parse_digits(text.substr(3, 2), time.m)) {
    return false;
  }
  text.remove_prefix(5);
  if (!text.empty() && text[0] == ':') {
    if (text.size() < 3 || !parse_digits(text.substr(1, 2), time.s)) return false;
    text.remove_prefix(3);
    if (!text.empty() && text[0] == '.') {
      std::size_t n = 1;
      while (n < text.size() && text[n] >= '0' && text[n] <= '9') ++n;
      time.fraction = text.substr(1, n - 1);
      if (time.fraction.empty() || time.fraction.size() > 9) return false;
      text.remove_prefix(n);
    }
  }
  return text.empty() && time.h <= 24 && time.m <= 59 && time.s <= 60;
}

// "HH:MM:SS[.f]+00", trailing fraction zeros dropped.
void append_pg_utc_time(std::string& out, const IsoTime& time) {
  append_hh_mm_ss(out, time.h, time.m, time.s);
  std::string_view fraction = time.fraction;
  while (!fraction.empty() && fraction.back() == '0') fraction.remove_suffix(1);
  if (!fraction.empty()) {
    out.push_back('.');
    out.append(fraction);
  }
  out.append("+00");
}

}  // namespace

std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) {
  year -= month <= 2;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto yoe = static_cast<unsigned>(year - era * 400);
  const unsigned doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool adaptive_precision_is_millis(int fraction_digits) {
  return fraction_digits >= 0 && fraction_digits <= 3;
}

// --- PostgreSQL to Debezium --------------------------------------------------------------------

bool parse_pg_date(std::string_view text, std::int64_t& days) {
  if (parse_infinity(text, kDatePositiveInfinityDays, kDateNegativeInfinityDays, days)) return true;
  const bool bc = bc_suffix(text);
  Cursor c{bc ? text.substr(0, text.size() - 3) : text};
  if (!parse_date_part(c, days) || !c.done()) return false;
  if (bc) days = bc_adjust_days(days);
  return true;
}

bool parse_pg_time(std::string_view text, std::int64_t& micros) {
  Cursor c{text};
  return parse_time_part(c, micros) && c.done();
}

bool parse_pg_timetz(std::string_view text, std::int64_t& micros, std::int64_t& offset_seconds) {
  Cursor c{text};
  return parse_time_part(c, micros) && parse_offset(c, offset_seconds) && c.done();
}

bool parse_pg_timestamp(std::string_view text, std::int64_t& micros) {
  return parse_infinity(text, kTimestampPositiveInfinity, kTimestampNegativeInfinity, micros) ||
         parse_date_time(text, false, micros);
}

bool parse_pg_timestamptz(std::string_view text, std::int64_t& micros) {
  return parse_date_time(text, true, micros);
}

bool parse_pg_interval(std::string_view text, IntervalParts& parts, std::string& why) {
  parts = {};
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
    if (n == 0) {
      why = "expected a number";
      return false;
    }
    if (i < text.size() && text[i] == ':') {  // time part [-]H+:MM:SS[.f]
      std::int64_t minutes = 0, seconds = 0, fraction = 0;
      Cursor c{text, i + 1};
      if (!c.digits(minutes, 2, 2) || !c.eat(':') || !c.digits(seconds, 2, 2)) {
        why = "bad time part";
        return false;
      }
      if (!c.micros_fraction(fraction)) {
        why = "bad fraction";
        return false;
      }
      i = c.i;
      const std::int64_t total =
          ((number * 60 + minutes) * 60 + seconds) * kMicrosPerSecond + fraction;
      parts.micros += negative ? -total : total;
    } else {
      skip_spaces();
      const std::size_t unit_start = i;
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
        why = fmt::format("unknown unit '{}' at offset {}", unit, start);
        return false;
      }
    }
    skip_spaces();
  }
  return true;
}

std::int64_t timestamp_millis(std::int64_t micros) {
  return floor_div(micros, 1000);
}

void append_iso_instant(std::string& out, std::int64_t unix_micros, int fraction_digits) {
  const std::int64_t days = floor_div(unix_micros, kMicrosPerDay);
  const std::int64_t micros_of_day = unix_micros - days * kMicrosPerDay;
  const Civil civil = civil_from_days(days);
  // java.time: a sign before years past 9999 and before negative years.
  if (civil.year > 9999) out.push_back('+');
  if (civil.year < 0) out.push_back('-');
  append_yyyy_mm_dd(out, civil.year < 0 ? -civil.year : civil.year, civil.month, civil.day);
  out.push_back('T');
  append_micros_of_day(out, micros_of_day, fraction_digits <= 0 ? -1 : fraction_digits);
  out.push_back('Z');
}

void append_iso_utc_time(std::string& out, std::int64_t micros, std::int64_t offset_seconds) {
  if (micros == kMicrosPerDay && offset_seconds == 0) {
    out.append("24:00:00");
  } else {
    std::int64_t utc = micros - offset_seconds * kMicrosPerSecond;
    utc = ((utc % kMicrosPerDay) + kMicrosPerDay) % kMicrosPerDay;
    append_micros_of_day(out, utc, -1);
  }
  out.push_back('Z');
}

void append_iso_interval(std::string& out, const IntervalParts& parts) {
  const std::int64_t years = parts.months / 12, months = parts.months % 12;
  const std::int64_t hours = parts.micros / 3'600'000'000;
  const std::int64_t minutes = parts.micros / 60'000'000 % 60;
  const std::int64_t second_micros = parts.micros % 60'000'000;
  fmt::format_to(std::back_inserter(out), "P{}Y{}M{}DT{}H{}M", years, months, parts.days, hours,
                 minutes);
  if (second_micros < 0) out.push_back('-');
  const std::int64_t abs_micros = second_micros < 0 ? -second_micros : second_micros;
  fmt::format_to(std::back_inserter(out), "{}", abs_micros / kMicrosPerSecond);
  append_fraction(out, abs_micros % kMicrosPerSecond, 6, -1);
  out.push_back('S');
}

std::int64_t micro_duration(const IntervalParts& parts) {
  // io.debezium.time.MicroDuration.durationMicros with DAYS_PER_MONTH_AVG = 365.25 / 12.
  const std::int64_t hours = parts.micros / 3'600'000'000;
  const std::int64_t minutes = parts.micros / 60'000'000 % 60;
  const std::int64_t second_micros = parts.micros % 60'000'000;
  // NOLINTNEXTLINE(bugprone-integer-division): the whole seconds, exactly; the rest follows
  const double seconds = static_cast<double>(second_micros / kMicrosPerSecond) +
                         static_cast<double>(second_micros % kMicrosPerSecond) / 1e6;
  const double days =
      static_cast<double>(parts.months) * (365.25 / 12.0) + static_cast<double>(parts.days);
  const double total =
      (((days * 24 + static_cast<double>(hours)) * 60 + static_cast<double>(minutes)) * 60 +
       seconds);
  return static_cast<std::int64_t>(total * 1e6);
}

// --- Debezium to PostgreSQL --------------------------------------------------------------------

bool is_infinite_date(std::int64_t days) {
  return days == kDatePositiveInfinityDays || days == kDateNegativeInfinityDays;
}

void append_pg_date(std::string& out, std::int64_t days_since_epoch) {
  if (append_infinity(out, days_since_epoch, kDatePositiveInfinityDays,
                      kDateNegativeInfinityDays)) {
    return;
  }
  if (append_date_without_era(out, days_since_epoch)) out.append(" BC");
}

bool append_pg_time(std::string& out, std::int64_t units, std::int64_t per_second) {
  if (units < 0 || units > 86400 * per_second) return false;
  append_hms(out, units / per_second);
  append_fraction(out, units % per_second, digits_of(per_second), -1);
  return true;
}

void append_pg_timestamp(std::string& out, std::int64_t units, std::int64_t per_second) {
  if (append_infinity(out, units, kTimestampPositiveInfinity, kTimestampNegativeInfinity)) return;
  const std::int64_t seconds = floor_div(units, per_second);
  const std::int64_t fraction = units - seconds * per_second;
  const std::int64_t days = floor_div(seconds, 86400);
  const bool bc = append_date_without_era(out, days);
  out.push_back(' ');
  append_hms(out, seconds - days * 86400);
  append_fraction(out, fraction, digits_of(per_second), -1);
  if (bc) out.append(" BC");
}

bool append_pg_timestamptz(std::string& out, std::string_view iso) {
  if (iso == "infinity" || iso == "-infinity") {
    out.append(iso);
    return true;
  }
  if (iso.size() < 2 || iso.back() != 'Z') return false;
  iso.remove_suffix(1);
  bool negative = false;
  if (!iso.empty() && (iso[0] == '+' || iso[0] == '-')) {
    negative = iso[0] == '-';
    iso.remove_prefix(1);
  }
  const auto dash = iso.find('-');
  std::int64_t year = 0;
  std::int64_t month = 0;
  std::int64_t day = 0;
  if (dash == std::string_view::npos || dash < 4 || !parse_digits(iso.substr(0, dash), year)) {
    return false;
  }
  iso.remove_prefix(dash);
  if (iso.size() < 7 || iso[0] != '-' || iso[3] != '-' || iso[6] != 'T') return false;
  if (!parse_digits(iso.substr(1, 2), month) || !parse_digits(iso.substr(4, 2), day)) return false;
  if (month < 1 || month > 12 || day < 1 || day > 31) return false;
  IsoTime time;
  if (!parse_iso_time(iso.substr(7), time)) return false;
  // ISO year 0 is 1 BC, -1 is 2 BC.
  const std::int64_t signed_year = negative ? -year : year;
  const bool bc = signed_year <= 0;
  append_yyyy_mm_dd(out, bc ? 1 - signed_year : signed_year, month, day);
  out.push_back(' ');
  append_pg_utc_time(out, time);
  if (bc) out.append(" BC");
  return true;
}

bool append_pg_timetz(std::string& out, std::string_view iso) {
  IsoTime time;
  if (iso.size() < 2 || iso.back() != 'Z' || !parse_iso_time(iso.substr(0, iso.size() - 1), time)) {
    return false;
  }
  append_pg_utc_time(out, time);
  return true;
}

bool is_iso_date(std::string_view text) {
  std::int64_t year = 0;
  std::int64_t month = 0;
  std::int64_t day = 0;
  return text.size() == 10 && text[4] == '-' && text[7] == '-' &&
         parse_digits(text.substr(0, 4), year) && parse_digits(text.substr(5, 2), month) &&
         parse_digits(text.substr(8, 2), day) && month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

bool is_iso_interval(std::string_view text) {
  if (text.size() < 3 || text[0] != 'P') return false;
  bool in_time = false;
  bool any = false;
  std::size_t i = 1;
  while (i < text.size()) {
    if (text[i] == 'T') {
      if (in_time) return false;
      in_time = true;
      ++i;
      continue;
    }
    if (text[i] == '-') ++i;
    const std::size_t digits_start = i;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
    if (i == digits_start || i >= text.size()) return false;
    const std::string_view number = text.substr(digits_start, i - digits_start);
    if (number.find('.') != number.rfind('.') || number.front() == '.' || number.back() == '.') {
      return false;
    }
    const char designator = text[i];
    const std::string_view allowed = in_time ? "HMS" : "YMWD";
    if (allowed.find(designator) == std::string_view::npos) return false;
    if (number.find('.') != std::string_view::npos && designator != 'S') return false;
    ++i;
    any = true;
  }
  return any;
}

}  // namespace tapedeck::debezium
