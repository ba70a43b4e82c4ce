// Base64, written out so the alphabet and padding rules are visible. (OpenSSL's
// EVP_DecodeBlock counts padding as bytes and has no url-safe alphabet, so it is not used.)
#include "core/base64.hpp"

#include <cstdint>

#include "core/error.hpp"

namespace tapedeck {
namespace {

constexpr char kStandard[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrlSafe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int digit_value(char c, Base64Alphabet alphabet) {
  const bool url_safe = alphabet == Base64Alphabet::url_safe;
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == (url_safe ? '-' : '+')) return 62;
  if (c == (url_safe ? '_' : '/')) return 63;
  return -1;
}

// Decodes digits without padding; false on a character outside the alphabet.
bool decode_digits(std::string_view digits, std::string& out, Base64Alphabet alphabet) {
  out.reserve(out.size() + digits.size() * 3 / 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : digits) {
    const int digit = digit_value(c, alphabet);
    if (digit < 0) return false;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(digit);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return true;
}

[[noreturn]] void invalid(const char* what) {
  throw Error(ErrorSource::input, Recovery::invalid, what);
}

}  // namespace

void base64_encode_to(char* out, std::string_view bytes, Base64Alphabet alphabet) {
  const char* digits = alphabet == Base64Alphabet::url_safe ? kUrlSafe : kStandard;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t n = bytes.size();
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const std::uint32_t v = (p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
    *out++ = digits[(v >> 18) & 63];
    *out++ = digits[(v >> 12) & 63];
    *out++ = digits[(v >> 6) & 63];
    *out++ = digits[v & 63];
  }
  if (i < n) {
    std::uint32_t v = p[i] << 16;
    if (i + 1 < n) v |= p[i + 1] << 8;
    *out++ = digits[(v >> 18) & 63];
    *out++ = digits[(v >> 12) & 63];
    *out++ = i + 1 < n ? digits[(v >> 6) & 63] : '=';
    *out = '=';
  }
}

std::string base64_encode(std::string_view bytes, Base64Alphabet alphabet) {
  std::string out(base64_encoded_size(bytes.size()), '\0');
  base64_encode_to(out.data(), bytes, alphabet);
  return out;
}

std::string base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) invalid("base64 text length is not a multiple of 4");
  // At most two '=', and only in the last group.
  for (int pad = 0; pad < 2 && !text.empty() && text.back() == '='; ++pad) text.remove_suffix(1);
  std::string out;
  if (!decode_digits(text, out, Base64Alphabet::standard)) {
    invalid("base64 text contains a character outside the alphabet");
  }
  return out;
}

bool base64_decode_append(std::string_view text, std::string& out, Base64Alphabet alphabet) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return false;  // six bits cannot end a byte
  return decode_digits(text, out, alphabet);
}

}  // namespace tapedeck
