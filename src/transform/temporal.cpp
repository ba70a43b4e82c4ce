// Date and time formatting for PostgreSQL input, without time zone libraries.
#include "transform/temporal.hpp"

#include <charconv>

namespace tapedeck::transform::temporal {
namespace {

struct Civil {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

// Howard Hinnant's civil_from_days.
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

int digits_of(std::int64_t per_second) {
  int digits = 0;
  while (per_second > 1) {
    per_second /= 10;
    ++digits;
  }
  return digits;
}

// ".fff" with trailing zeros dropped; nothing for zero.
void append_fraction(std::string& out, std::int64_t fraction, int digits) {
  if (fraction == 0) return;
  char buffer[16];
  for (int i = digits - 1; i >= 0; --i) {
    buffer[i] = static_cast<char>('0' + fraction % 10);
    fraction /= 10;
  }
  int length = digits;
  while (length > 0 && buffer[length - 1] == '0') --length;
  out.push_back('.');
  out.append(buffer, static_cast<std::size_t>(length));
}

// `value` (not negative) in decimal, zero-padded to `width` digits: fmt's "{:02}" without its
// cost, which counts on the path of every timestamp transform writes.
void append_padded(std::string& out, std::int64_t value, int width) {
  char buffer[24];
  char* end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
  for (auto digits = end - buffer; digits < width; ++digits) out.push_back('0');
  out.append(buffer, end);
}

void append_hh_mm_ss(std::string& out, std::int64_t h, std::int64_t m, std::int64_t s) {
  append_padded(out, h, 2);
  out.push_back(':');
  append_padded(out, m, 2);
  out.push_back(':');
  append_padded(out, s, 2);
}

void append_yyyy_mm_dd(std::string& out, std::int64_t year, std::int64_t month, std::int64_t day) {
  append_padded(out, year, 4);
  out.push_back('-');
  append_padded(out, month, 2);
  out.push_back('-');
  append_padded(out, day, 2);
}

void append_hms(std::string& out, std::int64_t seconds_of_day) {
  append_hh_mm_ss(out, seconds_of_day / 3600, seconds_of_day / 60 % 60, seconds_of_day % 60);
}

bool parse_digits(std::string_view text, std::int64_t& value) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

// "HH:MM[:SS[.f{1,9}]]" at the start of `text`; consumes it.
bool parse_time(std::string_view& text, std::int64_t& h, std::int64_t& m, std::int64_t& s,
                std::string_view& fraction) {
  if (text.size() < 5 || text[2] != ':') return false;
  if (!parse_digits(text.substr(0, 2), h) || !parse_digits(text.substr(3, 2), m)) return false;
  text.remove_prefix(5);
  s = 0;
  fraction = {};
  if (!text.empty() && text[0] == ':') {
    if (text.size() < 3 || !parse_digits(text.substr(1, 2), s)) return false;
    text.remove_prefix(3);
    if (!text.empty() && text[0] == '.') {
      std::size_t n = 1;
      while (n < text.size() && text[n] >= '0' && text[n] <= '9') ++n;
      fraction = text.substr(1, n - 1);
      if (fraction.empty() || fraction.size() > 9) return false;
      text.remove_prefix(n);
    }
  }
  return h <= 24 && m <= 59 && s <= 60;
}

void append_time_text(std::string& out, std::int64_t h, std::int64_t m, std::int64_t s,
                      std::string_view fraction) {
  append_hh_mm_ss(out, h, m, s);
  while (!fraction.empty() && fraction.back() == '0') fraction.remove_suffix(1);
  if (!fraction.empty()) {
    out.push_back('.');
    out.append(fraction);
  }
}

}  // namespace

bool append_date(std::string& out, std::int64_t days, bool era) {
  const Civil civil = civil_from_days(days);
  const bool bc = civil.year <= 0;
  const std::int64_t year = bc ? 1 - civil.year : civil.year;
  append_yyyy_mm_dd(out, year, civil.month, civil.day);
  if (bc && era) out.append(" BC");
  return bc;
}

bool append_time_of_day(std::string& out, std::int64_t units, std::int64_t per_second) {
  if (units < 0 || units > 86400 * per_second) return false;
  append_hms(out, units / per_second);
  append_fraction(out, units % per_second, digits_of(per_second));
  return true;
}

void append_timestamp(std::string& out, std::int64_t units, std::int64_t per_second) {
  const std::int64_t seconds = floor_div(units, per_second);
  const std::int64_t fraction = units - seconds * per_second;
  const std::int64_t days = floor_div(seconds, 86400);
  const bool bc = append_date(out, days, false);
  out.push_back(' ');
  append_hms(out, seconds - days * 86400);
  append_fraction(out, fraction, digits_of(per_second));
  if (bc) out.append(" BC");
}

bool append_zoned_timestamp(std::string& out, std::string_view iso) {
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
  iso.remove_prefix(7);
  std::int64_t h = 0;
  std::int64_t m = 0;
  std::int64_t s = 0;
  std::string_view fraction;
  if (!parse_time(iso, h, m, s, fraction) || !iso.empty()) return false;
  // ISO year 0 is 1 BC, -1 is 2 BC.
  const std::int64_t signed_year = negative ? -year : year;
  const bool bc = signed_year <= 0;
  append_yyyy_mm_dd(out, bc ? 1 - signed_year : signed_year, month, day);
  out.push_back(' ');
  append_time_text(out, h, m, s, fraction);
  out.append("+00");
  if (bc) out.append(" BC");
  return true;
}

bool append_zoned_time(std::string& out, std::string_view iso) {
  if (iso.size() < 2 || iso.back() != 'Z') return false;
  iso.remove_suffix(1);
  std::int64_t h = 0;
  std::int64_t m = 0;
  std::int64_t s = 0;
  std::string_view fraction;
  if (!parse_time(iso, h, m, s, fraction) || !iso.empty()) return false;
  append_time_text(out, h, m, s, fraction);
  out.append("+00");
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

}  // namespace tapedeck::transform::temporal
