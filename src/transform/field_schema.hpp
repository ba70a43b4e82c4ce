// The Kafka Connect schema of one field, as `schemas.enable=true` events carry it.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tapedeck::transform {

// One node of a Connect schema (KJ keywords): `type` (int32, string, struct, ...), the
// logical `name` (io.debezium.time.Date, org.apache.kafka.connect.data.Decimal, ...),
// its `parameters` (all strings, e.g. scale), `items` for arrays, `fields` for structs.
// Plain value type.
struct FieldSchema {
  std::string field;  // the field name inside its parent struct; empty at the top
  std::string type;
  std::string name;
  bool optional = true;
  std::vector<std::pair<std::string, std::string>> parameters;
  std::vector<FieldSchema> items;  // empty, or the one element schema of an array
  std::vector<FieldSchema> fields;

  const std::string* parameter(std::string_view key) const {
    for (const auto& [k, v] : parameters) {
      if (k == key) return &v;
    }
    return nullptr;
  }
  const FieldSchema* find_field(std::string_view field_name) const {
    for (const auto& f : fields) {
      if (f.field == field_name) return &f;
    }
    return nullptr;
  }
  const FieldSchema* element() const { return items.empty() ? nullptr : &items.front(); }
};

}  // namespace tapedeck::transform
