// A small, fast JSON writer into an fmt::memory_buffer, with Jackson-compatible number output.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string_view>

namespace tapedeck::capture {

// Appends JSON tokens to a caller-owned buffer. It does not track nesting or commas: the
// caller writes structure with raw(). Strings are escaped as Jackson does: quote, backslash
// and control characters (\n, \t, ... or \u00XX); everything else, including non-ASCII UTF-8,
// is copied unchanged. Not thread-safe; cheap to create per event.
class JsonWriter {
 public:
  explicit JsonWriter(fmt::memory_buffer& out) : out_(out) {}

  void raw(std::string_view text) { out_.append(text.data(), text.data() + text.size()); }
  void raw(char c) { out_.push_back(c); }
  void string(std::string_view text);           // "escaped text"
  void string_contents(std::string_view text);  // escaped text without the quotes
  void key(std::string_view name);              // "name":
  void null() { raw("null"); }
  void boolean(bool value) { raw(value ? "true" : "false"); }
  void integer(std::int64_t value);
  void unsigned_integer(std::uint64_t value);
  // Doubles and floats as Java's Double.toString / Float.toString print them ("1.0", "5.18",
  // "1.0E10"); NaN and infinities as the strings Jackson writes ("NaN", "Infinity", "-Infinity").
  void float64(double value);
  void float32(float value);
  void base64(std::string_view bytes);  // "base64 with padding"

  fmt::memory_buffer& buffer() { return out_; }

 private:
  fmt::memory_buffer& out_;
};

// Standard base64 (RFC 4648, with padding) of `bytes`, appended to `out`.
void append_base64(fmt::memory_buffer& out, std::string_view bytes);

}  // namespace tapedeck::capture
