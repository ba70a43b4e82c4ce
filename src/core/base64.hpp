// Base64 (RFC 4648): the one implementation, for Debezium's bytes values and S3's headers.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tapedeck {

// RFC 4648 section 4 (`+/`) or section 5 (`-_`, Debezium's binary.handling.mode=base64-url-safe).
enum class Base64Alphabet { standard, url_safe };

// Characters the padded encoding of `byte_count` bytes takes.
constexpr std::size_t base64_encoded_size(std::size_t byte_count) {
  return (byte_count + 2) / 3 * 4;
}

// Writes the padded encoding of `bytes` to `out`, which has room for
// base64_encoded_size(bytes.size()) characters (lets a caller encode into its own buffer).
void base64_encode_to(char* out, std::string_view bytes,
                      Base64Alphabet alphabet = Base64Alphabet::standard);

// The padded encoding of `bytes`.
std::string base64_encode(std::string_view bytes,
                          Base64Alphabet alphabet = Base64Alphabet::standard);

// Strict: whole groups of four, '=' padding only at the end. Throws Error(input, invalid) on
// a wrong length or a character outside the alphabet.
std::string base64_decode(std::string_view text);

// Lenient, as Debezium's consumers read it: the trailing '=' may be there or not. Appends the
// bytes to `out`; false (with `out` partly written) when the text is not base64.
bool base64_decode_append(std::string_view text, std::string& out,
                          Base64Alphabet alphabet = Base64Alphabet::standard);

}  // namespace tapedeck
