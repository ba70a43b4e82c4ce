// Hex and base64, written out so the alphabet and padding rules are visible.
#include "core/storage/encoding.hpp"

#include "core/error.hpp"

namespace tapedeck::storage {

namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

[[noreturn]] void invalid(const std::string& what) {
  throw Error(ErrorSource::input, Recovery::invalid, what);
}

}  // namespace

std::string to_hex(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const std::uint8_t byte : bytes) {
    out.push_back(kHexDigits[byte >> 4]);
    out.push_back(kHexDigits[byte & 0x0f]);
  }
  return out;
}

std::string to_hex(std::string_view bytes) {
  return to_hex(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

std::string from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) invalid("hex text has an odd number of digits");
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int high = hex_value(hex[i]);
    const int low = hex_value(hex[i + 1]);
    if (high < 0 || low < 0) invalid("hex text contains a character that is not a hex digit");
    out.push_back(static_cast<char>((high << 4) | low));
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const auto b0 = static_cast<std::uint8_t>(bytes[i]);
    const auto b1 = static_cast<std::uint8_t>(bytes[i + 1]);
    const auto b2 = static_cast<std::uint8_t>(bytes[i + 2]);
    out.push_back(kBase64[b0 >> 2]);
    out.push_back(kBase64[((b0 & 0x03) << 4) | (b1 >> 4)]);
    out.push_back(kBase64[((b1 & 0x0f) << 2) | (b2 >> 6)]);
    out.push_back(kBase64[b2 & 0x3f]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const auto b0 = static_cast<std::uint8_t>(bytes[i]);
    out.push_back(kBase64[b0 >> 2]);
    out.push_back(kBase64[(b0 & 0x03) << 4]);
    out += "==";
  } else if (rest == 2) {
    const auto b0 = static_cast<std::uint8_t>(bytes[i]);
    const auto b1 = static_cast<std::uint8_t>(bytes[i + 1]);
    out.push_back(kBase64[b0 >> 2]);
    out.push_back(kBase64[((b0 & 0x03) << 4) | (b1 >> 4)]);
    out.push_back(kBase64[(b1 & 0x0f) << 2]);
    out.push_back('=');
  }
  return out;
}

std::string base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) invalid("base64 text length is not a multiple of 4");
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int padding = 0;
    if (last && text[i + 3] == '=') padding = text[i + 2] == '=' ? 2 : 1;
    unsigned value = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      int digit = 0;
      if (j < 4 - static_cast<std::size_t>(padding)) {
        digit = base64_value(text[i + j]);
        if (digit < 0) invalid("base64 text contains a character outside the alphabet");
      }
      value = (value << 6) | static_cast<unsigned>(digit);
    }
    out.push_back(static_cast<char>((value >> 16) & 0xff));
    if (padding < 2) out.push_back(static_cast<char>((value >> 8) & 0xff));
    if (padding < 1) out.push_back(static_cast<char>(value & 0xff));
  }
  return out;
}

}  // namespace tapedeck::storage
