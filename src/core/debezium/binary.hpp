// Binary values: bytea, bit strings and the bytes modes (binary.handling.mode), both ways.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tapedeck::debezium {

// binary.handling.mode: how a bytes value travels. `bytes` is base64 in the JSON converter.
enum class BinaryHandling { bytes, base64, base64_url_safe, hex };

// 0..15 for a hex digit of either case, -1 otherwise.
int hex_digit_value(char c);

// --- PostgreSQL to Debezium (capture) ---

// PostgreSQL's bytea text output (bytea_output hex "\x0123" or escape "ab\\\001") to its
// octets. Returns nullptr, or why the text is not bytea ("odd number of hex digits", ...).
const char* parse_pg_bytea(std::string_view text, std::string& bytes);

// A bit string ("0101") as io.debezium.data.Bits: a Java BitSet whose bit 0 is the last
// character, as little-endian bytes of minimal length. False on a character not 0 or 1.
bool bits_to_bytes(std::string_view bit_text, std::string& bytes);

// The value of a bytes field in `mode`: base64 (bytes and base64), url-safe base64 or hex.
std::string encode_bytes(std::string_view bytes, BinaryHandling mode);

// --- Debezium to PostgreSQL (transform) ---

// Appends the "\x..." bytea input text of a bytes value sent in `mode`. Returns nullptr, or
// why the value does not decode ("a binary value is not valid base64", ...).
const char* append_pg_bytea(std::string& out, std::string_view value, BinaryHandling mode);

// Appends the `bit_length` characters of the bit string the Bits bytes hold. False when a
// bit beyond `bit_length` is set (the value does not fit bit(n)).
bool append_pg_bits(std::string& out, std::string_view bytes, std::size_t bit_length);

}  // namespace tapedeck::debezium
