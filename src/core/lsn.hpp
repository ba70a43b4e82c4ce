// PostgreSQL WAL position, printed and parsed as PostgreSQL does ("16/B374D848").
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tapedeck {

struct Lsn {
  std::uint64_t value = 0;

  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads a defaulted <=>
  constexpr auto operator<=>(const Lsn&) const = default;
  constexpr bool valid() const { return value != 0; }

  std::string str() const;
  // Accepts "X/Y" (hex halves); nullopt on anything else.
  static std::optional<Lsn> parse(std::string_view text);
};

// PostgreSQL transaction id as the 64-bit, epoch-extended xid8.
struct Xid {
  std::uint64_t value = 0;
  constexpr auto operator<=>(const Xid&) const = default;
};

}  // namespace tapedeck
