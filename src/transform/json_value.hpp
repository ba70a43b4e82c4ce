// An owned JSON value as it came off the wire: numbers keep their exact text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tapedeck::transform {

struct JsonMember;

// A column value before decoding. Numbers are kept as their JSON text so that int64,
// huge integers and exact decimals survive; decoding parses them for the column's type.
// Plain value type: copyable, movable, no sharing.
struct JsonValue {
  enum class Kind : std::uint8_t { null, boolean, number, string, array, object };

  Kind kind = Kind::null;
  bool boolean = false;
  std::string text;  // number: its JSON text; string: the unescaped string
  std::vector<JsonValue> items;
  std::vector<JsonMember> members;  // object, in wire order

  bool is_null() const { return kind == Kind::null; }
  // The member named `name`, or nullptr.
  const JsonValue* member(std::string_view name) const;
};

// One member of an object. A struct of its own rather than std::pair, which may not be
// instantiated while JsonValue is incomplete (clang with libstdc++ refuses it).
struct JsonMember {
  std::string key;
  JsonValue value;
};

inline const JsonValue* JsonValue::member(std::string_view name) const {
  for (const auto& member : members) {
    if (member.key == name) return &member.value;
  }
  return nullptr;
}

std::string_view to_string(JsonValue::Kind kind);

}  // namespace tapedeck::transform
