// hstore: Debezium's JSON object form back to hstore input text.
#include "core/debezium/hstore.hpp"

#include <cstdint>

namespace tapedeck::debezium {
namespace {

// Reads JSON objects of strings and nulls, nothing more: the shape hstore.handling.mode=json
// produces. Position `i` moves through `text`; every reader returns false on malformed input.
class FlatObjectReader {
 public:
  explicit FlatObjectReader(std::string_view text) : text_(text) {}

  void skip_space() {
    while (i_ < text_.size() &&
           (text_[i_] == ' ' || text_[i_] == '\t' || text_[i_] == '\n' || text_[i_] == '\r')) {
      ++i_;
    }
  }
  bool consume(char c) {
    skip_space();
    if (i_ >= text_.size() || text_[i_] != c) return false;
    ++i_;
    return true;
  }
  bool consume_null() {
    skip_space();
    if (text_.substr(i_, 4) != "null") return false;
    i_ += 4;
    return true;
  }
  bool at_end() {
    skip_space();
    return i_ == text_.size();
  }

  // A JSON string, unescaped into `value` as UTF-8.
  bool string(std::string& value) {
    value.clear();
    if (!consume('"')) return false;
    while (i_ < text_.size() && text_[i_] != '"') {
      const char c = text_[i_++];
      if (c != '\\') {
        value.push_back(c);
        continue;
      }
      if (i_ >= text_.size()) return false;
      const char e = text_[i_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          value.push_back(e);
          break;
        case 'b':
          value.push_back('\b');
          break;
        case 'f':
          value.push_back('\f');
          break;
        case 'n':
          value.push_back('\n');
          break;
        case 'r':
          value.push_back('\r');
          break;
        case 't':
          value.push_back('\t');
          break;
        case 'u':
          if (!unicode_escape(value)) return false;
          break;
        default:
          return false;
      }
    }
    if (i_ >= text_.size()) return false;
    ++i_;
    return true;
  }

 private:
  bool hex4(std::uint32_t& unit) {
    if (i_ + 4 > text_.size()) return false;
    unit = 0;
    for (int k = 0; k < 4; ++k) {
      const char h = text_[i_++];
      unit <<= 4;
      if (h >= '0' && h <= '9') {
        unit |= static_cast<std::uint32_t>(h - '0');
      } else if (h >= 'a' && h <= 'f') {
        unit |= static_cast<std::uint32_t>(h - 'a' + 10);
      } else if (h >= 'A' && h <= 'F') {
        unit |= static_cast<std::uint32_t>(h - 'A' + 10);
      } else {
        return false;
      }
    }
    return true;
  }

  // \uXXXX, with a following \uXXXX when the first is a high surrogate.
  bool unicode_escape(std::string& value) {
    std::uint32_t code = 0;
    if (!hex4(code)) return false;
    if (code >= 0xD800 && code <= 0xDBFF) {
      std::uint32_t low = 0;
      if (text_.substr(i_, 2) != "\\u") return false;
      i_ += 2;
      if (!hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
      code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
    } else if (code >= 0xDC00 && code <= 0xDFFF) {
      return false;
    }
    if (code == 0) return false;  // PostgreSQL text cannot hold NUL
    if (code < 0x80) {
      value.push_back(static_cast<char>(code));
    } else if (code < 0x800) {
      value.push_back(static_cast<char>(0xC0 | (code >> 6)));
      value.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else if (code < 0x10000) {
      value.push_back(static_cast<char>(0xE0 | (code >> 12)));
      value.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
      value.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else {
      value.push_back(static_cast<char>(0xF0 | (code >> 18)));
      value.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
      value.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
      value.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    }
    return true;
  }

  std::string_view text_;
  std::size_t i_ = 0;
};

// hstore's own quoting: between double quotes, '"' and '\' escaped with a backslash.
void append_hstore_quoted(std::string& out, std::string_view text) {
  out.push_back('"');
  for (const char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace

bool append_pg_hstore(std::string& out, std::string_view json_object, std::string& why) {
  FlatObjectReader in(json_object);
  std::string hstore;
  std::string key;
  std::string value;
  if (!in.consume('{')) {
    why = "not a JSON object";
    return false;
  }
  bool first = true;
  if (!in.consume('}')) {
    while (true) {
      if (!in.string(key) || !in.consume(':')) {
        why = "expected a \"key\": in the JSON object";
        return false;
      }
      if (!first) hstore.append(", ");
      first = false;
      append_hstore_quoted(hstore, key);
      hstore.append("=>");
      if (in.consume_null()) {
        hstore.append("NULL");
      } else if (in.string(value)) {
        append_hstore_quoted(hstore, value);
      } else {
        why = "a value is neither a JSON string nor null";
        return false;
      }
      if (in.consume(',')) continue;
      if (in.consume('}')) break;
      why = "expected ',' or '}' in the JSON object";
      return false;
    }
  }
  if (!in.at_end()) {
    why = "characters after the JSON object";
    return false;
  }
  out.append(hstore);
  return true;
}

}  // namespace tapedeck::debezium
