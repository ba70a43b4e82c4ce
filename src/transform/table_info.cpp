// Catalog type names taken apart; the table description with its column index.
#include "transform/table_info.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

namespace tapedeck::transform {
namespace {

struct Named {
  std::string_view name;
  PgCategory category;
};

constexpr std::array kNames = {
    Named{"boolean", PgCategory::boolean},
    Named{"smallint", PgCategory::int2},
    Named{"integer", PgCategory::int4},
    Named{"bigint", PgCategory::int8},
    Named{"oid", PgCategory::int8},
    Named{"real", PgCategory::float4},
    Named{"double precision", PgCategory::float8},
    Named{"numeric", PgCategory::numeric},
    Named{"money", PgCategory::money},
    Named{"text", PgCategory::text},
    Named{"character varying", PgCategory::text},
    Named{"character", PgCategory::text},
    Named{"bpchar", PgCategory::text},
    Named{"\"char\"", PgCategory::text},
    Named{"name", PgCategory::text},
    Named{"citext", PgCategory::text},
    Named{"public.citext", PgCategory::text},
    Named{"date", PgCategory::date},
    Named{"time without time zone", PgCategory::time},
    Named{"time with time zone", PgCategory::timetz},
    Named{"timestamp without time zone", PgCategory::timestamp},
    Named{"timestamp with time zone", PgCategory::timestamptz},
    Named{"bytea", PgCategory::bytea},
    Named{"bit", PgCategory::bit},
    Named{"bit varying", PgCategory::varbit},
    Named{"json", PgCategory::json},
    Named{"jsonb", PgCategory::jsonb},
    Named{"xml", PgCategory::xml},
    Named{"uuid", PgCategory::uuid},
    Named{"point", PgCategory::point},
    Named{"box", PgCategory::geometric},
    Named{"lseg", PgCategory::geometric},
    Named{"path", PgCategory::geometric},
    Named{"polygon", PgCategory::geometric},
    Named{"circle", PgCategory::geometric},
    Named{"line", PgCategory::geometric},
    Named{"hstore", PgCategory::hstore},
    Named{"public.hstore", PgCategory::hstore},
};

}  // namespace

PgType parse_pg_type(std::string_view text) {
  PgType type;
  while (text.size() >= 2 && text.substr(text.size() - 2) == "[]") {
    ++type.array_dims;
    text.remove_suffix(2);
  }
  std::string name(text);
  // Modifiers: the first "(...)" that is not inside a quoted identifier.
  const auto open = name.find('(');
  if (open != std::string::npos && name.find('"') == std::string::npos) {
    const auto close = name.find(')', open);
    if (close != std::string::npos) {
      std::string_view inside = std::string_view(name).substr(open + 1, close - open - 1);
      int* slots[] = {&type.modifier1, &type.modifier2};
      for (int* slot : slots) {
        const auto comma = inside.find(',');
        const std::string_view part = inside.substr(0, comma);
        int value = 0;
        const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
        if (ec == std::errc() && end == part.data() + part.size()) *slot = value;
        if (comma == std::string_view::npos) break;
        inside.remove_prefix(comma + 1);
      }
      // "timestamp(3) without time zone" -> "timestamp without time zone"
      name.erase(open, close - open + 1);
    }
  }
  if (name.rfind("interval", 0) == 0) {
    type.category = PgCategory::interval;
    return type;
  }
  for (const auto& named : kNames) {
    if (named.name == name) {
      type.category = named.category;
      return type;
    }
  }
  type.category = PgCategory::other;
  return type;
}

ColumnInfo::ColumnInfo(std::string column_name, std::string column_type,
                       std::string column_base_type)
    : name(std::move(column_name)),
      type(std::move(column_type)),
      base_type(std::move(column_base_type)),
      pg(parse_pg_type(base_type.empty() ? type : base_type)) {
  if (!base_type.empty()) {
    // An array of a domain keeps the array-ness of the column type.
    pg.array_dims = std::max(pg.array_dims, parse_pg_type(type).array_dims);
  }
}

TableInfo::TableInfo(std::string schema, std::string table, std::vector<ColumnInfo> columns,
                     std::vector<std::string> key_columns, bool replica_identity_full)
    : schema_(std::move(schema)),
      table_(std::move(table)),
      columns_(std::move(columns)),
      key_columns_(std::move(key_columns)),
      replica_identity_full_(replica_identity_full) {
  index_.reserve(columns_.size());
  for (std::size_t i = 0; i < columns_.size(); ++i) index_.emplace(columns_[i].name, i);
}

const ColumnInfo* TableInfo::find(std::string_view name) const {
  // Most tables are narrow, and names mostly differ in length: a scan beats hashing the name.
  constexpr std::size_t kScanUpTo = 16;
  if (columns_.size() <= kScanUpTo) {
    for (const auto& column : columns_) {
      if (column.name == name) return &column;
    }
    return nullptr;
  }
  const auto found = index_.find(name);
  return found == index_.end() ? nullptr : &columns_[found->second];
}

}  // namespace tapedeck::transform
