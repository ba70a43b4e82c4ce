// Names of ops and JSON kinds; the transaction id part of a metadata id.
#include "transform/change_event.hpp"

#include <charconv>

namespace tapedeck::transform {

std::string_view to_string(Op op) {
  switch (op) {
    case Op::create:
      return "c";
    case Op::read:
      return "r";
    case Op::update:
      return "u";
    case Op::remove:
      return "d";
    case Op::truncate:
      return "t";
    case Op::message:
      return "m";
  }
  return "?";
}

std::string_view to_string(JsonValue::Kind kind) {
  switch (kind) {
    case JsonValue::Kind::null:
      return "null";
    case JsonValue::Kind::boolean:
      return "boolean";
    case JsonValue::Kind::number:
      return "number";
    case JsonValue::Kind::string:
      return "string";
    case JsonValue::Kind::array:
      return "array";
    case JsonValue::Kind::object:
      return "object";
  }
  return "?";
}

std::optional<std::int64_t> TransactionMetadata::tx_id() const {
  const auto colon = id.find(':');
  const std::string_view digits = std::string_view(id).substr(0, colon);
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace tapedeck::transform
