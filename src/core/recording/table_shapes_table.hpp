// tapedeck.table_shapes (TransformMsg DB): the one home of every query on it. transform
// writes a table's shape when it stores the schema change that recorded it, forgets it when
// the table is dropped, and reads them all back when it starts. The DDL is in
// core/schema/store_schema.cpp.
#pragma once

namespace tapedeck::recording::table_shapes {

// $1 schema, $2 table, $3 shape (JSON text), $4 commit LSN of the change. A redelivered older
// change never replaces a newer shape.
inline constexpr const char* kUpsert = R"(
INSERT INTO tapedeck.table_shapes AS t (schema_name, table_name, shape, commit_lsn)
VALUES ($1, $2, $3, $4::pg_lsn)
ON CONFLICT (schema_name, table_name) DO UPDATE
  SET shape = excluded.shape, commit_lsn = excluded.commit_lsn
  WHERE t.commit_lsn <= excluded.commit_lsn)";

// $1 schema, $2 table, $3 commit LSN of the drop.
inline constexpr const char* kForget = R"(
DELETE FROM tapedeck.table_shapes WHERE schema_name = $1 AND table_name = $2
   AND commit_lsn <= $3::pg_lsn)";

// Every shape: schema, table, shape.
inline constexpr const char* kAll =
    "SELECT schema_name, table_name, shape FROM tapedeck.table_shapes ORDER BY 1, 2";

}  // namespace tapedeck::recording::table_shapes
