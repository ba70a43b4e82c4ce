// A small, fast JSON writer into an fmt::memory_buffer, with Jackson-compatible number output.
#include "capture/json_writer.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>

#include "core/base64.hpp"

namespace tapedeck::capture {
namespace {

// 0 = copy as is; otherwise the character after the backslash ('u' = \u00XX).
constexpr std::array<char, 256> make_escape_table() {
  std::array<char, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[c] = 'u';
  table['\b'] = 'b';
  table['\f'] = 'f';
  table['\n'] = 'n';
  table['\r'] = 'r';
  table['\t'] = 't';
  table['"'] = '"';
  table['\\'] = '\\';
  return table;
}
constexpr std::array<char, 256> kEscape = make_escape_table();

// Formats shortest round-trip digits the way Java's Double.toString lays them out.
template <typename T>
void java_float(fmt::memory_buffer& out, T value) {
  if (std::isnan(value)) {
    out.append(std::string_view("\"NaN\""));
    return;
  }
  if (std::isinf(value)) {
    out.append(value > 0 ? std::string_view("\"Infinity\"") : std::string_view("\"-Infinity\""));
    return;
  }
  if (value == 0) {
    out.append(std::signbit(value) ? std::string_view("-0.0") : std::string_view("0.0"));
    return;
  }
  char sci[64];
  auto result = std::to_chars(sci, sci + sizeof sci, value, std::chars_format::scientific);
  std::string_view text(sci, static_cast<std::size_t>(result.ptr - sci));
  bool negative = false;
  if (text.front() == '-') {
    negative = true;
    text.remove_prefix(1);
  }
  const std::size_t e = text.find('e');
  std::string digits;
  digits.reserve(24);
  for (char c : text.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  int exponent = 0;
  std::string_view exp_text = text.substr(e + 1);
  if (exp_text.front() == '+') exp_text.remove_prefix(1);
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exponent);
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();

  if (negative) out.push_back('-');
  const double magnitude = std::fabs(static_cast<double>(value));
  if (magnitude >= 1e-3 && magnitude < 1e7) {
    if (exponent >= 0) {
      const auto int_len = static_cast<std::size_t>(exponent) + 1;
      if (digits.size() <= int_len) {
        out.append(digits);
        for (std::size_t i = digits.size(); i < int_len; ++i) out.push_back('0');
        out.append(std::string_view(".0"));
      } else {
        out.append(std::string_view(digits).substr(0, int_len));
        out.push_back('.');
        out.append(std::string_view(digits).substr(int_len));
      }
    } else {
      out.append(std::string_view("0."));
      for (int i = -1; i > exponent; --i) out.push_back('0');
      out.append(digits);
    }
    return;
  }
  out.push_back(digits[0]);
  out.push_back('.');
  if (digits.size() > 1) {
    out.append(std::string_view(digits).substr(1));
  } else {
    out.push_back('0');
  }
  out.push_back('E');
  fmt::format_to(std::back_inserter(out), "{}", exponent);
}

}  // namespace

void JsonWriter::string_contents(std::string_view text) {
  const char* p = text.data();
  const char* end = p + text.size();
  const char* run = p;
  for (; p != end; ++p) {
    const char esc = kEscape[static_cast<unsigned char>(*p)];
    if (esc == 0) continue;
    out_.append(run, p);
    out_.push_back('\\');
    if (esc == 'u') {
      static constexpr char kHex[] = "0123456789abcdef";
      const auto c = static_cast<unsigned char>(*p);
      const char u[5] = {'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
      out_.append(u, u + 5);
    } else {
      out_.push_back(esc);
    }
    run = p + 1;
  }
  out_.append(run, end);
}

void JsonWriter::string(std::string_view text) {
  out_.push_back('"');
  string_contents(text);
  out_.push_back('"');
}

void JsonWriter::key(std::string_view name) {
  string(name);
  out_.push_back(':');
}

void JsonWriter::integer(std::int64_t value) {
  char digits[24];
  auto result = std::to_chars(digits, digits + sizeof digits, value);
  out_.append(digits, result.ptr);
}

void JsonWriter::unsigned_integer(std::uint64_t value) {
  char digits[24];
  auto result = std::to_chars(digits, digits + sizeof digits, value);
  out_.append(digits, result.ptr);
}

void JsonWriter::float64(double value) {
  java_float(out_, value);
}
void JsonWriter::float32(float value) {
  java_float(out_, value);
}

void JsonWriter::base64(std::string_view bytes) {
  out_.push_back('"');
  append_base64(out_, bytes);
  out_.push_back('"');
}

void append_base64(fmt::memory_buffer& out, std::string_view bytes) {
  const std::size_t start = out.size();
  out.resize(start + base64_encoded_size(bytes.size()));
  base64_encode_to(out.data() + start, bytes);
}

}  // namespace tapedeck::capture
