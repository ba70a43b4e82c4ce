// Statement rendering: column lists, SET lists and WHERE clauses from decoded values.
#include "transform/sql_renderer.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/recorded_statement.hpp"
#include "core/sql_quote.hpp"

namespace tapedeck::transform {
namespace {

[[noreturn]] void refuse(const ChangeEvent& event, std::string_view reason) {
  throw Error(
      ErrorSource::input, Recovery::invalid,
      fmt::format("op {} on {}.{}: {}", to_string(event.op), event.source.schema.substr(0, 100),
                  event.source.table.substr(0, 100), reason));
}

const RowField* find_field(const Row& row, std::string_view name) {
  for (const auto& field : row) {
    if (field.name == name) return &field;
  }
  return nullptr;
}

class Builder {
 public:
  Builder(const ValueDecoder& decoder, const ChangeEvent& event, const TableInfo* table,
          std::string& sql)
      : decoder_(decoder), event_(event), table_(table), sql_(sql) {}

  const ColumnInfo* column(std::string_view name) const {
    if (table_ == nullptr) return nullptr;
    const ColumnInfo* info = table_->find(name);
    if (info == nullptr && !event_.schema) {
      throw Error(ErrorSource::input, Recovery::not_found,
                  fmt::format("column \"{}\" of {}.{} is not in the catalog; refresh it",
                              name.substr(0, 100), table_->schema(), table_->table()));
    }
    return info;
  }

  const FieldSchema* schema(const Row& row, std::string_view name) const {
    if (!event_.schema) return nullptr;
    const FieldSchema& rows =
        (event_.after && &row == &*event_.after) || event_.schema->before.fields.empty()
            ? event_.schema->after
            : event_.schema->before;
    const FieldSchema* field = rows.find_field(name);
    if (field == nullptr) {
      refuse(event_, fmt::format("column \"{}\" is not in the event schema", name.substr(0, 100)));
    }
    return field;
  }

  ValueDecoder::Result value(const Row& row, const RowField& field) {
    return decoder_.append_literal(sql_, field.name, field.value, schema(row, field.name),
                                   column(field.name));
  }

  void table_name() { sql::append_qualified_name(sql_, event_.source.schema, event_.source.table); }

  void insert(bool snapshot) {
    const Row& after = *event_.after;
    sql_.append("INSERT INTO ");
    table_name();
    if (after.empty()) {
      sql_.append(" DEFAULT VALUES");
    } else {
      sql_.append(" (");
      bool overrides_identity = false;
      for (std::size_t i = 0; i < after.size(); ++i) {
        if (i != 0) sql_.append(", ");
        sql::append_identifier(sql_, after[i].name);
        overrides_identity |= is_identity_always(after[i].name);
      }
      sql_.append(overrides_identity ? ") OVERRIDING SYSTEM VALUE VALUES (" : ") VALUES (");
      for (std::size_t i = 0; i < after.size(); ++i) {
        if (i != 0) sql_.append(", ");
        const auto result = value(after, after[i]);
        if (result == ValueDecoder::Result::null) sql_.append("NULL");
        if (result == ValueDecoder::Result::unavailable) {
          refuse(event_, fmt::format("column \"{}\" holds the unavailable-value placeholder, "
                                     "which an inserted row cannot have",
                                     after[i].name.substr(0, 100)));
        }
      }
      sql_.push_back(')');
    }
    if (snapshot) sql_.append(" ON CONFLICT DO NOTHING");
  }

  // Returns false when no column is left to set.
  bool update() {
    const Row& after = *event_.after;
    sql_.append(recorded_statement::kUpdate);
    table_name();
    sql_.append(" SET ");
    bool any = false;
    for (const auto& field : after) {
      if (is_identity_always(field.name)) continue;
      const std::size_t mark = sql_.size();
      if (any) sql_.append(", ");
      sql::append_identifier(sql_, field.name);
      sql_.append(" = ");
      const auto result = value(after, field);
      if (result == ValueDecoder::Result::unavailable) {
        sql_.resize(mark);  // unchanged TOASTed value: leave the column as it is
        continue;
      }
      if (result == ValueDecoder::Result::null) sql_.append("NULL");
      any = true;
    }
    if (!any) return false;
    where();
    return true;
  }

  // Whether a primary key change can be replayed as UPDATEs that move the row: the key is known
  // and may be set (an identity ALWAYS column may not be).
  bool can_move_key() const {
    if (table_ == nullptr || table_->key_columns().empty()) return false;
    for (const auto& key : table_->key_columns()) {
      if (is_identity_always(key)) return false;
    }
    return true;
  }

  // The delete half of a key change: the row keeps every column (the create half may not
  // carry a TOASTed one) and gets its new key.
  void move_key() {
    const Row& new_key = *event_.new_key;
    if (new_key.empty()) refuse(event_, "the __debezium.newkey header names no column");
    sql_.append(recorded_statement::kUpdate);
    table_name();
    sql_.append(" SET ");
    for (std::size_t i = 0; i < new_key.size(); ++i) {
      if (i != 0) sql_.append(", ");
      sql::append_identifier(sql_, new_key[i].name);
      sql_.append(" = ");
      const auto result = value(new_key, new_key[i]);
      if (result == ValueDecoder::Result::null) sql_.append("NULL");
      if (result == ValueDecoder::Result::unavailable) {
        refuse(event_, fmt::format("new key column \"{}\" holds the unavailable-value placeholder",
                                   new_key[i].name.substr(0, 100)));
      }
    }
    where();
  }

  void remove() {
    sql_.append(recorded_statement::kDelete);
    table_name();
    where();
  }

  void truncate() {
    sql_.append(recorded_statement::kTruncateOnly);
    table_name();
  }

 private:
  bool is_identity_always(const std::string& name) const {
    const ColumnInfo* info = column(name);
    return info != nullptr && info->identity_always;
  }

  // Whether "=" may hold between values whose text differs: 1.5 = 1.50, -0 = 0 (float),
  // '1 day' = '24 hours', citext 'A' = 'a'. A key finds one row whatever "=" means, but in a
  // keyless REPLICA IDENTITY FULL table the condition must tell such rows apart.
  // An interval sent as approximate microseconds (an opt-in mode) has no exact text to match.
  static bool equality_looser_than_text(const ColumnInfo& info, const JsonValue& value) {
    switch (info.pg.category) {
      case PgCategory::numeric:
      case PgCategory::float4:
      case PgCategory::float8:
        return true;
      case PgCategory::interval:
        return value.kind != JsonValue::Kind::number;
      case PgCategory::text:
        return info.type.find("citext") != std::string::npos ||
               info.base_type.find("citext") != std::string::npos;
      default:
        return false;
    }
  }

  // One "column = value" / "column IS NULL" condition.
  void condition(const Row& row, const RowField& field) {
    const FieldSchema* field_schema = schema(row, field.name);
    const ColumnInfo* info = column(field.name);
    const bool keyless = table_ != nullptr && table_->key_columns().empty();
    // In a keyless table the condition finds the row by every column, so a type passed by its
    // text (a composite holding a point or json, jsonpath, ...) may have no "=" at all; its
    // text form is exact and indexes do not matter there.
    const bool as_text = ValueDecoder::compare_as_text(field_schema, info) ||
                         (keyless && info != nullptr && info->pg.category == PgCategory::other);
    // "=" too, so that an index on the column still serves the lookup.
    const bool also_text =
        !as_text && keyless && info != nullptr && equality_looser_than_text(*info, field.value);
    const std::size_t mark = sql_.size();
    sql::append_identifier(sql_, field.name);
    if (as_text) sql_.append("::text");
    sql_.append(" = ");
    const std::size_t value_at = sql_.size();
    const auto result = decoder_.append_literal(sql_, field.name, field.value, field_schema, info);
    if (result == ValueDecoder::Result::unavailable) {
      refuse(event_, fmt::format("the old value of column \"{}\" is unavailable (TOAST), so the "
                                 "row cannot be identified",
                                 field.name.substr(0, 100)));
    }
    if (result == ValueDecoder::Result::null) {
      sql_.resize(mark);
      // "c IS NULL" is also true of a composite whose fields are all null, "(,)": a different
      // row. ROW(c) IS NULL tests c itself, and means c IS NULL for any other type.
      const bool may_be_composite =
          info == nullptr || (info->pg.category == PgCategory::other && info->pg.array_dims == 0);
      if (may_be_composite) sql_.append("ROW(");
      sql::append_identifier(sql_, field.name);
      sql_.append(may_be_composite ? ") IS NULL" : " IS NULL");
      return;
    }
    if (as_text) {
      // Normalise both sides through the type's output function.
      sql_.insert(value_at, "(");
      sql_.append(")::text");
    } else if (also_text) {
      const std::string literal = sql_.substr(value_at);
      sql_.append(" AND ");
      sql::append_identifier(sql_, field.name);
      // Through the column's type, as stored: 1.5 becomes 1.50 in a numeric(8,2).
      sql_.append("::text = (");
      sql_.append(literal);
      if (!literal.ends_with("::" + info->type)) {
        sql_.insert(sql_.size() - literal.size(), "(");
        sql_.append(")::");
        sql_.append(info->type);
      }
      sql_.append(")::text");
    }
  }

  void where() {
    if (table_ == nullptr) {
      refuse(event_, "the table's replica identity is unknown: the catalog entry is needed");
    }
    const auto& keys = table_->key_columns();
    if (!keys.empty()) {
      sql_.append(" WHERE ");
      for (std::size_t i = 0; i < keys.size(); ++i) {
        if (i != 0) sql_.append(" AND ");
        const RowField* field = nullptr;
        const Row* row = nullptr;
        if (event_.before && (field = find_field(*event_.before, keys[i])) != nullptr) {
          row = &*event_.before;
        } else if (event_.after && (field = find_field(*event_.after, keys[i])) != nullptr) {
          row = &*event_.after;
        }
        if (field == nullptr) {
          refuse(event_,
                 fmt::format("the value of key column \"{}\" is missing", keys[i].substr(0, 100)));
        }
        condition(*row, *field);
      }
      return;
    }
    if (!table_->replica_identity_full()) {
      refuse(event_,
             "the table has no primary key or replica identity index and is not REPLICA "
             "IDENTITY FULL, so the row cannot be identified");
    }
    if (!event_.before || event_.before->empty()) {
      refuse(event_,
             "a REPLICA IDENTITY FULL table without a key needs the whole old row in before");
    }
    // Exactly one of possibly identical rows, as the original statement touched one.
    sql_.append(" WHERE (tableoid, ctid) = (SELECT tableoid, ctid FROM ");
    table_name();
    sql_.append(" WHERE ");
    const Row& before = *event_.before;
    for (std::size_t i = 0; i < before.size(); ++i) {
      if (i != 0) sql_.append(" AND ");
      condition(before, before[i]);
    }
    sql_.append(" LIMIT 1)");
  }

  const ValueDecoder& decoder_;
  const ChangeEvent& event_;
  const TableInfo* table_;
  std::string& sql_;
};

}  // namespace

SqlRenderer::SqlRenderer(DecodeOptions options) : decoder_(std::move(options)) {}

RenderedStatement SqlRenderer::render(const ChangeEvent& event, const TableInfo* table) const {
  RenderedStatement out;
  render(event, table, out);
  return out;
}

void SqlRenderer::render(const ChangeEvent& event, const TableInfo* table,
                         RenderedStatement& out) const {
  out.skipped = false;
  out.sql.clear();
  out.skip_reason.clear();
  if (event.op == Op::message) {
    out.skipped = true;
    out.skip_reason = fmt::format("logical decoding message (prefix \"{}\") changes no table",
                                  event.message ? event.message->prefix.substr(0, 100) : "");
    return;
  }
  if (table == nullptr && !event.schema && event.op != Op::truncate) {
    refuse(event,
           "schemas are off and the table is not in the catalog, so the values cannot be "
           "decoded");
  }
  out.sql.reserve(256);
  Builder builder(decoder_, event, table, out.sql);
  switch (event.op) {
    case Op::create:
      if (event.key_moved_here && builder.can_move_key()) {
        // The delete half moved the row here; set what the new row carries.
        if (!builder.update()) refuse(event, "the moved row carries no column to set");
        return;
      }
      builder.insert(false);
      return;
    case Op::read:
      builder.insert(true);
      return;
    case Op::update:
      if (!builder.update()) {
        out.sql.clear();
        out.skipped = true;
        out.skip_reason = "every column of the update holds the unavailable-value placeholder";
      }
      return;
    case Op::remove:
      if (event.new_key && builder.can_move_key()) {
        builder.move_key();
        return;
      }
      builder.remove();
      return;
    case Op::truncate:
      builder.truncate();
      return;
    case Op::message:
      return;
  }
}

}  // namespace tapedeck::transform
