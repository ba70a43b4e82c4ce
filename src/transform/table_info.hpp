// What the Live DB catalog says about a table: column types, replica identity key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tapedeck::transform {

// The broad kind of a PostgreSQL type, enough to pick a Debezium decoding.
enum class PgCategory : std::uint8_t {
  boolean,
  int2,
  int4,
  int8,
  float4,
  float8,
  numeric,
  money,
  text,  // text, varchar, char, name, citext
  date,
  time,
  timetz,
  timestamp,
  timestamptz,
  interval,
  bytea,
  bit,
  varbit,
  json,
  jsonb,
  xml,
  uuid,
  point,
  geometric,  // box, lseg, path, polygon, circle, line: no usable "="
  hstore,
  other,  // enums, ltree, inet, ranges, tsvector, ...: passed as their text
};

// A type name as format_type() prints it, taken apart: "numeric(10,2)" -> numeric,
// modifiers 10 and 2; "timestamp(3) without time zone" -> timestamp, 3; "integer[]" ->
// int4 with one array dimension.
struct PgType {
  PgCategory category = PgCategory::other;
  int modifier1 = -1;  // precision / length / fractional digits; -1 when absent
  int modifier2 = -1;  // numeric scale; -1 when absent
  int array_dims = 0;

  // Fractional second digits of time/timestamp types (6 when not declared).
  int fraction_digits() const { return modifier1 < 0 ? 6 : modifier1; }
  // The scale of numeric(p,s) (0 for numeric(p)), or -1 when not declared.
  int numeric_scale() const { return modifier2 >= 0 ? modifier2 : (modifier1 >= 0 ? 0 : -1); }
};

PgType parse_pg_type(std::string_view format_type);

// One column. `type` is printed as format_type(atttypid, atttypmod) prints it; read it with
// search_path = '' so that user types come schema-qualified and valid in any session. For
// a domain, `base_type` is its base type printed the same way (empty otherwise).
struct ColumnInfo {
  ColumnInfo(std::string name, std::string type, std::string base_type = {});

  std::string name;
  std::string type;
  std::string base_type;
  PgType pg;  // of base_type when set, else of type
  // GENERATED ALWAYS AS IDENTITY: an INSERT must say OVERRIDING SYSTEM VALUE to write the
  // recorded value, and an UPDATE cannot set it (so it never changed on the Live DB either).
  bool identity_always = false;
  // From a recorded shape (0 / empty / false when read from the catalog): the column's attnum;
  // the value a non-volatile default gave the rows that existed when the column was added, as
  // its text; whether its default (or identity) is not a constant, so that a table rewrite
  // gave those rows values no recording holds.
  int number = 0;
  std::optional<std::string> missing;
  bool default_not_constant = false;
};

// A table as the Live DB catalog describes it. Built by the caller (the catalog cache),
// immutable afterwards and safe to share between threads.
class TableInfo {
 public:
  TableInfo(std::string schema, std::string table, std::vector<ColumnInfo> columns,
            std::vector<std::string> key_columns, bool replica_identity_full);

  const std::string& schema() const { return schema_; }
  const std::string& table() const { return table_; }
  const std::vector<ColumnInfo>& columns() const { return columns_; }
  // The replica identity key: the primary key, or the REPLICA IDENTITY USING INDEX columns.
  const std::vector<std::string>& key_columns() const { return key_columns_; }
  bool replica_identity_full() const { return replica_identity_full_; }

  const ColumnInfo* find(std::string_view name) const;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  std::string schema_;
  std::string table_;
  std::vector<ColumnInfo> columns_;
  std::vector<std::string> key_columns_;
  bool replica_identity_full_ = false;
  std::unordered_map<std::string, std::size_t, Hash, std::equal_to<>> index_;
};

}  // namespace tapedeck::transform
