// Hex and base64 encodings of byte strings.
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

// Standard alphabet (RFC 4648 section 4) with '=' padding.
std::string base64_encode(std::string_view bytes);
// Throws Error(input, invalid) on characters outside the alphabet or bad padding.
std::string base64_decode(std::string_view text);

}  // namespace tapedeck::storage
