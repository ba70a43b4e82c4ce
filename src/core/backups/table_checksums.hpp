// Per-table checksums of a database's recorded tables: the one definition, computed by the
// backup job on its exported snapshot and by `tapedeck verify` on the caught-up scratch
// database, so the two sides cannot drift apart. Also the keyed row hashes that locate the
// first differing row of a table whose checksums differ.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/pg/connection.hpp"
#include "core/pg/result.hpp"

namespace tapedeck::backups {

// One table's checksum. `checksum` is the sum, as a decimal, of the 64-bit
// hashtextextended(row::text, 0) over every row: independent of row order (a scan streams, nothing
// is sorted or held in memory) and equal for equal multisets of rows. Plain value.
struct TableChecksum {
  std::string schema;
  std::string table;
  std::int64_t rows = 0;
  std::string checksum;

  friend bool operator==(const TableChecksum&, const TableChecksum&) = default;
};

// A table of the database and how its rows are keyed.
struct TableToCheck {
  std::string schema;
  std::string table;
  // A SQL expression over the row alias `t` giving the row's key as text: "id=5" (primary key
  // columns as name=value, in key order, comma-separated), or the whole row text for a table
  // without a primary key. Built by the server (quote_ident/quote_literal), never from input.
  std::string key_expression;
};

// Fixes every setting that shapes row::text (DateStyle, IntervalStyle, TimeZone,
// extra_float_digits, bytea_output) for the rest of the session, so two servers print equal
// rows alike. Call it before the functions below; it is allowed in a read-only transaction.
void use_canonical_row_text(pg::Connection& db);

// Which tables are recorded, as capture.include_tables / capture.exclude_tables say
// ("schema.table"; a name without a schema is in "public"). Empty `include`: every table.
struct TableSelection {
  std::vector<std::string> include;
  std::vector<std::string> exclude;
};

// The ordinary tables of `db` that `selection` records: every schema but PostgreSQL's own,
// less tapedeck's unrecorded tables (schema::kUnrecordedLiveTables). By schema, then name.
std::vector<TableToCheck> tables_to_check(pg::Connection& db, const TableSelection& selection);

// The table `schema`.`table` of `db` (its key expression), or nullopt when it does not exist.
std::optional<TableToCheck> find_table(pg::Connection& db, const std::string& schema,
                                       const std::string& table);

// The checksum of one table (a full scan). Runs in whatever transaction `db` is in.
TableChecksum checksum_table(pg::Connection& db, const TableToCheck& table);

// checksum_table for each of `tables`.
std::vector<TableChecksum> checksum_tables(pg::Connection& db,
                                           const std::vector<TableToCheck>& tables);

// One row as the comparison sees it: its key (TableToCheck::key_expression) and md5 of the
// row text.
struct KeyedRow {
  std::string key;
  std::string hash;
  friend bool operator==(const KeyedRow&, const KeyedRow&) = default;
};

// Streams a table's (key, hash) pairs ordered by the key's bytes (COLLATE "C", so both servers
// sort alike whatever their collations), `page_rows` at a time through a cursor in a read-only
// repeatable-read transaction of its own. Borrows `db`; the destructor rolls back an unfinished
// cursor and never throws. One thread.
class KeyedRowReader {
 public:
  KeyedRowReader(pg::Connection& db, const TableToCheck& table, int page_rows = 10000);
  ~KeyedRowReader();
  KeyedRowReader(const KeyedRowReader&) = delete;
  KeyedRowReader& operator=(const KeyedRowReader&) = delete;

  // The next row, or nullopt after the last.
  std::optional<KeyedRow> next();

 private:
  pg::Connection& db_;
  int page_rows_;
  pg::Result page_;
  int row_ = 0;
  bool open_ = false;
  bool exhausted_ = false;
};

}  // namespace tapedeck::backups
