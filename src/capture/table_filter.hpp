// Which tables capture records: the publication's table list and the tables left out.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "capture/pgoutput.hpp"
#include "capture/relation_cache.hpp"
#include "core/pg/replication_admin.hpp"

namespace tapedeck::capture {

// "schema.table" -> {schema, table}; a name without a schema is in "public". Parts are taken
// as written (no case folding); a part in double quotes may hold '.' ("a.b"."c.d", '""' for a
// quote); unquoted, the schema ends at the first '.' and the table is the rest. Throws
// Error(config, invalid) naming `key` for an empty part, an unclosed quote, or text after one.
pg::TableName parse_table_name(std::string_view text, std::string_view key);

// What the publication lists and what capture drops on its side. PostgreSQL 15 has no
// "FOR ALL TABLES EXCEPT", so with an empty include list the publication is FOR ALL TABLES
// (tables created later are recorded) and the excluded tables are dropped from the stream
// here; with an include list the publication names those tables minus the excluded ones.
// The Live DB's unrecorded tables (schema::kUnrecordedLiveTables) are always excluded, and
// tapedeck.schema_changes (the recorded schema changes) is always in an include list.
// A value object; pure.
class TableFilter {
 public:
  TableFilter(std::vector<pg::TableName> include, std::vector<pg::TableName> exclude);
  // From capture.include_tables / capture.exclude_tables ("schema.table" entries).
  static TableFilter from_lists(const std::vector<std::string>& include,
                                const std::vector<std::string>& exclude);

  // The table list for ensure_publication: empty means FOR ALL TABLES.
  const std::vector<pg::TableName>& publication_tables() const { return publication_tables_; }
  bool excluded(std::string_view schema, std::string_view table) const;

  // True when `message` goes on to the encoder. Relation and Type messages always do (the
  // relation cache needs them, they produce no events); a change of an excluded relation does
  // not; a Truncate loses its excluded relations and is dropped when none is left. Relations
  // are looked up in `relations` (a change of an unknown relation is kept: the encoder reports
  // it).
  bool admit(pgoutput::Message& message, const RelationCache& relations) const;

 private:
  std::vector<pg::TableName> publication_tables_;
  std::vector<pg::TableName> excluded_;
};

}  // namespace tapedeck::capture
