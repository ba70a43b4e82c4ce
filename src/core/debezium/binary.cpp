// Binary values: bytea text, Bits' little-endian bytes, and the bytes modes.
#include "core/debezium/binary.hpp"

#include "core/base64.hpp"

namespace tapedeck::debezium {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

void append_hex(std::string& out, std::string_view bytes) {
  out.reserve(out.size() + bytes.size() * 2);
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(kHexDigits[b >> 4]);
    out.push_back(kHexDigits[b & 15]);
  }
}

}  // namespace

int hex_digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

const char* parse_pg_bytea(std::string_view text, std::string& bytes) {
  bytes.clear();
  if (text.size() >= 2 && text[0] == '\\' && text[1] == 'x') {
    if (text.size() % 2 != 0) return "odd number of hex digits";
    bytes.resize((text.size() - 2) / 2);
    for (std::size_t i = 2, o = 0; i < text.size(); i += 2, ++o) {
      const int hi = hex_digit_value(text[i]), lo = hex_digit_value(text[i + 1]);
      if (hi < 0 || lo < 0) return "not a hex digit";
      bytes[o] = static_cast<char>(hi << 4 | lo);
    }
    return nullptr;
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
        if (c < '0' || c > '7') return "bad octal escape";
        v = v * 8 + (c - '0');
      }
      bytes.push_back(static_cast<char>(v));
      i += 3;
    } else {
      return "truncated escape";
    }
  }
  return nullptr;
}

bool bits_to_bytes(std::string_view bit_text, std::string& bytes) {
  bytes.assign((bit_text.size() + 7) / 8, '\0');
  std::size_t used = 0;
  for (std::size_t k = 0; k < bit_text.size(); ++k) {
    const char c = bit_text[bit_text.size() - 1 - k];
    if (c == '1') {
      bytes[k / 8] = static_cast<char>(bytes[k / 8] | (1 << (k % 8)));
      used = k / 8 + 1;
    } else if (c != '0') {
      return false;
    }
  }
  bytes.resize(used);
  return true;
}

std::string encode_bytes(std::string_view bytes, BinaryHandling mode) {
  switch (mode) {
    case BinaryHandling::hex: {
      std::string out;
      append_hex(out, bytes);
      return out;
    }
    case BinaryHandling::base64_url_safe:
      return base64_encode(bytes, Base64Alphabet::url_safe);
    case BinaryHandling::bytes:
    case BinaryHandling::base64:
      break;
  }
  return base64_encode(bytes);
}

const char* append_pg_bytea(std::string& out, std::string_view value, BinaryHandling mode) {
  out.append("\\x");
  if (mode == BinaryHandling::hex) {
    for (const char c : value) {
      if (hex_digit_value(c) < 0) return "a hex binary value contains a non-hex character";
    }
    if (value.size() % 2 != 0) return "a hex binary value has an odd length";
    out.append(value);
    return nullptr;
  }
  std::string bytes;
  const auto alphabet =
      mode == BinaryHandling::base64_url_safe ? Base64Alphabet::url_safe : Base64Alphabet::standard;
  if (!base64_decode_append(value, bytes, alphabet)) return "a binary value is not valid base64";
  append_hex(out, bytes);
  return nullptr;
}

bool append_pg_bits(std::string& out, std::string_view bytes, std::size_t bit_length) {
  auto bit = [&](std::size_t k) {
    return k / 8 < bytes.size() && ((static_cast<unsigned char>(bytes[k / 8]) >> (k % 8)) & 1);
  };
  for (std::size_t k = bit_length; k < bytes.size() * 8; ++k) {
    if (bit(k)) return false;
  }
  for (std::size_t i = 0; i < bit_length; ++i) out.push_back(bit(bit_length - 1 - i) ? '1' : '0');
  return true;
}

}  // namespace tapedeck::debezium
