// Schema-change rows to replayable DDL and table shapes.
#include "transform/schema_change.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/error.hpp"
#include "core/recorded_statement.hpp"
#include "core/schema/live_schema.hpp"
#include "core/sql_quote.hpp"
#include "transform/sql_statements.hpp"

namespace tapedeck::transform {
namespace {

// The recorded settings a replayed schema change runs under: they change what its casts and
// expressions store, never how a statement's text reads (the others are checked instead).
constexpr std::array<std::string_view, 7> kReplayedSettings = {"TimeZone",
                                                               "DateStyle",
                                                               "IntervalStyle",
                                                               "extra_float_digits",
                                                               "bytea_output",
                                                               "xmlbinary",
                                                               "default_text_search_config"};

[[noreturn]] void refuse(std::string reason) {
  throw Error(ErrorSource::input, Recovery::invalid, std::move(reason));
}

// The column `name` of the row, or null when the row has none.
const JsonValue* find_field(const Row& row, std::string_view name) {
  for (const auto& column : row) {
    if (column.name == name) return &column.value;
  }
  return nullptr;
}

const JsonValue& field(const Row& row, std::string_view name) {
  if (const JsonValue* value = find_field(row, name)) return *value;
  refuse(fmt::format("tapedeck.schema_changes event: no column {}", name));
}

std::string text_field(const Row& row, std::string_view name) {
  const JsonValue& value = field(row, name);
  if (value.kind != JsonValue::Kind::string) {
    refuse(fmt::format("tapedeck.schema_changes event: column {} is not text", name));
  }
  return value.text;
}

int int_field(const Row& row, std::string_view name) {
  const JsonValue& value = field(row, name);
  int number = 0;
  const auto [end, error] =
      std::from_chars(value.text.data(), value.text.data() + value.text.size(), number);
  if (value.kind != JsonValue::Kind::number || error != std::errc() ||
      end != value.text.data() + value.text.size()) {
    refuse(fmt::format("tapedeck.schema_changes event: column {} is not an integer", name));
  }
  return number;
}

bool bool_field(const Row& row, std::string_view name) {
  const JsonValue& value = field(row, name);
  if (value.kind != JsonValue::Kind::boolean) {
    refuse(fmt::format("tapedeck.schema_changes event: column {} is not a boolean", name));
  }
  return value.boolean;
}

// The settings column (Live DB migration 6): a JSON object of text values; absent or empty in
// rows recorded before it.
std::vector<std::pair<std::string, std::string>> settings_field(const Row& row) {
  std::vector<std::pair<std::string, std::string>> settings;
  const JsonValue* column = find_field(row, "settings");
  if (column == nullptr || column->kind == JsonValue::Kind::null || column->text.empty()) {
    return settings;
  }
  const auto parsed = column->kind == JsonValue::Kind::string
                          ? nlohmann::json::parse(column->text, nullptr, false)
                          : nlohmann::json();
  if (!parsed.is_object()) {
    refuse("tapedeck.schema_changes event: column settings is not a JSON object");
  }
  for (const auto& [name, value] : parsed.items()) {
    if (!value.is_string()) {
      refuse(fmt::format("tapedeck.schema_changes event: setting {} is not text", name));
    }
    settings.emplace_back(name, value.get<std::string>());
  }
  return settings;
}

bool contains_ignoring_case(std::string_view text, std::string_view word) {
  return std::search(text.begin(), text.end(), word.begin(), word.end(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) ==
                  std::tolower(static_cast<unsigned char>(b));
         }) != text.end();
}

nlohmann::json parse_json(std::string_view text, std::string_view what) {
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  if (parsed.is_discarded())
    refuse(fmt::format("tapedeck.schema_changes event: {} is not JSON", what));
  return parsed;
}

TableShape shape_from(const nlohmann::json& shape) {
  try {
    std::vector<ColumnInfo> columns;
    for (const auto& column : shape.at("columns")) {
      columns.emplace_back(column.at("name").get<std::string>(),
                           column.at("type").get<std::string>(),
                           column.at("base_type").get<std::string>());
      columns.back().identity_always = column.at("identity_always").get<bool>();
      // Shapes recorded before Live DB migration 5 have none of these.
      columns.back().number = column.value("attnum", 0);
      if (const auto missing = column.find("missing");
          missing != column.end() && missing->is_string()) {
        columns.back().missing = missing->get<std::string>();
      }
      columns.back().default_not_constant = column.value("default_not_constant", false);
    }
    std::vector<std::string> key;
    if (const auto found = shape.find("key"); found != shape.end() && found->is_array()) {
      for (const auto& name : *found) key.push_back(name.get<std::string>());
    }
    const auto identity = shape.at("replica_identity").get<std::string>();
    return TableShape{
        std::make_shared<const TableInfo>(shape.at("schema").get<std::string>(),
                                          shape.at("table").get<std::string>(), std::move(columns),
                                          std::move(key), identity == "f"),
        shape.dump()};
  } catch (const nlohmann::json::exception& error) {
    refuse(
        fmt::format("tapedeck.schema_changes event: a table shape is malformed: {}", error.what()));
  }
}

// Statements that end or undo part of a transaction: with one of them in the query, an
// earlier statement of the text may have been rolled back, and the firing count restarted.
bool rolls_back(const std::string& tag) {
  return tag.starts_with("ROLLBACK") || tag.starts_with("ABORT");
}

// The one element of a one-element array's text, as array_out writes it: `{0}`, or
// `{"it's \"q\""}` with the element quoted and backslash-escaped.
std::optional<std::string> only_element(std::string_view array) {
  if (array.size() < 2 || array.front() != '{' || array.back() != '}') return std::nullopt;
  const std::string_view inner = array.substr(1, array.size() - 2);
  if (inner.empty() || inner.front() != '"') {
    if (inner.empty() || inner == "NULL" ||
        inner.find_first_of("\\\"{}") != std::string_view::npos) {
      return std::nullopt;
    }
    return std::string(inner);
  }
  std::string element;
  std::size_t at = 1;
  for (; at < inner.size() && inner[at] != '"'; ++at) {
    if (inner[at] == '\\' && at + 1 < inner.size()) ++at;
    element.push_back(inner[at]);
  }
  if (at + 1 != inner.size()) return std::nullopt;  // text after the closing quote
  return element;
}

// A unique dollar-quote tag for `body`.
std::string dollar_tag(std::string_view body) {
  std::string tag = "$tapedeck$";
  for (int n = 1; body.find(tag) != std::string_view::npos; ++n) {
    tag = fmt::format("$tapedeck{}$", n);
  }
  return tag;
}

}  // namespace

std::string added_column_fills(const TableInfo* before, const TableInfo& after) {
  if (before == nullptr) return {};
  int last_before = 0;
  for (const auto& column : before->columns()) last_before = std::max(last_before, column.number);
  // Without column numbers (a shape recorded before they were), added cannot be told from
  // renamed: a renamed column keeps a missing value of its own from when it was added.
  if (last_before == 0) return {};
  const std::string table = sql::qualified_name(after.schema(), after.table());
  std::string out;
  for (const auto& column : after.columns()) {
    if (column.number <= last_before) continue;
    if (column.missing) {
      const auto value = only_element(*column.missing);
      if (!value) {
        refuse(fmt::format("the value column \"{}\" of {} was added with ({}) cannot be read",
                           column.name, table, column.missing->substr(0, 200)));
      }
      std::string literal = "(";
      sql::append_literal(literal, *value);
      literal += "::" + column.type + ")";
      std::string name;
      sql::append_identifier(name, column.name);
      out += fmt::format(";\nUPDATE {0} SET {1} = {2} WHERE {1}::text IS DISTINCT FROM {2}::text",
                         table, name, literal);
    } else if (column.default_not_constant) {
      std::string message;
      sql::append_literal(
          message,
          fmt::format("tapedeck: column \"{}\" of {} was added with a default that is not a "
                      "constant (or as an identity) while the table had rows; the values the Live "
                      "DB gave those rows are in no recording, so this session cannot be exact. "
                      "Start sessions from a backup taken after this change.",
                      column.name, table));
      const std::string body = fmt::format(
          " BEGIN IF EXISTS (SELECT FROM {}) THEN RAISE EXCEPTION '%', {}; END IF; END ", table,
          message);
      const std::string tag = dollar_tag(body);
      fmt::format_to(std::back_inserter(out), ";\nDO {0}{1}{0}", tag, body);
    }
  }
  return out;
}

bool is_schema_changes_table(std::string_view schema, std::string_view table) {
  return schema == schema::kSchemaChangesSchema && table == schema::kSchemaChangesTable;
}

TableShape parse_table_shape(std::string_view json) {
  return shape_from(parse_json(json, "a table shape"));
}

SchemaChange parse_schema_change(const ChangeEvent& event) {
  if (!event.after) refuse("tapedeck.schema_changes event without an after row");
  const Row& row = *event.after;
  SchemaChange change;
  const std::string kind = text_field(row, "event");
  if (kind == "ddl_command_end") {
    change.kind = SchemaChange::Kind::ddl;
  } else if (kind == "sql_drop") {
    change.kind = SchemaChange::Kind::drop;
  } else if (kind == "baseline") {
    change.kind = SchemaChange::Kind::baseline;
  } else {
    refuse(fmt::format("tapedeck.schema_changes event: unknown event '{}'", kind));
  }
  change.command_tag = text_field(row, "command_tag");
  change.ordinal = int_field(row, "ordinal");
  change.nested = bool_field(row, "nested");
  change.query = text_field(row, "query");
  change.search_path = text_field(row, "search_path");
  change.settings = settings_field(row);
  if (change.kind == SchemaChange::Kind::drop) {
    for (const auto& table : parse_json(text_field(row, "objects"), "objects")) {
      try {
        change.dropped.emplace_back(table.at("schema").get<std::string>(),
                                    table.at("table").get<std::string>());
      } catch (const nlohmann::json::exception& error) {
        refuse(fmt::format("tapedeck.schema_changes event: a dropped table is malformed: {}",
                           error.what()));
      }
    }
  } else {
    for (const auto& shape : parse_json(text_field(row, "shapes"), "shapes")) {
      change.shapes.push_back(shape_from(shape));
    }
  }
  return change;
}

std::string replay_statement(const SchemaChange& change) {
  auto cannot = [&](std::string_view why) {
    refuse(
        fmt::format("schema change {} cannot be replayed: {}; apply it to the session "
                    "databases by hand. The query was: {}",
                    change.command_tag, why, change.query.substr(0, 2000)));
  };
  if (change.nested) {
    cannot(
        "it ran inside a function or a DO block, so the statement that made it is not in "
        "the query text");
  }
  const auto statements = split_statements(change.query);
  std::vector<std::string_view> candidates;
  bool rollback = false;
  for (const auto statement : statements) {
    const std::string tag = command_tag(statement);
    if (tag == change.command_tag) candidates.push_back(statement);
    rollback = rollback || rolls_back(tag);
  }
  if (change.ordinal < 1 || static_cast<std::size_t>(change.ordinal) > candidates.size()) {
    cannot(fmt::format("it is firing {} of {} in the query, which holds {} such statement(s)",
                       change.ordinal, change.command_tag, candidates.size()));
  }
  if (rollback && candidates.size() > 1) {
    cannot(
        "the query holds a ROLLBACK and several such statements, so which one this is "
        "cannot be told");
  }
  const std::string_view statement = candidates[static_cast<std::size_t>(change.ordinal - 1)];
  // The replaying session lexes and reads the statement under kReadSettings; one that ran
  // otherwise replays exactly only when its text holds nothing those settings read otherwise.
  for (const auto& [name, value] : change.settings) {
    if (name == "standard_conforming_strings" && value == "off" &&
        statement.find('\\') != std::string_view::npos) {
      cannot(
          "it ran with standard_conforming_strings = off and holds a backslash, which replay "
          "(standard_conforming_strings = on) would read otherwise; run such changes with "
          "standard_conforming_strings = on");
    }
    if (name == "array_nulls" && value == "off" && contains_ignoring_case(statement, "null")) {
      cannot(
          "it ran with array_nulls = off and may hold an array literal with NULL, which replay "
          "(array_nulls = on) would read as a null element");
    }
    if (name == "xmloption" && value == "document" && contains_ignoring_case(statement, "xml")) {
      cannot(
          "it ran with xmloption = document and may hold an XML literal, which replay "
          "(xmloption = content) would read otherwise");
    }
  }
  // set_config(..., true) lasts to the end of the replaying transaction; every statement
  // transform renders names its table with its schema and spells its values so that these
  // settings do not change how they read, so only DDL depends on them.
  std::string sql(recorded_statement::kDdlSearchPath);
  sql::append_literal(sql, change.search_path);
  sql += ", true)";
  for (const auto& [name, value] : change.settings) {
    if (std::find(kReplayedSettings.begin(), kReplayedSettings.end(), name) ==
        kReplayedSettings.end()) {
      continue;
    }
    sql += ", pg_catalog.set_config(";
    sql::append_literal(sql, name);
    sql += ", ";
    sql::append_literal(sql, value);
    sql += ", true)";
  }
  sql += ";\n";
  sql += statement;
  return sql;
}

}  // namespace tapedeck::transform
