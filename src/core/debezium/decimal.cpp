// Numbers: unscaled two's-complement bytes and decimal text, both ways.
#include "core/debezium/decimal.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

#include "core/base64.hpp"

namespace tapedeck::debezium {
namespace {

bool is_zero(const Decimal& d) {
  return d.digits.find_first_not_of('0') == std::string::npos;
}

// Java's BigInteger.toByteArray() of a non-zero Decimal.
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

}  // namespace

bool is_integer_text(std::string_view text) {
  if (!text.empty() && text[0] == '-') text.remove_prefix(1);
  if (text.empty()) return false;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool parse_special_number(std::string_view text, double& value) {
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

bool is_special_number(std::string_view text) {
  double ignored = 0;
  return parse_special_number(text, ignored);
}

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

bool parse_money(std::string_view text, Decimal& out) {
  bool point = false;
  for (const char c : text) {
    if (c >= '0' && c <= '9') {
      out.digits.push_back(c);
      if (point) ++out.scale;
    } else if (c == '.' && !point) {
      point = true;
    } else if (c == '-' || c == '(') {
      out.negative = true;
    }
  }
  return !out.digits.empty();
}

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

std::string unscaled_bytes(const Decimal& d) {
  return is_zero(d) ? std::string(1, '\0') : twos_complement(d);
}

std::string plain_text(const Decimal& d) {
  std::string_view digits = d.digits;
  std::string_view integer = digits.substr(0, digits.size() - static_cast<std::size_t>(d.scale));
  const std::string_view fraction = digits.substr(integer.size());
  const auto first = integer.find_first_not_of('0');
  integer = first == std::string_view::npos ? std::string_view("0") : integer.substr(first);
  std::string out;
  if (d.negative && !is_zero(d)) out.push_back('-');
  out.append(integer);
  if (!fraction.empty()) {
    out.push_back('.');
    out.append(fraction);
  }
  return out;
}

bool is_decimal_text(std::string_view text) {
  if (is_special_number(text)) return true;
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
  std::size_t digits = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i, ++digits;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
    const std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == start) return false;
  }
  return i == text.size();
}

void append_scaled(std::string& out, std::string_view unscaled, int scale) {
  std::vector<std::uint8_t> magnitude(unscaled.begin(), unscaled.end());
  const bool negative = !magnitude.empty() && (magnitude[0] & 0x80) != 0;
  if (negative) {
    for (auto& b : magnitude) b = static_cast<std::uint8_t>(~b);
    for (auto it = magnitude.rbegin(); it != magnitude.rend(); ++it) {
      if (++*it != 0) break;
    }
  }
  // Repeated division by 10^9 over base-256 digits.
  std::string digits;  // least significant first
  std::size_t first = 0;
  while (first < magnitude.size() && magnitude[first] == 0) ++first;
  while (first < magnitude.size()) {
    std::uint64_t remainder = 0;
    for (std::size_t i = first; i < magnitude.size(); ++i) {
      const std::uint64_t current = (remainder << 8) | magnitude[i];
      magnitude[i] = static_cast<std::uint8_t>(current / 1000000000u);
      remainder = current % 1000000000u;
    }
    while (first < magnitude.size() && magnitude[first] == 0) ++first;
    for (int k = 0; k < 9; ++k) {
      digits.push_back(static_cast<char>('0' + remainder % 10));
      remainder /= 10;
      if (first == magnitude.size() && remainder == 0) break;
    }
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  if (digits.empty()) digits = "0";
  if (negative && digits != "0") out.push_back('-');
  if (scale <= 0) {
    out.append(digits.rbegin(), digits.rend());
    if (digits != "0") out.append(static_cast<std::size_t>(-scale), '0');
    return;
  }
  const auto s = static_cast<std::size_t>(scale);
  if (digits.size() <= s) digits.append(s + 1 - digits.size(), '0');
  out.append(digits.rbegin(), digits.rend() - static_cast<std::ptrdiff_t>(s));
  out.push_back('.');
  out.append(digits.rbegin() + static_cast<std::ptrdiff_t>(digits.size() - s), digits.rend());
}

bool append_decimal_from_base64(std::string& out, std::string_view base64, int scale) {
  std::string unscaled;
  if (!base64_decode_append(base64, unscaled)) return false;
  append_scaled(out, unscaled, scale);
  return true;
}

}  // namespace tapedeck::debezium
