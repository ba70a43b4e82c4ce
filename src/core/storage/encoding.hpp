// Hex encoding of byte strings (base64 is core/base64.hpp).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace tapedeck::storage {

// Lower-case hex, two digits per byte.
std::string to_hex(std::span<const std::uint8_t> bytes);
std::string to_hex(std::string_view bytes);
// Accepts either case; throws Error(input, invalid) on an odd length or a non-hex digit.
std::string from_hex(std::string_view hex);

}  // namespace tapedeck::storage
