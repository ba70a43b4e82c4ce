// A row of the Live DB's tapedeck.schema_changes (written by tapedeck's event triggers, see
// core/schema/live_schema.cpp) and what transform makes of it: the DDL statement to replay
// and the table shapes to render later events with.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "transform/change_event.hpp"
#include "transform/table_info.hpp"

namespace tapedeck::transform {

// A table's shape as tapedeck.table_shape() wrote it, with that JSON text kept for storing.
struct TableShape {
  std::shared_ptr<const TableInfo> table;
  std::string json;
};

struct SchemaChange {
  enum class Kind { ddl, drop, baseline };
  Kind kind = Kind::ddl;
  std::string command_tag;
  int ordinal = 0;      // which firing of command_tag within `query` (1-based)
  bool nested = false;  // ran inside a function or DO block
  std::string query;
  std::string search_path;
  // The settings it ran under (Live DB migration 6), name and value; none before.
  std::vector<std::pair<std::string, std::string>> settings;
  std::vector<TableShape> shapes;                            // ddl, baseline
  std::vector<std::pair<std::string, std::string>> dropped;  // drop: (schema, table)
};

// Whether events of this table are schema changes rather than data.
bool is_schema_changes_table(std::string_view schema, std::string_view table);

// The change an INSERT into tapedeck.schema_changes carries (its `after` row).
// Throws Error(input, invalid) naming what is missing or malformed.
SchemaChange parse_schema_change(const ChangeEvent& event);

// One shape from its JSON text (an element of the `shapes` column).
// Throws Error(input, invalid).
TableShape parse_table_shape(std::string_view json);

// The statement that replays a `ddl` change: the DDL statement that fired, taken out of the
// query text (which may hold other statements, recorded separately), preceded by the search
// path and the settings it ran with that its casts and expressions evaluate under (TimeZone,
// DateStyle, ...: kReplayedSettings), each set for the replaying transaction. Throws
// Error(input, invalid) with the query and the reason when which statement fired cannot be
// told (DDL run inside a function or a DO block, a query whose statements do not match the
// firings, a rolled-back part), or when it ran under a setting that changes how its own text
// reads and the text holds what it would read otherwise (a backslash under
// standard_conforming_strings off, an array or XML literal under array_nulls off or xmloption
// document): the replaying session reads every statement as recorded_statement::kReadSettings
// say. tapedeck never guesses.
std::string replay_statement(const SchemaChange& change);

// What follows the replayed DDL when it added columns to a table with rows (`before` is the
// table's previous recorded shape, null when there is none), each statement preceded by ";\n":
// an UPDATE that gives those rows the value a non-volatile default gave them on the Live DB
// (replay would evaluate now(), current_user, ... again), and for a default that is not a
// constant (random(), nextval: the table was rewritten, each row its own value, none
// recorded) a statement that fails the replay with the reason when the table has rows.
// Empty when nothing was added or the shapes cannot tell.
std::string added_column_fills(const TableInfo* before, const TableInfo& after);

}  // namespace tapedeck::transform
