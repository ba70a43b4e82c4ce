// Lsn text form.
#include "core/lsn.hpp"

#include <fmt/format.h>

#include <charconv>

namespace tapedeck {

std::string Lsn::str() const {
  return fmt::format("{:X}/{:X}", static_cast<std::uint32_t>(value >> 32),
                     static_cast<std::uint32_t>(value));
}

std::optional<Lsn> Lsn::parse(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size())
    return std::nullopt;
  std::uint32_t high = 0;
  std::uint32_t low = 0;
  const auto parse_half = [](std::string_view half, std::uint32_t& out) {
    if (half.size() > 8) return false;
    auto [end, ec] = std::from_chars(half.data(), half.data() + half.size(), out, 16);
    return ec == std::errc() && end == half.data() + half.size();
  };
  if (!parse_half(text.substr(0, slash), high) || !parse_half(text.substr(slash + 1), low)) {
    return std::nullopt;
  }
  return Lsn{(static_cast<std::uint64_t>(high) << 32) | low};
}

}  // namespace tapedeck
