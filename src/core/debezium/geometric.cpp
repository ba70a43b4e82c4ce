// Geometric values: point text and its Well-Known Binary.
#include "core/debezium/geometric.hpp"

#include <charconv>
#include <cstdint>
#include <cstring>

namespace tapedeck::debezium {
namespace {

// Byte order 1 (little-endian), geometry type 1 (Point).
constexpr std::string_view kPointHeader{"\x01\x01\0\0\0", 5};

bool parse_double(std::string_view text, double& value) {
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  return result.ec == std::errc() && result.ptr == text.data() + text.size();
}

void append_le_double(std::string& out, double value) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
}

double le_double(std::string_view bytes) {
  std::uint64_t bits = 0;
  for (int i = 7; i >= 0; --i) bits = bits << 8 | static_cast<unsigned char>(bytes[i]);
  double value = 0;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

}  // namespace

bool parse_pg_point(std::string_view text, double& x, double& y) {
  if (text.size() < 5 || text.front() != '(' || text.back() != ')') return false;
  const std::string_view inner = text.substr(1, text.size() - 2);
  const std::size_t comma = inner.find(',');
  return comma != std::string_view::npos && parse_double(inner.substr(0, comma), x) &&
         parse_double(inner.substr(comma + 1), y);
}

std::string point_wkb(double x, double y) {
  std::string wkb(kPointHeader);
  append_le_double(wkb, x);
  append_le_double(wkb, y);
  return wkb;
}

bool parse_point_wkb(std::string_view wkb, double& x, double& y) {
  if (wkb.size() != kPointHeader.size() + 16 ||
      wkb.substr(0, kPointHeader.size()) != kPointHeader) {
    return false;
  }
  x = le_double(wkb.substr(5, 8));
  y = le_double(wkb.substr(13, 8));
  return true;
}

}  // namespace tapedeck::debezium
