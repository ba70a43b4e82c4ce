// Hex, written out so the digit rules are visible.
#include "core/storage/encoding.hpp"

#include "core/error.hpp"

namespace tapedeck::storage {

namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
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

}  // namespace tapedeck::storage
